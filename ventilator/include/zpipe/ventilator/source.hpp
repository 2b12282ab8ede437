#pragma once
// Task inputs, read lazily one at a time so memory does not grow with the batch size.
// Error style: exceptions (std::runtime_error) when a source cannot be opened or read.

#include <memory>
#include <optional>
#include <string>

#include "zpipe/config/pipeline.hpp"

namespace zpipe::ventilator {

class TaskSource {
public:
  virtual ~TaskSource() = default;
  // The next input, or nullopt when the source is exhausted.
  virtual std::optional<std::string> next() = 0;
};

std::unique_ptr<TaskSource> open_source(const config::Source& source);

}  // namespace zpipe::ventilator
