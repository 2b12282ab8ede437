#pragma once
// FILE.fingerprint beside a journal (the sink's output file): which task wrote its records.
// A resume of that file by another command or template would mix two tasks' records in
// one file and skip the new task's inputs that the old one already did; it is refused.
// The fingerprint is config::task_fingerprint of what the task does: timeout, retries,
// max_output and the shell choice (same result by design) are left out, so a resume may
// change them (a longer --timeout for --resume-failed). Journals from before the sidecar
// have none: they are resumed with a warning, and get one.
// Error style: exceptions (std::runtime_error) for a refused journal or an unwritable sidecar.

#include <cstdint>
#include <string>

#include "zpipe/config/pipeline.hpp"

namespace zpipe::sink {

// The fingerprint a journal's records are tied to.
std::uint64_t journal_fingerprint(const config::TaskSpec& task);

// `output` + ".fingerprint".
std::string fingerprint_file(const std::string& output);

// Before resuming `output`: throws when it holds records and its sidecar names another
// fingerprint; warns when it holds records and has no sidecar. With `rerun_failed`
// (--resume-failed: the failed tasks run again, typically with a mended command) another
// fingerprint is only warned about.
void check_journal_fingerprint(const std::string& output, std::uint64_t fingerprint, bool rerun_failed);

// Neither --resume nor --fresh: throws OutputExists when `output` is a regular file that
// is not empty, saying how many lines it holds and whether this task wrote them.
void refuse_existing_output(const std::string& output, std::uint64_t fingerprint);

// Writes the sidecar (through a temporary file and a rename) when `output` is a regular
// file, as OutputLock locks only those.
void write_journal_fingerprint(const std::string& output, std::uint64_t fingerprint);

}  // namespace zpipe::sink
