#pragma once
// One task's JSON Lines record (docs/config.md, "Records"), written by hand rather than
// through a JSON library: it is the sink's hot path, and bytes that are not UTF-8 must be
// kept, not replaced.
//
// Strings are JSON-escaped; valid UTF-8 passes through, and every byte that is not part
// of valid UTF-8 becomes the escape \udcXX (XX = the byte), as Python's "surrogateescape"
// does: the record stays one line of JSON and the original bytes can be recovered exactly.
// Error style: no errors.

#include <functional>
#include <string>
#include <string_view>

#include "zpipe/core/spill.hpp"
#include "zpipe/core/types.hpp"

namespace zpipe::sink {

// Appends `bytes` as a JSON string literal (with quotes) to `out`.
void append_json_string(std::string& out, std::string_view bytes);

// A JSON string literal appended to `out` in pieces (a spilled output read back): a UTF-8
// sequence cut between two pieces is held until the next one, so it is kept as it is rather
// than escaped byte by byte. The opening quote at construction, the closing one at finish().
class JsonStringPieces {
public:
  explicit JsonStringPieces(std::string& out);
  void append(std::string_view piece);
  void finish();

private:
  std::string& out_;
  std::string held_;  // at most three bytes: the start of a sequence the next piece may end
};

// Appends the record of `result` (no newline) to `out`. A stream that went beyond the memory
// bound (`spilled`, zpipe run's in-process hand-over) is its bytes in the result, then its
// file's; while a file is copied, `drain` is called after each piece, so the writer can pass
// `out` on and a record of any size needs only a piece of memory.
void append_record(std::string& out, const core::TaskResult& result, std::string_view worker,
                   const core::SpilledStreams* spilled = nullptr, const std::function<void()>& drain = {});

}  // namespace zpipe::sink
