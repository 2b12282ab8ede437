#pragma once
// Task output too large for memory, handed from zpipe run's in-process workers to its sink.
// A worker keeps each stream's first kMemoryBound bytes in the result (what travels over
// ZeroMQ) and appends the rest to an unlinked temporary file; the sink takes the files by
// task id and streams them after the bytes in the result. Only within one process: a result
// that crosses tcp carries all its bytes, at most task.max_output (docs/cli.md, "Output").
//
// Error style: exceptions (std::system_error) when a file cannot be created, written or read.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "zpipe/core/types.hpp"

namespace zpipe::core {

// An unlinked temporary file in $TMPDIR (or /tmp): gone from the directory from birth, gone
// from the disk when closed. Move-only.
class SpillFile {
public:
  SpillFile() = default;
  // O_TMPFILE, or mkstemp and unlink where the filesystem lacks it.
  static SpillFile create();
  SpillFile(SpillFile&& other) noexcept;
  SpillFile& operator=(SpillFile&& other) noexcept;
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;
  ~SpillFile();

  bool is_open() const { return fd_ >= 0; }
  std::uint64_t size() const { return size_; }
  void append(std::string_view bytes);
  // Calls `chunk` with the file's bytes in order, a piece at a time (pread: may be read
  // again, by several readers in turn).
  void read(const std::function<void(std::string_view)>& chunk) const;

private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// What of a task's stdout and stderr went beyond the memory bound.
struct SpilledStreams {
  SpillFile out;
  SpillFile err;
  bool empty() const { return !out.is_open() && !err.is_open(); }
};

// Spilled outputs on their way from the workers of one process to its sink, by task id.
// Thread-safe.
class Spills {
public:
  static constexpr std::size_t kMemoryBound = std::size_t{8} << 20;  // per stream, per task

  // A task run again (a retry delivered anew) replaces its earlier files.
  void put(TaskId id, SpilledStreams streams);
  // The task's files, once; nullopt when it spilled nothing.
  std::optional<SpilledStreams> take(TaskId id);

private:
  std::mutex mutex_;
  std::unordered_map<TaskId, SpilledStreams> files_;
};

}  // namespace zpipe::core
