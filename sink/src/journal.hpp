#pragma once
// The sink's output file is its journal: on a restart (or --resume) it is read back to
// learn which tasks already have a record, so none is written twice.
// Error style: exceptions (std::runtime_error) for an unreadable or corrupt journal.

#include <cstdint>
#include <string>

#include "zpipe/core/done_set.hpp"

namespace zpipe::sink {

struct JournalScan {
  core::DoneSet ids;            // ids with a record kept in the file
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;     // status failed
  std::uint64_t timeout = 0;    // status timeout
  std::uint64_t torn_bytes = 0; // bytes of an unfinished last line cut off
  std::uint64_t dropped = 0;    // failed/timeout records removed (drop_failed)
};

// Reads `path` if it exists (a missing file is an empty journal). A last line without its
// newline is a write torn by a crash: it is truncated away. With `drop_failed`, records
// whose status is not ok are removed (the file is rewritten), so those tasks run again.
JournalScan scan_journal(const std::string& path, bool drop_failed);

}  // namespace zpipe::sink
