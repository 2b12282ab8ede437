// The cartesian product of a sweep's axes, the order of its runs, and each run's pipeline.

#include "zpipe/experiment/sweep.hpp"

namespace zpipe::experiment {

std::vector<Parameters> combinations(const Sweep& sweep) {
  const Axes& a = sweep.axes;
  std::vector<Parameters> out;
  // The file's order of axes (workers first) with the last varying fastest: runs.csv then
  // reads like nested loops.
  for (auto workers : a.workers)
    for (auto slots : a.slots)
      for (auto mode : a.mode)
        for (const auto& task : a.task)
          for (const auto& task_ms : a.task_ms)
            for (const auto& payload : a.payload)
              for (auto transport : a.transport)
                for (const auto& prefetch : a.prefetch)
                  for (auto hosts : a.hosts)
                    out.push_back(Parameters{workers, slots, mode, task, task_ms, payload, transport, prefetch, hosts});
  return out;
}

std::vector<RunPlan> plan_runs(const Sweep& sweep) {
  const std::vector<Parameters> all = combinations(sweep);
  std::vector<RunPlan> runs;
  runs.reserve(all.size() * (sweep.warmup + sweep.repetitions));
  for (std::uint32_t round = 0; round < sweep.warmup + sweep.repetitions; ++round) {
    const std::uint32_t repetition = round < sweep.warmup ? 0 : round - sweep.warmup + 1;
    for (std::size_t i = 0; i < all.size(); ++i) runs.push_back(RunPlan{i, repetition, all[i]});
  }
  return runs;
}

config::Pipeline pipeline_for(const Sweep& sweep, const Parameters& p) {
  config::Pipeline pipeline = sweep.pipeline;
  if (p.mode == WorkerMode::processes) {
    pipeline.workers.count = p.workers;
    pipeline.workers.slots = p.slots;
  } else {
    pipeline.workers.count = 1;
    pipeline.workers.slots = static_cast<std::uint32_t>(p.parallelism());
  }
  if (p.prefetch) pipeline.workers.prefetch = *p.prefetch == kAutoPrefetch ? std::nullopt : p.prefetch;
  if (p.task) {
    // Another task, with the pipeline's limits (timeout, retries, max_output).
    config::TaskSpec task;
    task.kind = config::TaskKind::builtin;
    task.builtin = *p.task;
    task.timeout = pipeline.task.timeout;
    task.retries = pipeline.task.retries;
    task.max_output = pipeline.task.max_output;
    pipeline.task = task;
  }
  if (p.task_ms) {
    pipeline.task.ms.reset();
    pipeline.task.us.reset();
    if (pipeline.task.builtin == config::Builtin::spin) pipeline.task.us = *p.task_ms * 1000;
    else pipeline.task.ms = *p.task_ms;
  }
  // Each run writes its own files and never continues an earlier one's.
  pipeline.resume = false;
  return pipeline;
}

}  // namespace zpipe::experiment
