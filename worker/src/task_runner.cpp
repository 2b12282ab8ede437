// One task, start to finish: pick how to run it (shell, argv, built-in), turn what happened
// into a TaskStatus, and retry failed or timed-out attempts.

#include "zpipe/worker/task_runner.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "builtins.hpp"
#include "zpipe/worker/direct_exec.hpp"
#include "zpipe/worker/placeholders.hpp"
#include "zpipe/worker/process.hpp"

namespace zpipe::worker {
namespace {

// What one execution produced; the fields of TaskResult that change per attempt.
struct Attempt {
  core::TaskStatus status = core::TaskStatus::ok;
  std::optional<std::int32_t> exit_code;
  bool truncated = false;
  std::string output;
  std::string error;
  core::SpilledStreams spilled;  // beyond the memory bound (TaskOutput::spills)
  bool not_started = false;  // posix_spawnp failed: the program never ran
};

core::TaskStatus status_of(const ProcessResult& process) {
  if (process.timed_out) return core::TaskStatus::timeout;
  if (process.exit_code && *process.exit_code == 0) return core::TaskStatus::ok;
  return core::TaskStatus::failed;  // non-zero exit or killed by a signal
}

// `environment` set: the program stands in for `/bin/sh -c` (run_shell) and runs with the
// environment dash would give it; its death is then reported as dash would report it.
Attempt run_command(const config::TaskSpec& spec, const std::vector<std::string>& argv, ProcessGroups& groups,
                    const OutputRoute& route, char* const* environment = nullptr) {
  Attempt attempt;
  // exec takes C strings: a word holding a NUL byte (from the input) would be cut there,
  // and another command than the one written would run. Refused, and said so.
  if (std::any_of(argv.begin(), argv.end(), [](const std::string& w) { return w.find('\0') != std::string::npos; })) {
    attempt.status = core::TaskStatus::failed;
    attempt.error = "zpipe: not run: the command line would hold a NUL byte (from the input), which no program can receive";
    return attempt;
  }
  ProcessResult process;
  try {
    process = run_process(argv, spec.timeout, spec.max_output, groups, environment, route);
    if (environment != nullptr) report_death_as_dash_would(process, spec.max_output);
  } catch (const std::system_error& e) {
    // The host, not the task, failed (e.g. out of fds or processes). Reporting a failed
    // attempt keeps the worker alive and lets retries or another delivery try again.
    attempt.status = core::TaskStatus::failed;
    attempt.error = std::string("zpipe: ") + e.what();
    return attempt;
  }
  attempt.not_started = process.spawn_error != 0;
  attempt.status = status_of(process);
  attempt.exit_code = process.exit_code;
  attempt.truncated = process.truncated;
  attempt.output = std::move(process.out);
  attempt.error = std::move(process.error);
  attempt.spilled = std::move(process.spilled);
  // A task that dies silently would otherwise leave no clue in its record.
  if (attempt.error.empty()) {
    if (process.timed_out) {
      attempt.error = "timed out after " + std::to_string(spec.timeout.count()) + " ms";
    } else if (process.term_signal != 0) {
      attempt.error = "killed by signal " + std::to_string(process.term_signal);
    }
  }
  return attempt;
}

// A shell task, exec'd directly when that gives the record `sh -c` would (docs/tasks.md,
// "Shell or direct exec"): one exec per task instead of two.
// Only a one-input task: an argument list always goes through the shell.
Attempt run_shell(const config::TaskSpec& spec, const TaskArgs& placeholders, const core::TaskResult& task,
                  ProcessGroups& groups, const OutputRoute& route) {
  const std::optional<char* const*> environment =
      spec.use_shell == config::UseShell::automatic && task.args.empty() ? direct_exec_environment() : std::nullopt;
  if (environment) {
    if (const auto argv = shell_free_argv(spec.shell, task.input, task.id)) {
      Attempt direct = run_command(spec, *argv, groups, route, *environment);
      // When the spawn failed nothing ran (no such program, not executable, a script
      // without #!): the shell reports it in its own words, or runs the script itself.
      if (!direct.not_started) return direct;
    }
  }
  return run_command(spec, {"/bin/sh", "-c", expand_shell(spec.shell, placeholders)}, groups, route);
}

Attempt run_builtin_attempt(const config::TaskSpec& spec, std::string_view input) {
  BuiltinOutcome outcome = run_builtin(spec, input);
  Attempt attempt;
  attempt.status = outcome.status;
  attempt.exit_code = builtin_exit_code(outcome.status);
  attempt.output = std::move(outcome.output);
  attempt.error = std::move(outcome.error);
  attempt.truncated = outcome.truncated;
  return attempt;
}

// --dry-run: the command line, as the shell would get it (argv: its words joined by
// spaces), in place of the output.
Attempt dry_run(const config::TaskSpec& spec, const TaskArgs& placeholders) {
  Attempt attempt;
  attempt.status = core::TaskStatus::ok;
  attempt.exit_code = 0;
  if (spec.kind == config::TaskKind::argv) {
    for (const auto& word : expand_argv(spec.argv, placeholders))
      attempt.output += (attempt.output.empty() ? "" : " ") + word;
  } else {
    attempt.output = spec.kind == config::TaskKind::shell ? expand_shell(spec.shell, placeholders) : "builtin";
  }
  attempt.output += '\n';
  return attempt;
}

Attempt run_once(const config::TaskSpec& spec, const core::TaskResult& task, unsigned slot, ProcessGroups& groups,
                 const OutputRoute& route) {
  // A one-input task's only argument is its input.
  const std::span<const std::string> args = task.args.empty() ? std::span(&task.input, 1) : std::span(task.args);
  const TaskArgs placeholders{args, task.id, slot, spec.context_replace};
  if (spec.dry_run) return dry_run(spec, placeholders);
  switch (spec.kind) {
    case config::TaskKind::shell:
      return run_shell(spec, placeholders, task, groups, route);
    case config::TaskKind::argv:
      return run_command(spec, expand_argv(spec.argv, placeholders), groups, route);
    case config::TaskKind::builtin:
      return run_builtin_attempt(spec, task.input);
  }
  Attempt unknown;
  unknown.status = core::TaskStatus::failed;
  unknown.error = "zpipe: unknown task kind";
  return unknown;
}

}  // namespace

core::TaskResult run_task(const config::TaskSpec& spec, core::TaskId id, std::string input,
                          std::uint32_t earlier_attempts, ProcessGroups& groups) {
  return run_task(spec, core::TaskItem{id, earlier_attempts + 1, std::move(input), {}}, 1, groups);
}

core::TaskResult run_task(const config::TaskSpec& spec, core::TaskItem&& item, unsigned slot, ProcessGroups& groups,
                          const TaskOutput& output) {
  core::TaskResult result;
  result.id = item.id;
  result.input = std::move(item.input);
  result.args = std::move(item.args);
  const std::uint32_t earlier_attempts = item.attempt - 1;
  OutputRoute route;
  route.spill = output.spills != nullptr;
  if (output.stdout_lines)
    route.stdout_lines = [&output, &result](std::string_view lines) { output.stdout_lines(result, lines); };
  core::SpilledStreams spilled;

  // Timeouts are retried too: a task that hung once (a slow mount, a busy host) often
  // completes on the next try.
  const std::uint64_t max_executions = std::uint64_t{spec.retries} + 1;
  std::uint32_t executions = 0;
  for (std::uint64_t n = 0; n < max_executions; ++n) {
    const auto started = std::chrono::steady_clock::now();
    Attempt attempt = run_once(spec, result, slot, groups, route);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    ++executions;

    // The result always describes the last attempt only.
    result.status = attempt.status;
    result.exit_code = attempt.exit_code;
    result.truncated = attempt.truncated;
    result.output = std::move(attempt.output);
    result.error = std::move(attempt.error);
    spilled = std::move(attempt.spilled);
    result.duration_us = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    if (result.status == core::TaskStatus::ok) break;
  }
  result.attempts = earlier_attempts + executions;
  // Put before the result is sent: the sink takes them when the result arrives.
  if (!spilled.empty()) output.spills->put(result.id, std::move(spilled));
  return result;
}

}  // namespace zpipe::worker
