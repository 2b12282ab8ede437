// What zpipe promises when it is told to stop (SIGTERM, SIGINT, a halt policy) or cannot
// write: the real binary, real signals, real TCP ports. Every test checks the output file.
#include <gtest/gtest.h>

#include <signal.h>

#include <iostream>

#include "reliability_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;  // reliability_support.hpp and test_support.hpp

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
  EXPECT_EQ(victim.wait(10s), 128 + SIGTERM) << read_file(dir / "victim.err");
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
  std::cout << "[ SIGTERM worker ] exit 143 after "
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
  EXPECT_EQ(victim.wait(5s), 128 + SIGTERM) << read_file(dir / "victim.err");
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
  EXPECT_EQ(victim.wait(5s), 128 + SIGTERM) << read_file(dir / "victim.err");
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
  sink.emplace(start_zpipe({"sink", "-c", file, "--resume"}, dir, "sink2"));
  vent.emplace(start_zpipe({"ventilator", "-c", file}, dir, "vent2"));
  EXPECT_EQ(vent->wait(30s), 0) << read_file(dir / "vent2.err");
  EXPECT_EQ(sink->wait(10s), 0) << read_file(dir / "sink2.err");
  expect_square_records(test::read_jsonl(dir / "out.jsonl"), b.count);
  for (const auto& [id, n] : executions(dir)) EXPECT_EQ(n, 1) << "task " << id << " ran twice";
  w.signal(SIGTERM);
  EXPECT_EQ(w.wait(10s), 128 + SIGTERM) << read_file(dir / "w.err");
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
