// The built-in sleep runs as timers on the worker's loop thread (worker/src/sleep_timers):
// its records must equal what run_task (the threaded path) makes of the same task, its
// slots must bound how many sleep at once, and a stopped worker must not wait them out.
#include <gtest/gtest.h>

#include <future>

#include "pipeline_harness.hpp"
#include "zpipe/worker/task_runner.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using test::expect_exactly_once;
using test::Harness;

using test::sleep_pipeline;

TEST(SleepTasks, RecordsEqualRunTasksOnOkTimeoutAndBadInput) {
  test::TempDir dir;
  const auto out = dir / "out.jsonl";
  const std::vector<std::string> inputs{"5", "200", "not-a-number", "0"};
  config::Pipeline p = sleep_pipeline(inputs, 4);
  p.task.timeout = 40ms;
  p.task.retries = 2;
  Harness h(p, out);
  h.add_worker("w");
  EXPECT_TRUE(h.finish().completed);
  const auto records = test::read_jsonl(out);
  expect_exactly_once(records, inputs.size());
  for (const auto& r : records) {
    const auto id = r["id"].get<std::uint64_t>();
    const core::TaskResult want = worker::run_task(p.task, id, inputs[id - 1], 0);
    EXPECT_EQ(r["input"], want.input) << r.dump();
    EXPECT_EQ(r["status"], core::to_string(want.status)) << r.dump();
    if (want.exit_code) {
      EXPECT_EQ(r["exit_code"], *want.exit_code) << r.dump();
    } else {
      EXPECT_TRUE(r["exit_code"].is_null()) << r.dump();
    }
    EXPECT_EQ(r["attempts"], want.attempts) << r.dump();
    EXPECT_EQ(r["output"], want.output) << r.dump();
    EXPECT_EQ(r["stderr"], want.error) << r.dump();
  }
  // The timed-out task ran three times, each cut at the timeout; the record is the last.
  EXPECT_EQ(records.size(), 4u);
  for (const auto& r : records) {
    if (r["id"] == 2) {
      EXPECT_EQ(r["status"], "timeout");
      EXPECT_GE(r["ms"].get<double>(), 40.0);
    }
    if (r["id"] == 1) {
      EXPECT_GE(r["ms"].get<double>(), 5.0);
    }
  }
}

TEST(SleepTasks, SlotsBoundHowManySleepAtOnce) {
  test::TempDir dir;
  const auto out = dir / "out.jsonl";
  // Six 100 ms sleeps on one worker with two slots: three rounds, never fewer.
  Harness h(sleep_pipeline(std::vector<std::string>(6, "100"), 2), out);
  const auto start = std::chrono::steady_clock::now();
  h.add_worker("w");
  EXPECT_TRUE(h.finish().completed);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms) << "more than two sleeps overlapped";
  expect_exactly_once(test::read_jsonl(out), 6);
}

TEST(SleepTasks, StoppedWorkerAbandonsItsSleepsAtOnce) {
  test::TempDir dir;
  const auto out = dir / "out.jsonl";
  // The second sleeps 2^62 ms: its deadline must be clamped, not overflow (UBSan watches).
  config::Pipeline p = sleep_pipeline({"60000", "4611686018427387904"}, 2);
  zmq::context_t context;
  ventilator::Ventilator vent(context, p, "tcp://127.0.0.1:*");
  sink::Options o;
  o.bind = "tcp://127.0.0.1:*";
  o.ventilator = vent.endpoint();
  o.output = out.string();
  sink::Sink sink(context, p, o);
  auto vent_done = std::async(std::launch::async, [&] { return vent.run(); });
  auto sink_done = std::async(std::launch::async, [&] { return sink.run(); });
  auto w = std::make_unique<worker::Worker>(context, p, worker::Options{vent.endpoint(), sink.endpoint(), "w", false, {}, {}});
  auto worker_done = std::async(std::launch::async, [&] { return w->run(); });
  std::this_thread::sleep_for(300ms);  // both sleeps have started
  w->abort();
  EXPECT_EQ(worker_done.wait_for(5s), std::future_status::ready) << "the worker waited for its sleeps";
  // The executor goes too: a thread pool would wait out its 60 s sleeps here.
  auto destroyed = std::async(std::launch::async, [&] { w.reset(); });
  EXPECT_EQ(destroyed.wait_for(5s), std::future_status::ready) << "the executor waited for its sleeps";
  vent.stop();
  sink.stop();
  vent_done.wait();
  sink_done.wait();
  EXPECT_TRUE(test::read_jsonl(out).empty());
}

}  // namespace
}  // namespace zpipe
