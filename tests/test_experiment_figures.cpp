// Issue 15, "scaling experiments": the figure math of zpipe experiment against values
// computed by hand, and the sweep's expansion into runs.
#include <gtest/gtest.h>

#include "zpipe/config/pipeline.hpp"
#include "zpipe/experiment/figures.hpp"
#include "zpipe/experiment/sweep.hpp"

namespace zpipe {
namespace {

using namespace zpipe::experiment;

TEST(ExperimentFigures, PercentileInterpolatesBetweenClosestRanks) {
  // Sorted: 1 2 3 4 5 6 7 8 9 10. Rank h = 9q.
  const std::vector<double> v{10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
  EXPECT_DOUBLE_EQ(*percentile(v, 0.0), 1);
  EXPECT_DOUBLE_EQ(*percentile(v, 1.0), 10);
  EXPECT_DOUBLE_EQ(*percentile(v, 0.5), 5.5);    // h = 4.5: 5 + 0.5 x (6 - 5)
  EXPECT_DOUBLE_EQ(*percentile(v, 0.95), 9.55);  // h = 8.55: 9 + 0.55 x 1
  EXPECT_NEAR(*percentile(v, 0.99), 9.91, 1e-12);  // h = 8.91
  EXPECT_DOUBLE_EQ(*percentile({42}, 0.99), 42);
  EXPECT_FALSE(percentile({}, 0.5));
  EXPECT_DOUBLE_EQ(*median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(*median({4, 1, 3, 2}), 2.5);
}

TEST(ExperimentFigures, SpeedupAndEfficiency) {
  // 100 tasks/s on 1 worker, 350 tasks/s on 4: S = 3.5, E = 3.5 / 4 = 0.875.
  EXPECT_DOUBLE_EQ(*speedup(350, 100), 3.5);
  EXPECT_DOUBLE_EQ(*efficiency(3.5, 4, 1), 0.875);
  // Against a base of 2 workers: 8 workers are r = 4 times as many.
  EXPECT_DOUBLE_EQ(*efficiency(3.0, 8, 2), 0.75);
  EXPECT_FALSE(speedup(0, 100));
  EXPECT_FALSE(speedup(100, 0));
  EXPECT_FALSE(efficiency(1, 0, 1));
}

TEST(ExperimentFigures, KarpFlattSerialFraction) {
  // S = 3.5 on p = 4: e = (1/3.5 - 1/4) / (1 - 1/4) = (0.285714... - 0.25) / 0.75 = 0.047619...
  EXPECT_NEAR(*karp_flatt(3.5, 4, 1), 1.0 / 21.0, 1e-12);
  // Perfect speedup: no serial fraction. No speedup at all: everything is serial.
  EXPECT_NEAR(*karp_flatt(8, 8, 1), 0, 1e-12);
  EXPECT_NEAR(*karp_flatt(1, 8, 1), 1, 1e-12);
  // S = 2 on p = 2: e = (0.5 - 0.5) / 0.5 = 0. S = 1.5: (2/3 - 1/2) / (1/2) = 1/3.
  EXPECT_NEAR(*karp_flatt(1.5, 2, 1), 1.0 / 3.0, 1e-12);
  // Undefined at the base itself (0/0), and without a speedup.
  EXPECT_FALSE(karp_flatt(1, 1, 1));
  EXPECT_FALSE(karp_flatt(1, 4, 4));
  EXPECT_FALSE(karp_flatt(0, 4, 1));
}

TEST(ExperimentFigures, IdealMakespan) {
  // 200 tasks of 10 ms on 64 slots: ceil(200/64) = 4 rounds = 40 ms.
  EXPECT_DOUBLE_EQ(ideal_makespan(200, 64, 0.010), 0.040);
  EXPECT_DOUBLE_EQ(ideal_makespan(200, 1, 0.005), 1.0);
  EXPECT_DOUBLE_EQ(ideal_makespan(200, 200, 0.1), 0.1);
  EXPECT_DOUBLE_EQ(ideal_makespan(200, 0, 0.1), 0);
  // Measured bound: max(sum / p, longest) = max(0.6 / 2, 0.4) = 0.4, and max(0.6 / 1, 0.4) = 0.6.
  EXPECT_DOUBLE_EQ(*makespan_bound({0.1, 0.1, 0.4}, 2), 0.4);
  EXPECT_DOUBLE_EQ(*makespan_bound({0.1, 0.1, 0.4}, 1), 0.6);
  EXPECT_FALSE(makespan_bound({}, 2));
}

TEST(ExperimentSweep, ExpandsTheCartesianProductWithWarmupsFirst) {
  const Sweep sweep = parse_sweep(R"(
version: 1
name: s
pipeline: { version: 1, name: p, source: { range: { count: 7 } }, task: { builtin: noop } }
repetitions: 2
warmup: 1
axes:
  workers: [1, 2, 4]
  mode: [processes, threads]
  task: sleep
  task_ms: [1, 10]
)",
                                  "sweep.yaml");
  EXPECT_EQ(sweep.tasks, 7u);
  const auto all = combinations(sweep);
  ASSERT_EQ(all.size(), 3u * 2 * 2);
  // The last axis varies fastest.
  EXPECT_EQ(all[0].workers, 1u);
  EXPECT_EQ(*all[0].task_ms, 1u);
  EXPECT_EQ(*all[1].task_ms, 10u);
  EXPECT_EQ(all[2].mode, WorkerMode::threads);
  EXPECT_EQ(all[4].workers, 2u);
  const auto runs = plan_runs(sweep);
  ASSERT_EQ(runs.size(), 12u * 3);
  EXPECT_EQ(runs[0].repetition, 0u);    // a warm-up round first
  EXPECT_EQ(runs[11].repetition, 0u);
  EXPECT_EQ(runs[12].repetition, 1u);   // then each repetition round, every combination once
  EXPECT_EQ(runs[24].repetition, 2u);
  EXPECT_EQ(runs[13].combination, 1u);

  // threads: one worker process with workers x slots slots; the builtin gets the duration.
  const config::Pipeline threads = pipeline_for(sweep, all[2]);
  EXPECT_EQ(threads.workers.count, 1u);
  EXPECT_EQ(threads.task.builtin, config::Builtin::sleep);
  EXPECT_EQ(*threads.task.ms, 1u);
  const config::Pipeline processes = pipeline_for(sweep, all[4]);
  EXPECT_EQ(processes.workers.count, 2u);
  EXPECT_EQ(processes.workers.slots, 1u);
}

TEST(ExperimentSweep, ErrorsNameFileLineColumnAndKey) {
  auto error_of = [](const std::string& text) {
    try {
      parse_sweep(text, "s.yaml");
    } catch (const config::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string head = "version: 1\nname: s\npipeline: { version: 1, name: p, source: { range: { count: 3 } }, task: { builtin: noop } }\n";
  EXPECT_EQ(error_of(head + "axes:\n  wrokers: [1]\n"), "s.yaml:5:3: unknown key 'axes.wrokers' (did you mean 'workers'?)");
  EXPECT_EQ(error_of(head + "axes:\n  workers: [1, 0]\n"), "s.yaml:5:16: axes.workers[1]: must be at least 1, got 0");
  EXPECT_EQ(error_of(head + "repetitons: 3\n"), "s.yaml:4:1: unknown key 'repetitons' (did you mean 'repetitions'?)");
  EXPECT_EQ(error_of(head + "axes:\n  mode: thread\n"),
            "s.yaml:5:9: axes.mode: expected one of processes threads, got 'thread' (did you mean 'threads'?)");
  EXPECT_EQ(error_of(head + "axes:\n  transport: [tcp, ipc]\n  hosts: [1, 2]\n"),
            "s.yaml:6:3: axes.hosts: more than 1 host needs transport tcp (axes.transport has 'ipc')");
  EXPECT_EQ(error_of(head + "axes:\n  task_ms: [5]\n"),
            "s.yaml:5:3: axes.task_ms: only for sleep or spin tasks (the task of the pipeline, builtin noop takes no "
            "duration)");
}

}  // namespace
}  // namespace zpipe
