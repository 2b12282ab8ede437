#pragma once
// One task's JSON Lines record (docs/config.md, "Records"), written by hand rather than
// through a JSON library: it is the sink's hot path, and bytes that are not UTF-8 must be
// kept, not replaced.
//
// Strings are JSON-escaped; valid UTF-8 passes through, and every byte that is not part
// of valid UTF-8 becomes the escape \udcXX (XX = the byte), as Python's "surrogateescape"
// does: the record stays one line of JSON and the original bytes can be recovered exactly.
// Error style: no errors.

#include <string>
#include <string_view>

#include "zpipe/core/types.hpp"

namespace zpipe::sink {

// Appends `bytes` as a JSON string literal (with quotes) to `out`.
void append_json_string(std::string& out, std::string_view bytes);

// Appends the record of `result` (no newline) to `out`.
void append_record(std::string& out, const core::TaskResult& result, std::string_view worker);

}  // namespace zpipe::sink
