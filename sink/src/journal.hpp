#pragma once
// The sink's output file is its journal: on a restart (or --resume) it is read back to
// learn which tasks already have a record, so none is written twice. It is checked, not
// trusted: every line must be a whole record (record_check.hpp), of an id not seen before
// and within the batch. A line that is not is refused with FILE:LINE and what is wrong, or,
// with `repair`, removed (the file is rewritten through a temporary file and a rename, and
// every removal is logged).
// Error style: exceptions (std::runtime_error) for an unreadable or refused journal.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "zpipe/config/pipeline.hpp"
#include "zpipe/core/done_set.hpp"
#include "zpipe/sink/sink.hpp"

namespace zpipe::sink {

struct JournalScan {
  core::DoneSet ids;            // ids with a record kept in the file
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;     // status failed
  std::uint64_t timeout = 0;    // status timeout
  std::uint64_t torn_bytes = 0; // bytes of an unfinished last line cut off
  std::uint64_t dropped = 0;    // failed/timeout records removed (drop_failed)
  std::uint64_t repaired = 0;   // bad lines removed (repair)
  std::uint64_t max_id = 0;     // the largest id kept
  // When the journal was made (its birth time, read before any rewrite): the batch's first
  // start. Unset where the filesystem keeps no birth times.
  std::optional<std::chrono::system_clock::time_point> born;
};

struct JournalChecks {
  bool drop_failed = false;            // remove records whose status is not ok: they run again
  bool repair = false;                 // remove bad lines instead of refusing the file
  std::optional<std::uint64_t> total;  // the batch's size, when the source tells it up front
};

// Reads `path` if it exists (a missing file is an empty journal). A last line without its
// newline is a write torn by a crash: it is truncated away.
JournalScan scan_journal(const std::string& path, const JournalChecks& checks);

// The sink's start: with `resume`, scans its output (checked against the pipeline's batch)
// and logs what it found and mended; else an empty scan.
JournalScan open_journal(const Options& options, const config::Pipeline& pipeline);

}  // namespace zpipe::sink
