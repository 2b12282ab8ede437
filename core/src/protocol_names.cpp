// The protocol's small helpers that no codec needs: id lists as ranges, type names for logs.
#include <cstdint>

#include "zpipe/core/protocol.hpp"

namespace zpipe::core {

std::vector<IdRange> to_ranges(const std::vector<TaskId>& ids) {
  std::vector<IdRange> ranges;
  for (TaskId id : ids) {
    if (!ranges.empty() && ranges.back().first + ranges.back().count == id &&
        ranges.back().count < UINT32_MAX) {
      ++ranges.back().count;
    } else {
      ranges.push_back(IdRange{id, 1});
    }
  }
  return ranges;
}

const char* to_string(MsgType type) {
  switch (type) {
    case MsgType::hello: return "hello";
    case MsgType::credit: return "credit";
    case MsgType::heartbeat: return "heartbeat";
    case MsgType::ack: return "ack";
    case MsgType::have: return "have";
    case MsgType::bye: return "bye";
    case MsgType::halt: return "halt";
    case MsgType::welcome: return "welcome";
    case MsgType::refuse: return "refuse";
    case MsgType::tasks: return "tasks";
    case MsgType::arg_tasks: return "arg_tasks";
    case MsgType::done: return "done";
    case MsgType::total: return "total";
    case MsgType::results: return "results";
    case MsgType::arg_results: return "arg_results";
    case MsgType::ask_task: return "ask_task";
    case MsgType::unsent: return "unsent";
    case MsgType::task_definition: return "task_definition";
  }
  return "unknown";
}

}  // namespace zpipe::core
