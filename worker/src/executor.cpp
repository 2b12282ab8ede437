#include "executor.hpp"

#include "inline_executor.hpp"
#include "sleep_timers.hpp"
#include "slot_pool.hpp"
#include "zpipe/worker/task_runner.hpp"

namespace zpipe::worker {

std::unique_ptr<Executor> make_executor(const config::TaskSpec& spec, unsigned slots, ProcessGroups& groups,
                                        const TaskOutput& output) {
  if (InlineExecutor::runs(spec)) return std::make_unique<InlineExecutor>(spec);
  if (spec.kind == config::TaskKind::builtin && spec.builtin == config::Builtin::sleep)
    return std::make_unique<SleepTimers>(spec, slots);
  return std::make_unique<SlotPool>(slots, [&spec, &groups, &output](core::TaskItem&& item, unsigned slot) {
    return run_task(spec, std::move(item), slot, groups, output);
  });
}

}  // namespace zpipe::worker
