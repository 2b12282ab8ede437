// What zpipe promises when processes die or are told to stop: the real binary, real
// signals (SIGKILL, SIGTERM, SIGINT), real TCP ports. Every test checks the output file:
// each id 1..N exactly once, each record's output correct.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <regex>
#include <set>

#include "test_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::count_lines;
using test::read_file;
using test::start_zpipe;
using test::TempDir;
using test::wait_until;

// A pipeline file for separate processes (or `zpipe run`) with fast liveness: a silent
// peer is presumed dead after 600 ms. Output goes to out.jsonl next to the file.
struct Batch {
  int count = 200;
  std::string command = "echo $(( {} * {} ))";
  std::string task_keys;  // more keys of `task`, e.g. ", retries: 2"
  std::string workers = "{ count: 2, slots: 2 }";
  std::string extra;
  int vent_port = test::free_port();
  int sink_port = test::free_port();

  std::string yaml() const {
    return "version: 1\n"
           "name: reliability\n"
           "source: { range: { start: 1, count: " + std::to_string(count) + " } }\n"
           "task: { shell: \"" + command + "\"" + task_keys + " }\n"
           "ventilator: { endpoint: \"tcp://127.0.0.1:" + std::to_string(vent_port) +
           "\", heartbeat: 200ms, liveness: 3 }\n"
           "sink: { endpoint: \"tcp://127.0.0.1:" + std::to_string(sink_port) + "\", output: out.jsonl }\n"
           "workers: " + workers + "\n" + extra;
  }
  std::string write(const TempDir& dir, const std::string& name = "p.yaml") const {
    test::write_file(dir / name, yaml());
    return (dir / name).string();
  }
};

// Appends the task's id to exec.log when it starts: counts executions across processes.
std::string logged(const TempDir& dir, const std::string& command) {
  return "echo {} >> " + (dir / "exec.log").string() + "; " + command;
}

std::map<long long, int> executions(const TempDir& dir) {
  std::map<long long, int> n;
  std::ifstream in(dir / "exec.log");
  for (long long id; in >> id;) ++n[id];
  return n;
}

std::set<long long> ids_of(const std::vector<nlohmann::json>& records) {
  std::set<long long> ids;
  for (const auto& r : records) ids.insert(r["id"].get<long long>());
  return ids;
}

// Records whose id is unique and whose output is the square of the input; returns false
// (with failures reported) otherwise. With `n`, ids must be exactly 1..n.
void expect_square_records(const std::vector<nlohmann::json>& records, std::optional<int> n = std::nullopt) {
  std::set<long long> ids;
  for (const auto& r : records) {
    const long long id = r["id"].get<long long>();
    EXPECT_TRUE(ids.insert(id).second) << "duplicate record " << r.dump();
    EXPECT_EQ(r["input"], std::to_string(id)) << r.dump();
    EXPECT_EQ(r["status"], "ok") << r.dump();
    EXPECT_EQ(r["output"], std::to_string(id * id) + "\n") << r.dump();
  }
  if (n) {
    EXPECT_EQ(records.size(), static_cast<std::size_t>(*n));
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(*n));
    if (!ids.empty()) {
      EXPECT_EQ(*ids.begin(), 1);
      EXPECT_EQ(*ids.rbegin(), *n);
    }
  }
}

// Sum of the first number captured by `pattern` over every match in `text`.
std::uint64_t sum_matches(const std::string& text, const std::string& pattern) {
  std::uint64_t sum = 0;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
    sum += std::stoull((*it)[1].str());
  return sum;
}

nlohmann::json summary_of(const std::filesystem::path& file) { return nlohmann::json::parse(read_file(file)); }

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
  const std::vector<std::string> sink_args{"sink", "-c", file, "--summary", (dir / "s.json").string()};
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
  EXPECT_EQ(sink->wait(10s), 0) << read_file(dir / "sink2.err");

  const std::string sink_log = read_file(dir / "sink2.err");
  EXPECT_NE(sink_log.find("cut a torn last line"), std::string::npos) << sink_log;
  EXPECT_NE(sink_log.find("resuming with " + std::to_string(before) + " records"), std::string::npos) << sink_log;
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

// --- 5. drain ---------------------------------------------------------------------------

TEST(Reliability, SigtermToAWorkerHandsBackAndFinishesItsTasks) {
  TempDir dir;
  Batch b;
  b.count = 16;
  b.command = "sleep 0.3; echo $(( {} * {} ))";
  b.workers = "{ slots: 2, prefetch: 2 }";
  const std::string file = b.write(dir);
  Child sink = start_zpipe({"sink", "-c", file, "--summary", (dir / "s.json").string()}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child victim = start_zpipe({"worker", "-c", file, "--name", "victim"}, dir, "victim");
  Child other = start_zpipe({"worker", "-c", file, "--name", "other"}, dir, "other");
  // The victim has finished a task and holds its next ones (2 running, 2 prefetched).
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& r : test::read_whole_records(dir / "out.jsonl"))
          if (r["worker"] == "victim") return true;
        return false;
      },
      20s));
  const auto signalled = std::chrono::steady_clock::now();
  victim.signal(SIGTERM);
  EXPECT_EQ(victim.wait(10s), 0) << read_file(dir / "victim.err");
  const auto drain_time = std::chrono::steady_clock::now() - signalled;
  EXPECT_LT(drain_time, 3s) << "running tasks take 0.3 s";
  EXPECT_EQ(other.wait(30s), 0) << read_file(dir / "other.err");
  EXPECT_EQ(vent.wait(10s), 0) << read_file(dir / "vent.err");
  EXPECT_EQ(sink.wait(10s), 0) << read_file(dir / "sink.err");

  const auto records = test::read_jsonl(dir / "out.jsonl");
  expect_square_records(records, b.count);
  for (const auto& r : records) EXPECT_EQ(r["attempts"], 1) << "a drained worker's tasks are not lost: " << r.dump();
  const std::string vent_log = read_file(dir / "vent.err");
  const std::uint64_t handed_back = sum_matches(vent_log, R"(worker 'victim' leaving, handed back (\d+) tasks)");
  const std::uint64_t rerun = sum_matches(vent_log, R"(worker 'victim' left; (\d+) unfinished tasks will run again)");
  EXPECT_NE(vent_log.find("worker 'victim' left"), std::string::npos) << vent_log;
  EXPECT_EQ(rerun, 0u) << "the victim finished its running tasks: none should run again\n" << vent_log;
  const auto s = summary_of(dir / "s.json");
  EXPECT_EQ(s["duplicates"], 0) << "no task of the drained worker ran twice";
  std::cout << "[ SIGTERM worker ] exit 0 after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(drain_time).count() << " ms, handed back "
            << handed_back << " tasks, " << rerun << " run again\n";
}

TEST(Reliability, SigtermToAWorkerKillsTasksAfterGraceAndTheyRunElsewhere) {
  TempDir dir;
  Batch b;
  b.count = 6;
  b.command = logged(dir, "if [ {} -le 2 ]; then sleep 1; fi; echo $(( {} * {} ))");
  b.workers = "{ slots: 2, grace: 300ms }";
  const std::string file = b.write(dir);
  Child sink = start_zpipe({"sink", "-c", file}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child victim = start_zpipe({"worker", "-c", file, "--name", "victim"}, dir, "victim");
  ASSERT_TRUE(wait_until([&] { return executions(dir).size() >= 2; }, 20s));  // tasks 1 and 2 run
  const auto signalled = std::chrono::steady_clock::now();
  victim.signal(SIGTERM);
  EXPECT_EQ(victim.wait(5s), 0) << read_file(dir / "victim.err");
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 900ms) << "grace is 300 ms; the tasks would take 1 s";
  EXPECT_NE(read_file(dir / "victim.err").find("grace period over; killing 2 running tasks"), std::string::npos)
      << read_file(dir / "victim.err");
  Child rescuer = start_zpipe({"worker", "-c", file, "--name", "rescuer"}, dir, "rescuer");
  EXPECT_EQ(rescuer.wait(20s), 0) << read_file(dir / "rescuer.err");
  EXPECT_EQ(vent.wait(10s), 0) << read_file(dir / "vent.err");
  EXPECT_EQ(sink.wait(10s), 0) << read_file(dir / "sink.err");
  const auto records = test::read_jsonl(dir / "out.jsonl");
  expect_square_records(records, b.count);
  for (const auto& r : records) {
    EXPECT_EQ(r["worker"], "rescuer") << r.dump();
    EXPECT_EQ(r["attempts"], r["id"].get<int>() <= 2 ? 2 : 1) << r.dump();
  }
}

TEST(Reliability, SecondSigtermToAWorkerAbortsWithoutRecordingKilledTasks) {
  TempDir dir;
  Batch b;
  b.count = 4;
  const std::string rescue = (dir / "rescue").string();
  b.command = logged(dir, "if [ {} -le 2 ] && [ ! -e " + rescue + " ]; then sleep 20; fi; echo $(( {} * {} ))");
  b.workers = "{ slots: 2 }";  // default grace: 30 s
  const std::string file = b.write(dir);
  Child sink = start_zpipe({"sink", "-c", file}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child victim = start_zpipe({"worker", "-c", file, "--name", "victim"}, dir, "victim");
  ASSERT_TRUE(wait_until([&] { return executions(dir).size() >= 2; }, 20s));  // tasks 1 and 2 run
  victim.signal(SIGTERM);
  ASSERT_TRUE(wait_until([&] { return read_file(dir / "victim.err").find("leaving") != std::string::npos; }, 5s));
  const auto second = std::chrono::steady_clock::now();
  victim.signal(SIGTERM);
  EXPECT_EQ(victim.wait(5s), 0) << read_file(dir / "victim.err");
  EXPECT_LT(std::chrono::steady_clock::now() - second, 2s);
  test::write_file(rescue, "");
  Child rescuer = start_zpipe({"worker", "-c", file, "--name", "rescuer"}, dir, "rescuer");
  EXPECT_EQ(rescuer.wait(20s), 0) << read_file(dir / "rescuer.err");
  EXPECT_EQ(vent.wait(10s), 0) << read_file(dir / "vent.err");
  EXPECT_EQ(sink.wait(10s), 0) << read_file(dir / "sink.err");
  const auto records = test::read_jsonl(dir / "out.jsonl");
  expect_square_records(records, b.count);  // all ok: the killed attempts left no record
  for (const auto& r : records) {
    EXPECT_EQ(r["worker"], "rescuer") << r.dump();
    EXPECT_EQ(r["attempts"], r["id"].get<int>() <= 2 ? 2 : 1) << r.dump();
  }
}

TEST(Reliability, SigintToRunRecordsWhatIsInFlightExits130ThenResumeCompletes) {
  TempDir dir;
  Batch b;
  b.count = 40;
  b.command = logged(dir, "sleep 0.1; echo $(( {} * {} ))");
  const std::string file = b.write(dir);
  Child run = start_zpipe({"run", file}, dir, "run1");
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.jsonl") >= 4; }, 20s));
  run.signal(SIGINT);
  EXPECT_EQ(run.wait(10s), 130) << read_file(dir / "run1.err");
  const auto partial = test::read_jsonl(dir / "out.jsonl");  // whole lines only: parses or throws
  expect_square_records(partial);
  const std::set<long long> recorded = ids_of(partial);
  EXPECT_LT(recorded.size(), static_cast<std::size_t>(b.count));
  for (const auto& [id, n] : executions(dir))
    EXPECT_TRUE(recorded.contains(id)) << "task " << id << " started before the drain but has no record";

  // The same pipeline with `resume: true` in the file.
  Batch again = b;
  again.extra = "resume: true\n";
  const std::string resumed = again.write(dir, "resume.yaml");
  const auto o = test::run_zpipe({"run", resumed}, dir, "", 30s);
  EXPECT_EQ(o.code, 0) << o.err;
  expect_square_records(test::read_jsonl(dir / "out.jsonl"), b.count);
  for (const auto& [id, n] : executions(dir)) EXPECT_EQ(n, 1) << "task " << id << " ran twice";
  std::cout << "[ SIGINT zpipe run ] exit 130 with " << recorded.size() << " records; resume ran the other "
            << b.count - static_cast<int>(recorded.size()) << "\n";
}

TEST(Reliability, SecondSigintToRunAbortsAtOnce) {
  TempDir dir;
  Batch b;
  b.count = 10;
  b.command = logged(dir, "sleep 20; echo $(( {} * {} ))");
  b.task_keys = ", retries: 2";  // a killed task must not be retried either
  b.workers = "{ count: 1, slots: 2 }";
  const std::string file = b.write(dir);
  Child run = start_zpipe({"run", file}, dir, "run");
  ASSERT_TRUE(wait_until([&] { return executions(dir).size() >= 2; }, 20s));
  run.signal(SIGINT);
  ASSERT_TRUE(wait_until([&] { return read_file(dir / "run.err").find("received: finishing") != std::string::npos; },
                         5s));
  const auto second = std::chrono::steady_clock::now();
  run.signal(SIGINT);
  EXPECT_EQ(run.wait(10s), 130) << read_file(dir / "run.err");
  EXPECT_LT(std::chrono::steady_clock::now() - second, 3s);
  // Tasks killed by the abort are not failures: no record, so --resume runs them again.
  EXPECT_EQ(read_file(dir / "out.jsonl"), "");
}

TEST(Reliability, SigtermToVentilatorHaltsTheBatchThenARestartCompletesIt) {
  TempDir dir;
  Batch b;
  b.count = 30;
  b.command = logged(dir, "sleep 0.1; echo $(( {} * {} ))");
  const std::string file = b.write(dir);
  std::optional<Child> sink(start_zpipe({"sink", "-c", file}, dir, "sink"));
  std::optional<Child> vent(start_zpipe({"ventilator", "-c", file}, dir, "vent"));
  Child w = start_zpipe({"worker", "-c", file, "--name", "w", "--keep-alive"}, dir, "w");
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.jsonl") >= 5; }, 20s));
  vent->signal(SIGTERM);
  EXPECT_EQ(vent->wait(10s), 143) << read_file(dir / "vent.err");
  EXPECT_EQ(sink->wait(10s), 1) << "a halted batch is not a success\n" << read_file(dir / "sink.err");
  const auto partial = test::read_jsonl(dir / "out.jsonl");
  expect_square_records(partial);
  EXPECT_LT(partial.size(), static_cast<std::size_t>(b.count));
  const std::set<long long> recorded = ids_of(partial);
  for (const auto& [id, n] : executions(dir))
    EXPECT_TRUE(recorded.contains(id)) << "task " << id << " started before the drain but has no record";

  // The kept-alive worker serves the restarted batch; the sink continues its journal.
  sink.emplace(start_zpipe({"sink", "-c", file}, dir, "sink2"));
  vent.emplace(start_zpipe({"ventilator", "-c", file}, dir, "vent2"));
  EXPECT_EQ(vent->wait(30s), 0) << read_file(dir / "vent2.err");
  EXPECT_EQ(sink->wait(10s), 0) << read_file(dir / "sink2.err");
  expect_square_records(test::read_jsonl(dir / "out.jsonl"), b.count);
  for (const auto& [id, n] : executions(dir)) EXPECT_EQ(n, 1) << "task " << id << " ran twice";
  w.signal(SIGTERM);
  EXPECT_EQ(w.wait(10s), 0) << read_file(dir / "w.err");
}

// --- 6. halt ------------------------------------------------------------------------------

void expect_halted_records(const std::vector<nlohmann::json>& records, int inputs) {
  EXPECT_LT(records.size(), static_cast<std::size_t>(inputs)) << "the batch must stop early";
  std::set<long long> ids;
  std::size_t failed = 0;
  for (const auto& r : records) {
    const long long id = r["id"].get<long long>();
    EXPECT_TRUE(ids.insert(id).second) << r.dump();
    EXPECT_EQ(r["input"], std::to_string(id));
    if (id % 7 == 0) {
      ++failed;
      EXPECT_EQ(r["status"], "failed") << r.dump();
      EXPECT_EQ(r["exit_code"], 3) << r.dump();
    } else {
      EXPECT_EQ(r["status"], "ok") << r.dump();
      EXPECT_EQ(r["output"], std::to_string(id) + "\n") << r.dump();
    }
  }
  EXPECT_GE(failed, 2u);
}

TEST(Reliability, HaltOnFailureStopsEarlyWithExitOne) {
  TempDir dir;
  std::string inputs;
  for (int i = 1; i <= 80; ++i) inputs += std::to_string(i) + "\n";
  const auto out = dir / "flag.jsonl";
  const auto o = test::run_zpipe({"run", "-j", "2", "--halt-on-failure", "2", "--output", out.string(), "--",
                                  "sleep 0.05; test $(( {} % 7 )) -ne 0 || exit 3; echo {}"},
                                 dir, inputs, 30s);
  EXPECT_EQ(o.code, 1) << o.err;
  expect_halted_records(test::read_jsonl(out), 80);

  Batch b;
  b.count = 80;
  b.command = "sleep 0.05; test $(( {} % 7 )) -ne 0 || exit 3; echo {}";
  b.extra = "halt: { on: failure, after: 2 }\n";
  const auto f = test::run_zpipe({"run", b.write(dir)}, dir, "", 30s);
  EXPECT_EQ(f.code, 1) << f.err;
  expect_halted_records(test::read_jsonl(dir / "out.jsonl"), 80);
}

// --- 7. unwritable output -------------------------------------------------------------------

TEST(Reliability, UnwritableOutputIsARuntimeErrorNamingTheFile) {
  TempDir dir;
  std::string inputs;
  for (int i = 1; i <= 50; ++i) inputs += std::to_string(i) + "\n";
  const auto o = test::run_zpipe({"run", "--output", "/dev/full", "--", "echo {}"}, dir, inputs, 30s);
  EXPECT_EQ(o.code, 3) << o.err;
  EXPECT_NE(o.err.find("/dev/full"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("No space left on device"), std::string::npos) << o.err;

  // Separate processes: the sink fails, and the ventilator, never acknowledged, does not
  // declare the batch done.
  Batch b;
  b.count = 50;
  const std::string file = b.write(dir);
  Child sink = start_zpipe({"sink", "-c", file, "--output", "/dev/full"}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child w = start_zpipe({"worker", "-c", file}, dir, "w");
  EXPECT_EQ(sink.wait(20s), 3) << read_file(dir / "sink.err");
  EXPECT_NE(read_file(dir / "sink.err").find("/dev/full"), std::string::npos) << read_file(dir / "sink.err");
  EXPECT_EQ(vent.wait(1500ms), -1) << "nothing was written, so nothing may be acknowledged\n"
                                   << read_file(dir / "vent.err");
}

// --- 8. --resume-failed ----------------------------------------------------------------------

TEST(Reliability, ResumeFailedRerunsOnlyFailedTasks) {
  TempDir dir;
  Batch b;
  b.count = 40;
  const std::string fixed = (dir / "fixed").string();
  b.command = logged(dir, "if [ -e " + fixed + " ] || [ $(( {} % 4 )) -ne 0 ]; then echo $(( {} * {} )); else exit 9; fi");
  const std::string file = b.write(dir);
  const auto first = test::run_zpipe({"run", file}, dir, "", 30s);
  EXPECT_EQ(first.code, 1) << first.err;
  std::size_t failed = 0;
  for (const auto& r : test::read_jsonl(dir / "out.jsonl")) failed += r["status"] == "failed";
  EXPECT_EQ(failed, 10u);

  test::write_file(fixed, "");
  const auto second = test::run_zpipe({"run", file, "--resume-failed"}, dir, "", 30s);
  EXPECT_EQ(second.code, 0) << second.err;
  const auto records = test::read_jsonl(dir / "out.jsonl");
  expect_square_records(records, b.count);
  for (const auto& r : records) EXPECT_EQ(r["exit_code"], 0);
  for (const auto& [id, n] : executions(dir)) EXPECT_EQ(n, id % 4 == 0 ? 2 : 1) << "task " << id;
  EXPECT_EQ(executions(dir).size(), 40u);
}

}  // namespace
}  // namespace zpipe
