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

class RecordWriter {
public:
  virtual ~RecordWriter() = default;
  virtual void write(const core::TaskResult& result, std::string_view worker) = 0;
  // Pushes buffered records to the operating system; throws if that fails.
  virtual void flush() = 0;
  // Flushes, then asks the disk to keep it (fsync); throws if that fails.
  virtual void sync() = 0;
};

// `append` continues an existing file (the journal) instead of truncating it.
std::unique_ptr<RecordWriter> open_writer(Format format, const std::string& path, bool append);

}  // namespace zpipe::sink
