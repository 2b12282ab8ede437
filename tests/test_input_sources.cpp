// The ventilator's input sources that `zpipe run` builds (docs/cli.md, "Inputs and
// replacement strings"), driven directly: delimiters cut between two reads of a pipe,
// argument lists whose source must wait for its writer, and rereading a NUL-delimited file.
#include <gtest/gtest.h>

#include <unistd.h>

#include "test_support.hpp"
#include "zpipe/ventilator/source.hpp"

namespace zpipe {
namespace {

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
