#pragma once
// Logs go to stderr through spdlog; data (records, task output) never does. Each log line
// reaches stderr in one write, so a progress line redrawn by another thread never lands
// inside one.
// Error style: none; a log line that cannot be written is dropped.

namespace zpipe::app {

// Level: info by default (warnings only in command mode, `zpipe run -- CMD`); -v one step
// more (info in command mode, else debug), -vv more again; -q warnings only. Without a
// flag, SPDLOG_LEVEL from the environment wins.
void setup_logging(int verbose, bool quiet, bool command_mode);

// While a progress line is drawn on stderr (progress.hpp): each log line first clears it
// ("\r\x1b[K"), so that the two never share a line.
void clear_line_before_logs(bool on);

}  // namespace zpipe::app
