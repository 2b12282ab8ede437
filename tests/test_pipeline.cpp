// The three roles in one test process, on real TCP sockets on 127.0.0.1 with ephemeral ports.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <set>
#include <thread>

#include <zmq.hpp>

#include "pipeline_harness.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using test::expect_exactly_once;
using test::Harness;
using test::shell_pipeline;

TEST(Pipeline, ThreeRolesComputeEverySquareOnce) {
  test::TempDir dir;
  const auto out = dir / "out.jsonl";
  // Each task takes a few ms, so all three workers are connected long before the end.
  Harness h(shell_pipeline(200, "sleep 0.005; echo $(( {} * {} ))"), out);
  h.add_worker("a");
  h.add_worker("b");
  h.add_worker("c");
  const sink::Summary s = h.finish();
  EXPECT_TRUE(s.completed);
  EXPECT_EQ(s.ok, 200u);
  EXPECT_EQ(s.duplicates, 0u);
  const auto records = test::read_jsonl(out);
  expect_exactly_once(records, 200);
  std::set<std::string> workers;
  for (const auto& r : records) {
    const long long x = std::stoll(r["input"].get<std::string>());
    EXPECT_EQ(r["input"], std::to_string(r["id"].get<long long>()));
    EXPECT_EQ(r["output"], std::to_string(x * x) + "\n");
    EXPECT_EQ(r["status"], "ok");
    EXPECT_EQ(r["exit_code"], 0);
    EXPECT_EQ(r["attempts"], 1);
    EXPECT_EQ(r["stderr"], "");
    EXPECT_TRUE(r["ms"].is_number());
    EXPECT_FALSE(r.contains("truncated"));
    workers.insert(r["worker"].get<std::string>());
  }
  EXPECT_GE(workers.size(), 2u) << "work should spread over the workers";
  EXPECT_TRUE(h.ventilator_report().completed);
  EXPECT_EQ(h.ventilator_report().total, 200u);
}

TEST(Pipeline, LateJoiningWorkerReceivesWork) {
  test::TempDir dir;
  const auto out = dir / "out.jsonl";
  config::Pipeline p = shell_pipeline(0, "");
  p.source = config::RangeSource{1, 40};
  p.task.kind = config::TaskKind::builtin;
  p.task.builtin = config::Builtin::sleep;
  p.task.ms = 50;
  Harness h(p, out);
  h.add_worker("early");
  std::this_thread::sleep_for(300ms);  // the early worker is busy with the batch by now
  h.add_worker("late");
  const sink::Summary s = h.finish();
  EXPECT_TRUE(s.completed);
  const auto records = test::read_jsonl(out);
  expect_exactly_once(records, 40);
  std::size_t late = 0;
  for (const auto& r : records) late += r["worker"] == "late";
  EXPECT_GT(late, 5u) << "a worker that joins late must get a share of the remaining tasks";
}

TEST(Pipeline, BusyWorkerIsNotHandedAQueue) {
  // Task 1 takes long; with credit = slots the busy worker must not hoard tasks 2..n.
  test::TempDir dir;
  const auto out = dir / "out.jsonl";
  config::Pipeline p = shell_pipeline(0, "");
  p.source = config::ItemsSource{{"1500", "10", "10", "10", "10", "10", "10", "10", "10", "10"}};
  p.task.kind = config::TaskKind::builtin;
  p.task.builtin = config::Builtin::sleep;
  Harness h(p, out);
  h.add_worker("first");
  std::this_thread::sleep_for(200ms);
  h.add_worker("second");
  h.finish();
  const auto records = test::read_jsonl(out);
  expect_exactly_once(records, 10);
  for (const auto& r : records) {
    if (r["id"] == 1) continue;
    EXPECT_EQ(r["worker"], "second") << "task " << r["id"] << " waited behind the long task";
  }
}

TEST(Pipeline, FailingTaskIsRetriedThenRecordedFailed) {
  test::TempDir dir;
  const auto out = dir / "out.jsonl";
  config::Pipeline p = shell_pipeline(5, "test {} -ne 3 || exit 7");
  p.task.retries = 2;
  Harness h(p, out);
  h.add_worker("w");
  const sink::Summary s = h.finish();
  EXPECT_EQ(s.ok, 4u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(h.ventilator_report().failed, 1u);
  for (const auto& r : test::read_jsonl(out)) {
    if (r["id"] == 3) {
      EXPECT_EQ(r["status"], "failed");
      EXPECT_EQ(r["exit_code"], 7);
      EXPECT_EQ(r["attempts"], 3);
    } else {
      EXPECT_EQ(r["status"], "ok");
      EXPECT_EQ(r["attempts"], 1);
    }
  }
}

TEST(Pipeline, OrderedSinkWritesInInputOrder) {
  test::TempDir dir;
  const auto out = dir / "out.jsonl";
  config::Pipeline p = shell_pipeline(0, "");
  p.source = config::ItemsSource{{"300", "10", "200", "10", "100", "10"}};
  p.task.kind = config::TaskKind::builtin;
  p.task.builtin = config::Builtin::sleep;
  p.workers.slots = 6;
  Harness h(p, out, true);
  h.add_worker("w");
  h.finish();
  const auto records = test::read_jsonl(out);
  ASSERT_EQ(records.size(), 6u);
  for (std::size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i]["id"], i + 1);
}

TEST(Pipeline, EmptySourceCompletesAtOnce) {
  test::TempDir dir;
  const auto out = dir / "out.jsonl";
  Harness h(shell_pipeline(0, "true"), out);
  h.add_worker("w");
  const sink::Summary s = h.finish();
  EXPECT_TRUE(s.completed);
  EXPECT_EQ(s.total, 0u);
  EXPECT_TRUE(test::read_jsonl(out).empty());
}

TEST(Pipeline, WorkerWithDifferentTaskIsRefusedByName) {
  test::TempDir dir;
  const auto out = dir / "out.jsonl";
  config::Pipeline p = shell_pipeline(20, "echo {}");
  Harness h(p, out);
  config::Pipeline other = p;
  other.task.shell = "echo other {}";
  h.add_worker("stranger", &other);
  h.add_worker("good");
  h.finish();
  const auto& reports = h.worker_reports();
  EXPECT_TRUE(reports[0].refused);
  EXPECT_NE(reports[0].refusal.find("pipeline mismatch"), std::string::npos) << reports[0].refusal;
  EXPECT_NE(reports[0].refusal.find("stranger"), std::string::npos) << reports[0].refusal;
  EXPECT_FALSE(reports[1].refused);
  for (const auto& r : test::read_jsonl(out)) EXPECT_EQ(r["worker"], "good");
}

TEST(Pipeline, TasksOfAStoppedWorkerAreRedelivered) {
  test::TempDir dir;
  const auto out = dir / "out.jsonl";
  config::Pipeline p = shell_pipeline(0, "");
  p.source = config::RangeSource{1, 30};
  p.task.kind = config::TaskKind::builtin;
  p.task.builtin = config::Builtin::sleep;
  p.task.ms = 100;
  p.workers.slots = 3;
  Harness h(p, out);
  worker::Worker& doomed = h.add_worker("doomed");
  std::this_thread::sleep_for(150ms);  // it holds three tasks now
  doomed.abort();                      // gone without reporting them: like a crash
  h.add_worker("survivor");
  const sink::Summary s = h.finish();
  EXPECT_TRUE(s.completed);
  expect_exactly_once(test::read_jsonl(out), 30);
  EXPECT_GE(h.ventilator_report().redelivered, 1u);
}

}  // namespace
}  // namespace zpipe
