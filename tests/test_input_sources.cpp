// The ventilator's input sources that `zpipe run` builds (docs/cli.md, "Inputs and
// replacement strings"), driven directly: delimiters cut between two reads of a pipe,
// argument lists whose source must wait for its writer, and rereading a NUL-delimited file.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <limits>

#include "test_support.hpp"
#include "zpipe/ventilator/source.hpp"

namespace zpipe {
namespace {

using test::TempDir;
using ventilator::Next;

// A pipe whose read end a source opens as /proc/self/fd/N (a stream that can say `later`).
class Pipe {
public:
  Pipe() {
    if (::pipe(fds_) != 0) throw std::runtime_error("pipe");
  }
  ~Pipe() {
    ::close(fds_[0]);
    close_writer();
  }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fds_[0]); }
  void write(const std::string& bytes) { ASSERT_EQ(::write(fds_[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size())); }
  void close_writer() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }

private:
  int fds_[2] = {-1, -1};
};

// What the source gives until it must wait (`later`) or ends: inputs, or args joined by '|'.
std::vector<std::string> drain(ventilator::TaskSource& source, bool* waiting = nullptr) {
  std::vector<std::string> got;
  for (;;) {
    Next next = source.next();
    if (next.kind != Next::Kind::input) {
      if (waiting) *waiting = next.kind == Next::Kind::later;
      return got;
    }
    if (next.args.empty()) {
      got.push_back(next.input);
      continue;
    }
    std::string joined;
    for (const auto& a : next.args) joined += (joined.empty() ? "" : "|") + a;
    got.push_back(joined);
  }
}

TEST(InputSources, ADelimiterCutBetweenTwoReadsIsFound) {
  Pipe pipe;
  auto source = ventilator::open_source(config::LinesSource{pipe.path(), "::"});
  pipe.write("a:");
  bool waiting = false;
  EXPECT_TRUE(drain(*source, &waiting).empty());
  EXPECT_TRUE(waiting) << "half a delimiter ends nothing yet";
  pipe.write(":b::c");
  pipe.close_writer();
  EXPECT_EQ(drain(*source, &waiting), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(waiting);
}

TEST(InputSources, MaxArgsKeepsWhatItTookWhileTheSourceWaits) {
  Pipe pipe;
  config::ArgsSource spec;
  spec.inputs.emplace_back(std::in_place_type<config::LinesSource>, config::LinesSource{pipe.path(), "\n"});
  spec.max_args = 2;
  auto source = ventilator::open_source(spec);
  pipe.write("1\n");
  bool waiting = false;
  EXPECT_TRUE(drain(*source, &waiting).empty());
  EXPECT_TRUE(waiting);
  pipe.write("2\n3\n");
  pipe.close_writer();
  EXPECT_EQ(drain(*source, &waiting), (std::vector<std::string>{"1|2", "3"}));
}

TEST(InputSources, AProductStreamsItsFirstSourceAndWaitsForTheOthers) {
  Pipe first, second;
  config::ArgsSource spec;
  spec.inputs.emplace_back(std::in_place_type<config::LinesSource>, config::LinesSource{first.path(), "\n"});
  spec.inputs.emplace_back(std::in_place_type<config::LinesSource>, config::LinesSource{second.path(), "\n"});
  auto source = ventilator::open_source(spec);
  first.write("a\n");
  second.write("1\n");
  bool waiting = false;
  EXPECT_TRUE(drain(*source, &waiting).empty()) << "the second source is not whole yet";
  EXPECT_TRUE(waiting);
  EXPECT_EQ(source->wait_fd() >= 0, true);
  second.write("2\n");
  second.close_writer();
  EXPECT_EQ(drain(*source, &waiting), (std::vector<std::string>{"a|1", "a|2"}));
  EXPECT_TRUE(waiting) << "the first source's writer is still there";
  first.write("b\n");
  first.close_writer();
  EXPECT_EQ(drain(*source, &waiting), (std::vector<std::string>{"b|1", "b|2"}));
  EXPECT_FALSE(waiting);
}

TEST(InputSources, PairedSourcesAreReadInStepAndTheShorterEndsThem) {
  // `:::: A ::::+ B ::: x y`: the first group (A, B paired) is streamed, one value of each
  // at a time, and what one gave is kept while the other waits.
  Pipe a, b;
  config::ArgsSource spec;
  spec.inputs.emplace_back(std::in_place_type<config::LinesSource>, config::LinesSource{a.path(), "\n", false});
  spec.inputs.emplace_back(std::in_place_type<config::LinesSource>, config::LinesSource{b.path(), "\n", false});
  spec.inputs.emplace_back(std::in_place_type<config::ItemsSource>, config::ItemsSource{{"x", "y"}});
  spec.linked_to_previous = {false, true, false};
  const config::Source held = spec;  // an items source reads the pipeline's items in place
  auto source = ventilator::open_source(held);
  a.write("a1\na2\na3\n");
  bool waiting = false;
  EXPECT_TRUE(drain(*source, &waiting).empty());
  EXPECT_TRUE(waiting) << "a1 waits for its pair";
  b.write("b1\n");
  EXPECT_EQ(drain(*source, &waiting), (std::vector<std::string>{"a1|b1|x", "a1|b1|y"}));
  EXPECT_TRUE(waiting);
  b.write("b2\n");
  b.close_writer();
  a.close_writer();
  EXPECT_EQ(drain(*source, &waiting), (std::vector<std::string>{"a2|b2|x", "a2|b2|y"})) << "a3 has no pair";
  EXPECT_FALSE(waiting);
}

config::ArgsSource items(std::vector<std::string> values) {
  config::ArgsSource spec;
  spec.inputs.emplace_back(std::in_place_type<config::ItemsSource>, config::ItemsSource{std::move(values)});
  return spec;
}

// What the source for `spec` gives; the spec is kept while it is read (an items source
// reads the pipeline's items in place).
std::vector<std::string> all_of(const config::ArgsSource& spec) {
  const config::Source held = spec;
  return drain(*ventilator::open_source(held));
}

TEST(InputSources, FillTakesWhatFitsOnTheLineAndSpreadsTheLastOverTheSlots) {
  // -m: each one-byte argument costs 2 (itself and a space), the line holds 6 bytes.
  config::ArgsSource spec = items({"1", "2", "3", "4", "5"});
  spec.max_args = std::numeric_limits<std::uint32_t>::max();
  spec.fill = config::LineFill{6, 0, 1, 1, 2};
  // 4 does not fit beside 1 2 3; the input ends within the next task, whose two arguments
  // are then shared over the 2 slots, as parallel does.
  EXPECT_EQ(all_of(spec), (std::vector<std::string>{"1|2|3", "4", "5"}));

  config::ArgsSource spread = items({"a", "b", "c", "d", "e"});
  spread.max_args = std::numeric_limits<std::uint32_t>::max();
  spread.fill = config::LineFill{1000, 0, 1, 1, 2};
  EXPECT_EQ(all_of(spread), (std::vector<std::string>{"a|b|c", "d|e"}));
  // An argument quoted for the shell costs its quotes: 'a b' is 5 bytes, and a space.
  config::ArgsSource quoted = items({"a b", "c", "d"});
  quoted.max_args = std::numeric_limits<std::uint32_t>::max();
  quoted.fill = config::LineFill{8, 0, 1, 1, 1};
  EXPECT_EQ(all_of(quoted), (std::vector<std::string>{"a b|c", "d"}));
}

TEST(InputSources, TrimRemovesWhiteSpaceAroundEachColumn) {
  config::ArgsSource spec = items({" a ,\tb\t", " c"});
  spec.colsep = ",";
  spec.trim_left = true;
  EXPECT_EQ(all_of(spec), (std::vector<std::string>{"a |b\t", "c"}));
  spec.trim_right = true;
  EXPECT_EQ(all_of(spec), (std::vector<std::string>{"a|b", "c"}));
}

TEST(InputSources, AHeaderReadAlreadyIsSkipped) {
  TempDir dir;
  test::write_file(dir / "h.tsv", "name\nann\nbob\n");
  config::ArgsSource spec;
  spec.inputs.emplace_back(std::in_place_type<config::LinesSource>,
                           config::LinesSource{(dir / "h.tsv").string(), "\n", true});
  EXPECT_EQ(all_of(spec), (std::vector<std::string>{"ann", "bob"}));
}

TEST(InputSources, ANulDelimitedFileIsReadAgainByItsDelimiter) {
  test::TempDir dir;
  test::write_file(dir / "in", std::string("a\nb\0c\0d", 7));
  auto source = ventilator::open_source(config::LinesSource{(dir / "in").string(), std::string(1, '\0')});
  EXPECT_EQ(drain(*source), (std::vector<std::string>{"a\nb", "c", "d"}));
  const auto again = source->reread({1, 3});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, (std::vector<std::string>{"a\nb", "d"}));
}

}  // namespace
}  // namespace zpipe
