#include "executor.hpp"

#include "inline_executor.hpp"
#include "sleep_timers.hpp"
#include "slot_pool.hpp"
#include "zpipe/worker/task_runner.hpp"

namespace zpipe::worker {

std::unique_ptr<Executor> make_executor(const config::TaskSpec& spec, unsigned slots, ProcessGroups& groups,
                                        const TaskOutput& output, core::Counter* retried) {
  if (InlineExecutor::runs(spec)) return std::make_unique<InlineExecutor>(spec);
  if (spec.kind == config::TaskKind::builtin && spec.builtin == config::Builtin::sleep)
    return std::make_unique<SleepTimers>(spec, slots, retried);
  return std::make_unique<SlotPool>(slots, [&spec, &groups, &output, retried](core::TaskItem&& item, unsigned slot) {
    const std::uint32_t delivery = item.attempt;  // attempts counts on from it: the rest ran here
    core::TaskResult result = run_task(spec, std::move(item), slot, groups, output);
    if (retried != nullptr && result.attempts > delivery) retried->add(result.attempts - delivery);
    return result;
  });
}

}  // namespace zpipe::worker
