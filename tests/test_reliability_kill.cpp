// What zpipe promises when a process dies mid-batch: the real binary, real SIGKILL, real
// TCP ports. Every test checks the output file: each id 1..N exactly once, each record's
// output correct.
#include <gtest/gtest.h>

#include <signal.h>

#include <iostream>
#include <random>

#include "reliability_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;  // reliability_support.hpp and test_support.hpp

// --- 1. kill -9 a worker ------------------------------------------------------------

TEST(Reliability, WorkerKilledWithSigkillMidBatchThreeTimes) {
  std::mt19937 rng(std::random_device{}());
  std::uint64_t total_redelivered = 0, total_retried = 0, total_duplicates = 0;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    TempDir dir;
    Batch b;
    b.count = 160;
    b.command = "sleep 0.02; echo $(( {} * {} ))";
    const std::string file = b.write(dir);
    Child sink = start_zpipe({"sink", "-c", file, "--summary", (dir / "s.json").string()}, dir, "sink");
    Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
    Child victim = start_zpipe({"worker", "-c", file, "--name", "victim", "--slots", "4"}, dir, "victim");
    Child a = start_zpipe({"worker", "-c", file, "--name", "a"}, dir, "a");
    Child c = start_zpipe({"worker", "-c", file, "--name", "c"}, dir, "c");
    const std::size_t kill_at = std::uniform_int_distribution<std::size_t>(16, 96)(rng);
    ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.jsonl") >= kill_at; }, 20s));
    victim.signal(SIGKILL);
    EXPECT_EQ(victim.wait(5s), 128 + SIGKILL);
    EXPECT_EQ(a.wait(30s), 0) << read_file(dir / "a.err");
    EXPECT_EQ(c.wait(30s), 0) << read_file(dir / "c.err");
    EXPECT_EQ(vent.wait(10s), 0) << read_file(dir / "vent.err");
    EXPECT_EQ(sink.wait(10s), 0) << read_file(dir / "sink.err");

    const auto records = test::read_jsonl(dir / "out.jsonl");
    expect_square_records(records, b.count);
    std::uint64_t retried = 0;
    for (const auto& r : records) retried += r["attempts"].get<int>() >= 2;
    const std::uint64_t redelivered =
        sum_matches(read_file(dir / "vent.err"), R"(presumed dead; (\d+) tasks will run again)");
    const std::uint64_t duplicates = summary_of(dir / "s.json")["duplicates"].get<std::uint64_t>();
    std::cout << "[ kill -9 worker, round " << round << " ] killed after " << kill_at << " records: "
              << redelivered << " tasks redelivered, " << retried << " records with attempts >= 2, " << duplicates
              << " duplicate results dropped\n";
    EXPECT_TRUE(redelivered > 0 || retried > 0) << "the victim held tasks; they must have run again";
    EXPECT_EQ(retried, redelivered) << "every redelivered task is recorded with its second attempt";
    total_redelivered += redelivered;
    total_retried += retried;
    total_duplicates += duplicates;
  }
  RecordProperty("redelivered", std::to_string(total_redelivered));
  RecordProperty("attempts_ge_2", std::to_string(total_retried));
  RecordProperty("duplicates", std::to_string(total_duplicates));
}

// --- 2. kill -9 the sink --------------------------------------------------------------

void sink_killed_round(std::size_t kill_after) {
  TempDir dir;
  Batch b;
  b.count = 200;
  b.command = "sleep 0.01; echo $(( {} * {} ))";
  const std::string file = b.write(dir);
  const std::vector<std::string> sink_args{"sink", "-c", file, "--resume", "--summary", (dir / "s.json").string()};
  std::optional<Child> sink(start_zpipe(sink_args, dir, "sink"));
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child w1 = start_zpipe({"worker", "-c", file, "--name", "w1"}, dir, "w1");
  Child w2 = start_zpipe({"worker", "-c", file, "--name", "w2"}, dir, "w2");
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.jsonl") >= kill_after; }, 20s));
  sink->signal(SIGKILL);
  EXPECT_EQ(sink->wait(5s), 128 + SIGKILL);
  const std::size_t before = test::read_whole_records(dir / "out.jsonl").size();
  {
    // What a crash in the middle of a write leaves behind.
    std::ofstream(dir / "out.jsonl", std::ios::app | std::ios::binary) << "{\"id\":7,\"input\":\"7\",\"sta";
  }
  sink.emplace(start_zpipe(sink_args, dir, "sink2"));
  EXPECT_EQ(w1.wait(30s), 0) << read_file(dir / "w1.err");
  EXPECT_EQ(w2.wait(30s), 0) << read_file(dir / "w2.err");
  EXPECT_EQ(vent.wait(10s), 0) << read_file(dir / "vent.err");
  EXPECT_EQ(sink->wait(10s), 0) << read_file(dir / "sink2.err") << "VENT\n" << read_file(dir / "vent.err");

  const std::string sink_log = read_file(dir / "sink2.err");
  EXPECT_NE(sink_log.find("cut a torn last line"), std::string::npos) << sink_log;
  EXPECT_NE(sink_log.find("resuming: " + std::to_string(before) + " records already in"), std::string::npos) << sink_log;
  expect_square_records(test::read_jsonl(dir / "out.jsonl"), b.count);
  const auto s = summary_of(dir / "s.json");
  const std::uint64_t again =
      sum_matches(read_file(dir / "vent.err"), R"(sink \(re\)joined; (\d+) tasks in flight will run again)");
  std::cout << "[ kill -9 sink ] " << before << " records before the kill; restarted sink: " << again
            << " tasks redelivered, " << s["duplicates"] << " duplicates dropped\n";
  ::testing::Test::RecordProperty("redelivered", std::to_string(again));
  ::testing::Test::RecordProperty("duplicates", s["duplicates"].dump());
  EXPECT_EQ(s["completed"], true);
}

// Killed at a random point while tasks are in flight, in several fresh batches.
TEST(Reliability, SinkKilledWithSigkillRestartsFromItsJournal) {
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 2; ++round) {
    const std::size_t kill_after = std::uniform_int_distribution<std::size_t>(30, 110)(rng);
    SCOPED_TRACE("round " + std::to_string(round) + ", killed after " + std::to_string(kill_after) + " records");
    sink_killed_round(kill_after);
  }
}

// --- 3. kill -9 the ventilator -------------------------------------------------------------

void ventilator_killed_round(std::size_t kill_after) {
  TempDir dir;
  Batch b;
  b.count = 200;
  b.command = logged(dir, "sleep 0.01; echo $(( {} * {} ))");
  const std::string file = b.write(dir);
  Child sink = start_zpipe({"sink", "-c", file, "--summary", (dir / "s.json").string()}, dir, "sink");
  std::optional<Child> vent(start_zpipe({"ventilator", "-c", file}, dir, "vent"));
  Child w1 = start_zpipe({"worker", "-c", file, "--name", "w1"}, dir, "w1");
  Child w2 = start_zpipe({"worker", "-c", file, "--name", "w2"}, dir, "w2");
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.jsonl") >= kill_after; }, 20s));
  vent->signal(SIGKILL);
  EXPECT_EQ(vent->wait(5s), 128 + SIGKILL);
  const std::set<long long> recorded = ids_of(test::read_whole_records(dir / "out.jsonl"));
  vent.emplace(start_zpipe({"ventilator", "-c", file}, dir, "vent2"));
  EXPECT_EQ(w1.wait(30s), 0) << read_file(dir / "w1.err");
  EXPECT_EQ(w2.wait(30s), 0) << read_file(dir / "w2.err");
  EXPECT_EQ(vent->wait(10s), 0) << read_file(dir / "vent2.err");
  EXPECT_EQ(sink.wait(10s), 0) << read_file(dir / "sink.err");

  expect_square_records(test::read_jsonl(dir / "out.jsonl"), b.count);
  const auto runs = executions(dir);
  std::size_t extra = 0;
  for (const auto& [id, n] : runs) extra += static_cast<std::size_t>(n - 1);
  for (long long id : recorded) EXPECT_EQ(runs.at(id), 1) << "task " << id << " was recorded before the kill";
  std::cout << "[ kill -9 ventilator ] " << recorded.size() << " records before the kill, none run again; "
            << extra << " tasks ran twice (in flight at the kill), " << summary_of(dir / "s.json")["duplicates"]
            << " duplicates dropped\n";
  ::testing::Test::RecordProperty("ran_twice", std::to_string(extra));
}

// Killed at a random point while tasks are in flight, in several fresh batches.
TEST(Reliability, VentilatorKilledWithSigkillRestartsWithoutRerunningRecordedTasks) {
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 2; ++round) {
    const std::size_t kill_after = std::uniform_int_distribution<std::size_t>(30, 110)(rng);
    SCOPED_TRACE("round " + std::to_string(round) + ", killed after " + std::to_string(kill_after) + " records");
    ventilator_killed_round(kill_after);
  }
}

// --- 4. zpipe run killed, then --resume -----------------------------------------------------

void run_killed_round(std::size_t kill_after) {
  TempDir dir;
  Batch b;
  b.count = 150;
  b.command = logged(dir, "sleep 0.02; echo $(( {} * {} ))");
  const std::string file = b.write(dir);
  Child first = start_zpipe({"run", file}, dir, "run1");
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.jsonl") >= kill_after; }, 20s));
  first.signal(SIGKILL);
  EXPECT_EQ(first.wait(5s), 128 + SIGKILL);
  const auto partial = test::read_whole_records(dir / "out.jsonl");
  expect_square_records(partial);
  const std::set<long long> recorded = ids_of(partial);
  ASSERT_LT(recorded.size(), static_cast<std::size_t>(b.count));

  const auto o = test::run_zpipe({"run", file, "--resume"}, dir, "", 30s);
  EXPECT_EQ(o.code, 0) << o.err;
  expect_square_records(test::read_jsonl(dir / "out.jsonl"), b.count);
  const auto runs = executions(dir);
  for (long long id : recorded) EXPECT_EQ(runs.at(id), 1) << "task " << id << " had a record and ran again";
  std::size_t extra = 0;
  for (const auto& [id, n] : runs) extra += static_cast<std::size_t>(n - 1);
  std::cout << "[ kill -9 zpipe run ] " << recorded.size() << " records kept, " << extra
            << " tasks ran twice (in flight at the kill)\n";
}

// Killed at a random point while tasks are in flight, in several fresh batches.
TEST(Reliability, RunKilledWithSigkillThenResumeRunsOnlyTheRest) {
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 2; ++round) {
    const std::size_t kill_after = std::uniform_int_distribution<std::size_t>(20, 90)(rng);
    SCOPED_TRACE("round " + std::to_string(round) + ", killed after " + std::to_string(kill_after) + " records");
    run_killed_round(kill_after);
  }
}

}  // namespace
}  // namespace zpipe
