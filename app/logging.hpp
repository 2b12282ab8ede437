#pragma once
// Logs go to stderr through spdlog; data (records, task output) never does.

namespace zpipe::app {

// Level: info by default (warnings only in command mode, `zpipe run -- CMD`); -v one step
// more (info in command mode, else debug), -vv more again; -q warnings only. Without a
// flag, SPDLOG_LEVEL from the environment wins.
void setup_logging(int verbose, bool quiet, bool command_mode);

}  // namespace zpipe::app
