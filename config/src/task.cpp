// The `task:` section: shell | argv | builtin, builtin parameters and common limits.

#include <limits>

#include "detail.hpp"

namespace zpipe::config {

const char* to_string(Builtin builtin) {
  switch (builtin) {
    case Builtin::noop: return "noop";
    case Builtin::echo: return "echo";
    case Builtin::sleep: return "sleep";
    case Builtin::spin: return "spin";
    case Builtin::sha256: return "sha256";
  }
  return "unknown";
}

namespace detail {
namespace {

constexpr std::uint64_t max_u32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t max_output_limit = 1ull << 30;  // 1 GiB per stream
constexpr std::uint64_t one_day_ms = 24ull * 3600 * 1000;  // bound of sleep's ms, spin's us / 1000

constexpr Builtin all_builtins[] = {Builtin::noop, Builtin::echo, Builtin::sleep, Builtin::spin,
                                    Builtin::sha256};

Builtin read_builtin(const Context& ctx, const Field& field) {
  const std::string name = read_string(ctx, field, false);
  for (Builtin builtin : all_builtins) {
    if (name == to_string(builtin)) return builtin;
  }
  std::string message = field.path + ": unknown builtin '" + name +
                        "' (expected one of noop, echo, sleep, spin, sha256";
  if (auto near = suggest(name, {"noop", "echo", "sleep", "spin", "sha256"}))
    message += "; did you mean '" + *near + "'?";
  fail(ctx, field.mark(), message + ")");
}

std::vector<std::string> read_argv(const Context& ctx, const Field& field) {
  if (!field.value.IsSequence()) {
    fail(ctx, field.mark(),
         field.path + ": expected a list of strings, got " + describe_node(field.value));
  }
  if (field.value.size() == 0) {
    fail(ctx, field.mark(), field.path + ": must not be empty (give the program and its arguments)");
  }
  std::vector<std::string> words;
  words.reserve(field.value.size());
  std::size_t bytes = 0;
  for (const YAML::Node& word : field.value) {
    const std::string where = field.path + "[" + std::to_string(words.size()) + "]";
    if (!word.IsScalar()) {
      fail(ctx, word.IsNull() ? field.value.Mark() : word.Mark(),
           where + ": expected a string, got " + describe_node(word));
    }
    if (words.empty() && word.Scalar().empty())
      fail(ctx, word.Mark(), where + ": the program name must not be empty");
    bytes += word.Scalar().size();
    if (bytes > kMaxTextBytes) fail(ctx, field.value.Mark(), list_too_large(field.path, words.size()));
    words.push_back(word.Scalar());
  }
  return words;
}

UseShell read_use_shell(const Context& ctx, const TaskSpec& task, const Field& field) {
  if (task.kind != TaskKind::shell) {
    fail(ctx, field.key.Mark(), field.path + ": only valid with 'shell' (an argv or builtin task runs no shell)");
  }
  const std::string value = read_string(ctx, field, false);
  if (value == "auto") return UseShell::automatic;
  if (value == "always") return UseShell::always;
  std::string message = field.path + ": expected 'auto' or 'always', got '" + value + "'";
  if (value == "never") message += " (to run a command without a shell, write it as 'argv: [...]')";
  fail(ctx, field.mark(), message);
}

// A builtin parameter (ms, us, rounds) is only accepted by the builtin that reads it.
void check_param_owner(const Context& ctx, const TaskSpec& task, const Field& field,
                       Builtin owner) {
  if (task.kind == TaskKind::builtin && task.builtin == owner) return;
  std::string message = field.path + ": only valid with 'builtin: " + to_string(owner) + "'";
  if (task.kind == TaskKind::builtin) {
    message += std::string(" (this task is builtin ") + to_string(task.builtin);
    if (task.builtin == Builtin::sleep) message += ", which takes 'ms'";
    if (task.builtin == Builtin::spin) message += ", which takes 'us'";
    if (task.builtin == Builtin::sha256) message += ", which takes 'rounds'";
    message += ")";
  }
  fail(ctx, field.key.Mark(), message);
}

}  // namespace

TaskSpec read_task(const Context& ctx, const Field& field) {
  const MapReader map(ctx, field.value, field.path, field.key.Mark());
  map.reject_unknown(
      {"shell", "argv", "builtin", "use_shell", "ms", "us", "rounds", "timeout", "retries", "max_output"});

  TaskSpec task;
  const Field& kind = map.require_one_of({"shell", "argv", "builtin"});
  if (kind.name == "shell") {
    task.kind = TaskKind::shell;
    task.shell = read_string(ctx, kind, false);
  } else if (kind.name == "argv") {
    task.kind = TaskKind::argv;
    task.argv = read_argv(ctx, kind);
  } else {
    task.kind = TaskKind::builtin;
    task.builtin = read_builtin(ctx, kind);
  }

  if (const Field* use_shell = map.find("use_shell")) task.use_shell = read_use_shell(ctx, task, *use_shell);
  if (const Field* ms = map.find("ms")) {
    check_param_owner(ctx, task, *ms, Builtin::sleep);
    task.ms = read_uint(ctx, *ms, 0, one_day_ms);
  }
  if (const Field* us = map.find("us")) {
    check_param_owner(ctx, task, *us, Builtin::spin);
    task.us = read_uint(ctx, *us, 0, one_day_ms * 1000);
  }
  if (const Field* rounds = map.find("rounds")) {
    check_param_owner(ctx, task, *rounds, Builtin::sha256);
    task.rounds = static_cast<std::uint32_t>(read_uint(ctx, *rounds, 1, max_u32));
  }
  if (const Field* timeout = map.find("timeout")) task.timeout = read_duration(ctx, *timeout);
  if (const Field* retries = map.find("retries"))
    task.retries = static_cast<std::uint32_t>(read_uint(ctx, *retries, 0, max_u32));
  if (const Field* max_output = map.find("max_output"))
    task.max_output = static_cast<std::size_t>(read_size(ctx, *max_output, max_output_limit));
  return task;
}

}  // namespace detail
}  // namespace zpipe::config
