#pragma once
// GNU parallel's per-task files: the job log (--joblog FILE) and the results directory
// (--results DIR), in parallel's formats (docs/cli.md, "Output").
// Error style: exceptions (std::runtime_error) when a file cannot be created or written.

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "zpipe/core/spill.hpp"
#include "zpipe/core/types.hpp"

namespace zpipe::sink {

// One line per finished task, in the order they finished:
// Seq Host Starttime JobRuntime Send Receive Exitval Signal Command, tab-separated.
class JobLog {
public:
  using CommandLine = std::function<std::string(const core::TaskResult&)>;
  // `append` (a resumed batch) continues the file; the header is written when it is empty.
  JobLog(const std::string& path, bool append, CommandLine command_line);
  ~JobLog();
  JobLog(const JobLog&) = delete;
  JobLog& operator=(const JobLog&) = delete;

  // `finished`: when the task's result arrived; it started its duration before that.
  void record(const core::TaskResult& result, const core::SpilledStreams* spilled,
              std::chrono::system_clock::time_point finished);
  void flush();

private:
  std::string path_;
  std::FILE* file_ = nullptr;
  CommandLine command_line_;
};

// DIR/1/<arg 1>/2/<arg 2>.../ with files seq (the task id), stdout and stderr; in an
// argument, '\' is written '\\' and '/' is written '\_', as parallel does.
void write_results(const std::string& dir, const core::TaskResult& result, const core::SpilledStreams* spilled);

}  // namespace zpipe::sink
