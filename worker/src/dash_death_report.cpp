// How dash reports the death by a signal of the command it ran (jobs.c, sprint_status and
// waitforjob, for a shell without job control), reproduced for a direct exec in its place.

#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "zpipe/worker/direct_exec.hpp"

namespace zpipe::worker {

void report_death_as_dash_would(ProcessResult& process, std::size_t max_output) {
  if (process.term_signal == 0 || process.timed_out) return;
  const int signal = process.term_signal;
  process.exit_code = 128 + signal;
  process.term_signal = 0;
  if (signal == SIGINT || signal == SIGPIPE) return;  // dash says nothing of these

  // dash formats into a 32-byte buffer; it does not call setlocale, so the text is the C
  // locale's, like ours.
  std::string line(::strsignal(signal));
  line.resize(std::min<std::size_t>(line.size(), 31));
  if (process.core_dumped) line += " (core dumped)";
  line += '\n';
  core::SpillFile& spilled = process.spilled.err;  // stderr beyond the memory bound: the line goes after it
  const std::uint64_t captured = process.error.size() + spilled.size();
  const std::size_t room = static_cast<std::size_t>(max_output - std::min<std::uint64_t>(max_output, captured));
  if (line.size() > room) process.truncated = true;
  line.resize(std::min(line.size(), room));
  if (spilled.is_open()) spilled.append(line);
  else process.error += line;
}

}  // namespace zpipe::worker
