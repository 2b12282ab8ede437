#pragma once
// What a line redrawn in place on stderr needs (the progress lines of `zpipe run`, `zpipe
// sink` and `zpipe experiment`): the terminal's width, a clock for elapsed and remaining
// times, and one write per line so another writer's bytes never tear it.
// Error style: none; a write that fails is ignored (a progress line is never worth an error).

#include <cstddef>
#include <string>

namespace zpipe::app {

// Erases the current line: the cursor goes back to its start.
inline constexpr const char* kClearLine = "\r\x1b[K";

// Columns of the terminal on stderr; 80 when it does not say.
std::size_t terminal_width();
// 75 -> "1:15", 3725 -> "1:02:05".
std::string clock_time(double seconds);
// `text` to stderr in one write.
void write_stderr(const std::string& text);

}  // namespace zpipe::app
