#pragma once
// GNU-parallel-style placeholders: {} {#} {.} {/} {//} {/.}
// Error style: pure functions, no errors (unknown {...} text is left as is).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zpipe::worker {

// Quotes `value` for /bin/sh only when it holds a character special to the shell
// (so numbers and plain words pass through and `echo $(( {} * {} ))` works).
std::string shell_quote_if_needed(std::string_view value);

// The length of the placeholder token `text` starts with ({} {#} {.} {/} {//} {/.}), 0 when
// it starts with none.
std::size_t placeholder_length(std::string_view text);

// Expands placeholders in a shell command; values are shell-quoted when needed.
// With no placeholder in `command`, " " + quoted input is appended.
std::string expand_shell(std::string_view command, std::string_view input, std::uint64_t id);

// Expands placeholders in each word of an argv (no quoting: words are exec'd directly).
// With no placeholder in any word, the input is appended as one more word.
std::vector<std::string> expand_argv(const std::vector<std::string>& argv, std::string_view input,
                                     std::uint64_t id);

}  // namespace zpipe::worker
