#pragma once
// Task inputs, read lazily one at a time so memory does not grow with the batch size, and
// without ever blocking the ventilator's loop (a pipe or terminal may have no line yet).
// Error style: exceptions (std::runtime_error) when a source cannot be opened or read.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zpipe/config/pipeline.hpp"

namespace zpipe::ventilator {

// What TaskSource::next found: an input; nothing yet (a pipe or a terminal without a
// complete line: ask again once wait_fd() is readable); or the end.
struct [[nodiscard]] Next {
  enum class Kind { input, later, end };
  Kind kind = Kind::end;
  std::string input;
  std::vector<std::string> args;  // an argument-list task's arguments (then `input` is empty)
};

class TaskSource {
public:
  virtual ~TaskSource() = default;
  // Never blocks: a source that must wait for its writer says `later`.
  virtual Next next() = 0;
  // Readable when a source that said `later` may have more; -1 for sources that never wait.
  virtual int wait_fd() const { return -1; }
  // The inputs of tasks read before, again (input n has task id n), for `ids` in ascending
  // order: a sink that lost records it had (a journal mended with --repair) needs them run
  // again. nullopt when the source cannot go back: a pipe or a terminal.
  virtual std::optional<std::vector<std::string>> reread(const std::vector<std::uint64_t>& ids) {
    (void)ids;
    return std::nullopt;
  }
};

std::unique_ptr<TaskSource> open_source(const config::Source& source);

}  // namespace zpipe::ventilator
