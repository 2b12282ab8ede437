// The journal edited between a crash (kill -9 of the sink mid-batch) and the restart: the
// new sink refuses it (exit 3, FILE:LINE and what is wrong, the file untouched) while the
// ventilator and the workers wait; a sink started with --repair removes the bad lines, logs
// each, and the batch completes with every id once.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <thread>

#include "fault_support.hpp"

namespace zpipe::faults {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

// The journal's whole lines (a torn last line, left by the kill, is dropped).
Lines whole_lines(const std::filesystem::path& file) {
  Lines lines;
  const std::string text = test::read_file(file);
  std::size_t at = 0;
  for (std::size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    lines.push_back(text.substr(at, nl - at));
  return lines;
}

// `edit` changes the lines and returns the 1-based number of the line the sink must name,
// and what it must say about it.
using Edit = std::function<std::pair<int, std::string>(Lines&)>;

void journal_edited(const std::string& scenario, const Edit& edit) {
  test::TempDir dir;
  test::Batch b = logged_batch(dir, 400, "0.01");
  Roles roles(dir, b, 2);
  ASSERT_TRUE(roles.start_all_until(100)) << roles.log(Role::sink);
  roles.kill(Role::sink);

  const auto out = dir / "out.jsonl";
  Lines lines = whole_lines(out);
  const auto [line, says] = edit(lines);
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  test::write_file(out, text);

  roles.start(Role::sink);
  EXPECT_EQ(roles.child(Role::sink).wait(20s), 3) << roles.log(Role::sink);
  const std::string refusal = out.string() + ":" + std::to_string(line) + ": " + says;
  EXPECT_NE(roles.log(Role::sink).find(refusal), std::string::npos) << refusal << "\n" << roles.log(Role::sink);
  EXPECT_EQ(test::read_file(out), text) << "a refused journal is not touched";

  roles.start(Role::sink, 0, {"--repair"});
  roles.expect_all_end(60s);
  EXPECT_NE(roles.log(Role::sink).find(out.string() + ":" + std::to_string(line) + ": removed"), std::string::npos)
      << roles.log(Role::sink);
  report(roles.expect_exactly_once(scenario, "kill -9 sink at 100+ records, journal edited, refused, --repair"));
}

nlohmann::ordered_json record(const std::string& line) { return nlohmann::ordered_json::parse(line); }

TEST(JournalEdited, DuplicatedRecord) {
  journal_edited("journal edited: a duplicated record", [](Lines& lines) {
    lines.insert(lines.begin() + 40, lines[10]);
    return std::pair{41, "a second record for id " + std::to_string(record(lines[10])["id"].get<long long>())};
  });
}

TEST(JournalEdited, RecordCutAfterItsStatus) {
  journal_edited("journal edited: a record cut after its status", [](Lines& lines) {
    lines[30] = lines[30].substr(0, lines[30].find("\"status\":\"ok\"") + 13);
    return std::pair{31, std::string("not a whole zpipe record")};
  });
}

TEST(JournalEdited, IdBeyondTheBatch) {
  journal_edited("journal edited: an id beyond the batch", [](Lines& lines) {
    auto stranger = record(lines[0]);
    stranger["id"] = 9999;
    lines.push_back(stranger.dump());
    return std::pair{static_cast<int>(lines.size()), std::string("id 9999 is beyond the batch's 400 tasks")};
  });
}

TEST(JournalEdited, ForeignLine) {
  journal_edited("journal edited: a foreign line", [](Lines& lines) {
    lines.insert(lines.begin() + 5, "hello, I am not a record");
    return std::pair{6, std::string("not a whole zpipe record")};
  });
}

}  // namespace
}  // namespace zpipe::faults

namespace zpipe::faults {
namespace {

// Writes "1\n".."count\n" into the FIFO `path` (blocks until a reader opens it).
std::thread feed_fifo(const std::filesystem::path& path, int count) {
  return std::thread([path, count] {
    std::ofstream fifo(path);
    for (int i = 1; i <= count; ++i) fifo << i << "\n";
  });
}

// The same cut under a ventilator that reads a pipe: the lost record's input cannot be read
// back, so the batch halts, saying why (exit 1), and every role ends; the pipeline restarted
// on the same input lines then completes it.
TEST(JournalEdited, RecordCutUnderAPipeSourceHaltsThenARestartedPipelineCompletes) {
  test::TempDir dir;
  const auto fifo = dir / "inputs.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  test::Batch b = logged_batch(dir, 400, "0.01");
  b.source = "{ lines: " + fifo.string() + " }";
  Roles roles(dir, b, 2);
  std::thread feeder = feed_fifo(fifo, b.count);
  ASSERT_TRUE(roles.start_all_until(100)) << roles.log(Role::sink);
  roles.kill(Role::sink);
  feeder.join();

  const auto out = dir / "out.jsonl";
  Lines lines = whole_lines(out);
  lines[30] = lines[30].substr(0, lines[30].find("\"status\":\"ok\"") + 13);
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  test::write_file(out, text);
  roles.start(Role::sink, 0, {"--repair"});

  EXPECT_EQ(roles.child(Role::ventilator).wait(30s), 1) << roles.log(Role::ventilator);
  EXPECT_NE(roles.log(Role::ventilator).find("halted: the sink has no record of 1 tasks acknowledged before (id "),
            std::string::npos)
      << roles.log(Role::ventilator);
  EXPECT_NE(roles.log(Role::ventilator).find("the source cannot read their inputs again"), std::string::npos);
  EXPECT_EQ(roles.child(Role::sink).wait(10s), 1) << roles.log(Role::sink);
  for (int i = 0; i < roles.workers(); ++i)
    EXPECT_EQ(roles.child(Role::worker, i).wait(10s), 0) << roles.log(Role::worker, i);

  feeder = feed_fifo(fifo, b.count);
  roles.start_all();
  roles.expect_all_end(60s);
  feeder.join();
  report(roles.expect_exactly_once("journal edited under a pipe source",
                                   "record cut, --repair; batch halts; restarted on the same lines"));
}

}  // namespace
}  // namespace zpipe::faults
