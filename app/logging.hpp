#pragma once
// Logs go to stderr through spdlog; data (records, task output) never does.

namespace zpipe::app {

// Level: info by default, SPDLOG_LEVEL from the environment, then -v (debug, -vv trace)
// or -q (warnings only) on top.
void setup_logging(int verbose, bool quiet);

}  // namespace zpipe::app
