// Names of task statuses as they appear in result records and summaries.

#include "zpipe/core/types.hpp"

namespace zpipe::core {

const char* to_string(TaskStatus status) {
  switch (status) {
    case TaskStatus::ok:
      return "ok";
    case TaskStatus::failed:
      return "failed";
    case TaskStatus::timeout:
      return "timeout";
  }
  // Only reachable with a value cast from an out-of-range integer (e.g. a corrupt message).
  return "unknown";
}

}  // namespace zpipe::core
