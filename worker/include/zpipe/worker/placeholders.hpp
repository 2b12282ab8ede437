#pragma once
// GNU-parallel-style placeholders: {} {#} {%} {.} {/} {//} {/.} and the positional
// {N} {-N} {N.} {N/} {N//} {N/.} (docs/tasks.md).
// Error style: pure functions, no errors (unknown {...} text is left as is).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zpipe::worker {

// What a task's placeholders stand for.
struct TaskArgs {
  // {1} {2} ...: an argument-list task's arguments; a one-input task has one, its input.
  std::span<const std::string> args;
  std::uint64_t id = 0;  // {#}
  unsigned slot = 1;     // {%}: the worker's slot running the task, 1-based
  // GNU parallel's context replace (-X, -N): a word of the command (its bytes between
  // whitespace) that holds {} (or {.} ...) is repeated once per argument, joined by spaces,
  // {} standing for that argument; `x{}y` on a, b is `xay xby`, where -m/-n give `xa by`.
  bool repeat_context = false;
};

// Quotes `value` for /bin/sh only when it holds a character special to the shell
// (so numbers and plain words pass through and `echo $(( {} * {} ))` works).
std::string shell_quote_if_needed(std::string_view value);

// The length of the placeholder token `text` starts with, 0 when it starts with none. {%}
// counts as none: the direct exec, which expands one-input forms (slot 1), then leaves the
// command to the shell, which gets the real slot.
std::size_t placeholder_length(std::string_view text);

// Expands placeholders in a shell command; values are shell-quoted when needed, and {}
// (and {.} ...) of several arguments is each argument quoted, joined by spaces (or its word
// repeated per argument: TaskArgs::repeat_context).
// With no placeholder in `command`, " " + the arguments so quoted and joined is appended.
std::string expand_shell(std::string_view command, const TaskArgs& task);

// Expands placeholders in each word of an argv (no quoting: words are exec'd directly;
// {} of several arguments is them joined by spaces, in one word, or with repeat_context one
// word per argument).
// With no placeholder in any word, each argument is appended as one more word.
std::vector<std::string> expand_argv(const std::vector<std::string>& argv, const TaskArgs& task);

// What a command makes of each argument on its command line, for -X/-m to fill a line
// (config::LineFill): an upper bound of the command's own bytes, how many times an argument
// appears (each {} and {N}; 1 when appended), and the bytes each adds besides itself: a
// separator per copy, and with repeat_context the word it repeats.
struct LineShape {
  std::uint64_t fixed = 0;
  std::uint64_t copies = 0;
  std::uint64_t per_arg = 0;
};
LineShape line_shape(std::string_view command, bool repeat_context);

// One-input forms of the above, slot 1.
std::string expand_shell(std::string_view command, std::string_view input, std::uint64_t id);
std::vector<std::string> expand_argv(const std::vector<std::string>& argv, std::string_view input,
                                     std::uint64_t id);

}  // namespace zpipe::worker
