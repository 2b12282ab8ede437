#pragma once
// One writer per output file: an exclusive lock on "FILE.lock" beside it, taken before the
// journal is read, cut or opened, and held for the sink's life. A second sink (or `zpipe
// run`) on the same output fails at once, naming the holder, instead of truncating or
// cutting the live file. The lock file keeps "pid host" of its holder for that message,
// and is removed by its holder when the sink ends.
//
// Error style: exceptions (std::runtime_error) when the lock is held elsewhere or the lock
// file cannot be made.

#include <string>

namespace zpipe::sink {

class OutputLock {
public:
  // Locks `output`: a regular file, or one not made yet (no lock for stdout, /dev/null, a
  // FIFO or a terminal).
  explicit OutputLock(const std::string& output);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

private:
  std::string path_;  // the lock file; empty when nothing is locked
  int fd_ = -1;
};

}  // namespace zpipe::sink
