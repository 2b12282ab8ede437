#pragma once
// Types shared by every role: task ids, statuses and the result of one task.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zpipe::core {

using TaskId = std::uint64_t;  // 1-based input number

enum class TaskStatus : std::uint8_t { ok = 0, failed = 1, timeout = 2 };

const char* to_string(TaskStatus status);

// What a worker reports for one task (after its own retries).
struct TaskResult {
  TaskId id = 0;
  std::uint32_t attempts = 0;       // executions so far, counting earlier deliveries
  TaskStatus status = TaskStatus::ok;
  std::optional<std::int32_t> exit_code;  // null for built-ins that failed and killed processes
  bool truncated = false;           // captured stdout or stderr was cut at the limit
  std::uint64_t duration_us = 0;    // wall time of the last attempt
  std::string input;
  std::vector<std::string> args;    // an argument-list task's arguments (input = them joined)
  std::string output;               // stdout, or a built-in's result
  std::string error;                // stderr, or a built-in's error message
};

}  // namespace zpipe::core
