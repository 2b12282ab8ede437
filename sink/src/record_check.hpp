#pragma once
// Reading back one line of the journal as the whole record the sink wrote, field by field
// in the writer's order (record.cpp): a line cut short, edited, or from another program is
// told apart from a record, and says where it goes wrong.
// Error style: values: the check returns what is wrong, or nothing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zpipe::sink {

struct CheckedRecord {
  std::uint64_t id = 0;
  std::string_view status;  // "ok", "failed" or "timeout"
};

// The record in `line` (without its newline), or what is wrong with it ("at byte 37:
// expected ,\"status\":").
std::optional<std::string> check_record(std::string_view line, CheckedRecord& out);

}  // namespace zpipe::sink
