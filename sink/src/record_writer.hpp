#pragma once
// Where records go: a JSON Lines file (or stdout), or plain output blocks for `run -j`.
// Error style: exceptions (std::runtime_error) when the destination cannot be opened or written.

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "zpipe/core/types.hpp"
#include "zpipe/sink/sink.hpp"

namespace zpipe::sink {

// What the sink adds to a result: the output beyond the memory bound, which stream a
// truncated result had cut, and whether --results saved the output (then it is not printed,
// as parallel does).
struct RecordExtras {
  const core::SpilledStreams* spilled = nullptr;
  bool output_cut = false;
  bool stderr_cut = false;
  bool saved = false;
};

// The extras of `r`: which stream a truncated result had cut (the one whose captured bytes,
// in memory and spilled, reached `max_output`; stdout when stderr's did not, as --line-buffer
// printed stdout as it came).
RecordExtras record_extras(const core::TaskResult& r, const core::SpilledStreams* spilled, std::uint64_t max_output,
                           bool saved);

class RecordWriter {
public:
  virtual ~RecordWriter() = default;
  virtual void write(const core::TaskResult& result, std::string_view worker, const RecordExtras& extras) = 0;
  // Pushes buffered records to the operating system; throws if that fails.
  virtual void flush() = 0;
  // Flushes, then asks the disk to keep it (fsync); throws if that fails.
  virtual void sync() = 0;
};

// `append` continues an existing file (the journal) instead of truncating it; `tag`: --tag.
std::unique_ptr<RecordWriter> open_writer(Format format, const std::string& path, bool append, bool tag);

}  // namespace zpipe::sink
