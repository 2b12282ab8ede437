// Issue 10, "two writers on one output" and "a second sink hijacks the batch": a second
// sink, or `zpipe run`, aimed at the output of a live batch fails at once (exit 3, naming
// the holder) without reading, cutting or truncating the file; a second sink with an output
// of its own is told to wait by the ventilator. Either way the live batch ends with every
// record exactly once. The real binary, real processes, real ports.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "reliability_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;  // reliability_support.hpp and test_support.hpp

// A batch of 300 short sleeps, running: the sink holds out.jsonl and has written some of it.
struct LiveBatch {
  TempDir dir;
  Batch b;
  std::string file;
  std::optional<Child> sink, vent, worker;

  explicit LiveBatch(const std::string& vent_keys = "heartbeat: 200ms, liveness: 3") {
    b.vent_keys = vent_keys;
    b.count = 300;
    b.command = "sleep 0.01; echo $(( {} * {} ))";
    file = b.write(dir);
    sink.emplace(start_zpipe({"sink", "-c", file, "--summary", (dir / "s.json").string()}, dir, "sink"));
    vent.emplace(start_zpipe({"ventilator", "-c", file}, dir, "vent"));
    worker.emplace(start_zpipe({"worker", "-c", file}, dir, "worker"));
  }
  bool writing() {
    const std::size_t n = count_lines(dir / "out.jsonl");
    return n >= 20 && n < static_cast<std::size_t>(b.count);
  }
  // The batch ends by itself, every record once, nothing but records in the file.
  void expect_intact() {
    EXPECT_EQ(vent->wait(30s), 0) << read_file(dir / "vent.err");
    EXPECT_EQ(sink->wait(10s), 0) << read_file(dir / "sink.err");
    EXPECT_EQ(worker->wait(10s), 0) << read_file(dir / "worker.err");
    expect_only_records(dir / "out.jsonl");
    expect_square_records(read_whole_records(dir / "out.jsonl"), b.count);
    EXPECT_FALSE(std::filesystem::exists(dir / "out.jsonl.lock")) << "the holder removes its lock file at the end";
  }
};

// The intruder exits 3, quickly, and says who holds the output.
void expect_refused(Child& intruder, const std::filesystem::path& err, pid_t holder) {
  EXPECT_EQ(intruder.wait(10s), 3) << read_file(err);
  const std::string text = read_file(err);
  EXPECT_NE(text.find("out.jsonl is in use by pid " + std::to_string(holder) + " (host "), std::string::npos)
      << text;
}

TEST(OneSink, SecondSinkOnAnotherPortIsRefusedAndTheBatchKeepsItsFile) {
  LiveBatch live;
  ASSERT_TRUE(wait_until([&] { return live.writing(); }, 20s)) << read_file(live.dir / "sink.err");
  const std::string other_port = "tcp://127.0.0.1:" + std::to_string(free_port());
  Child intruder = start_zpipe({"sink", "-c", live.file, "--sink", other_port}, live.dir, "intruder");
  expect_refused(intruder, live.dir / "intruder.err", live.sink->pid());
  live.expect_intact();
}

TEST(OneSink, SecondSinkWithFreshOnTheSamePortTruncatesNothing) {
  LiveBatch live;
  ASSERT_TRUE(wait_until([&] { return live.writing(); }, 20s)) << read_file(live.dir / "sink.err");
  const std::size_t before = count_lines(live.dir / "out.jsonl");
  Child intruder = start_zpipe({"sink", "-c", live.file, "--fresh"}, live.dir, "intruder");
  EXPECT_EQ(intruder.wait(10s), 3) << read_file(live.dir / "intruder.err");
  EXPECT_NE(read_file(live.dir / "intruder.err").find("cannot bind"), std::string::npos)
      << "the port is taken: it fails before touching the file\n"
      << read_file(live.dir / "intruder.err");
  EXPECT_GE(count_lines(live.dir / "out.jsonl"), before) << "the live file was truncated";
  live.expect_intact();
}

TEST(OneSink, RunOnTheOutputOfALiveBatchIsRefused) {
  LiveBatch live;
  ASSERT_TRUE(wait_until([&] { return live.writing(); }, 20s)) << read_file(live.dir / "sink.err");
  // `zpipe run` uses in-process endpoints: nothing but the lock stops it.
  Child run = start_zpipe({"run", live.file}, live.dir, "run");
  expect_refused(run, live.dir / "run.err", live.sink->pid());
  live.expect_intact();
}

TEST(OneSink, ALockLeftByAKilledSinkDoesNotStopTheNextOne) {
  TempDir dir;
  Batch b;
  b.count = 20;
  const std::string file = b.write(dir);
  // What a sink killed with SIGKILL leaves: a lock file naming it, no lock held.
  write_file(dir / "out.jsonl.lock", "999999 somewhere\n");
  Child sink = start_zpipe({"sink", "-c", file}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child worker = start_zpipe({"worker", "-c", file}, dir, "worker");
  EXPECT_EQ(vent.wait(20s), 0) << read_file(dir / "vent.err");
  EXPECT_EQ(sink.wait(10s), 0) << read_file(dir / "sink.err");
  expect_square_records(read_whole_records(dir / "out.jsonl"), b.count);
}

// A second sink with its own output and port is no restart of the known one (its hello
// carries another incarnation): the ventilator tells it to wait, nothing in flight runs
// again, and it records nothing.
TEST(OneSink, ASecondSinkWithItsOwnOutputCannotTakeTheBatchOver) {
  LiveBatch live;
  ASSERT_TRUE(wait_until([&] { return live.writing(); }, 20s)) << read_file(live.dir / "sink.err");
  const std::string other_port = "tcp://127.0.0.1:" + std::to_string(free_port());
  const auto other_output = live.dir / "other.jsonl";
  Child intruder = start_zpipe({"sink", "-c", live.file, "--sink", other_port, "--output", other_output.string()},
                               live.dir, "intruder");
  EXPECT_TRUE(wait_until([&] { return read_file(live.dir / "intruder.err").find("another sink") != std::string::npos; },
                         10s))
      << "the second sink must be told why it is not let in\n"
      << read_file(live.dir / "intruder.err");
  live.expect_intact();
  const std::string vent_log = read_file(live.dir / "vent.err");
  EXPECT_NE(vent_log.find("refused a second sink"), std::string::npos) << vent_log;
  EXPECT_EQ(vent_log.find("(re)joined"), std::string::npos) << "the batch was taken over\n" << vent_log;
  EXPECT_EQ(summary_of(live.dir / "s.json")["duplicates"], 0);
  EXPECT_TRUE(read_whole_records(other_output).empty());
}

// A sink stopped by a signal says goodbye: its successor is let in at once, not after the
// old one's silence (5 s here).
TEST(OneSink, ASinkStoppedBySigtermIsReplacedAtOnce) {
  LiveBatch live("heartbeat: 1s, liveness: 5");
  ASSERT_TRUE(wait_until([&] { return live.writing(); }, 20s)) << read_file(live.dir / "sink.err");
  const Ended stopped = signal_and_wait(*live.sink, SIGTERM, 2s);
  ASSERT_EQ(stopped.code, 143) << describe(stopped);
  live.sink.emplace(start_zpipe({"sink", "-c", live.file, "--resume", "--summary", (live.dir / "s.json").string()}, live.dir,
                                "sink2"));
  const auto sinks_joined = [&] { return lines_with(read_file(live.dir / "vent.err"), {"ventilator: sink '", "' joined"}); };
  EXPECT_TRUE(wait_until([&] { return sinks_joined().size() >= 2; }, 3s))
      << "the second sink must be let in at once\n"
      << read_file(live.dir / "vent.err") << read_file(live.dir / "sink2.err");
  EXPECT_EQ(read_file(live.dir / "sink2.err").find("another sink"), std::string::npos)
      << read_file(live.dir / "sink2.err");
  live.expect_intact();
}

// /dev/null (or a FIFO, a terminal) is no journal and is shared by design: never locked.
TEST(OneSink, DevNullIsSharedByTwoRunsAtOnce) {
  TempDir dir;
  write_file(dir / "p.yaml", "version: 1\nname: devnull\nsource: { range: { count: 4 } }\n"
                             "task: { shell: \"sleep 0.3; echo {}\" }\nsink: { output: /dev/null }\n"
                             "workers: { count: 2 }\n");
  Child a = start_zpipe({"run", (dir / "p.yaml").string()}, dir, "a");
  Child b = start_zpipe({"run", (dir / "p.yaml").string()}, dir, "b");
  EXPECT_EQ(a.wait(20s), 0) << read_file(dir / "a.err");
  EXPECT_EQ(b.wait(20s), 0) << read_file(dir / "b.err");
  EXPECT_FALSE(std::filesystem::exists("/dev/null.lock"));
}

}  // namespace
}  // namespace zpipe
