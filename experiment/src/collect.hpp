#pragma once
// What a finished run left on disk: its records (ids and task times) and the roles'
// --summary files.
// Error style: a problem is a message in the returned struct (the run's error column);
// nothing throws.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace zpipe::experiment::detail {

struct Records {
  std::uint64_t lines = 0;
  bool ids_complete = false;        // every id 1..tasks exactly once, nothing else
  std::string problem;              // why not, or why the file could not be read
  std::vector<double> ms;           // each record's `ms`
  std::uint64_t not_ok = 0;         // records whose status is not "ok"
};
Records read_records(const std::filesystem::path& output, std::uint64_t tasks);

struct SinkFigures {
  std::uint64_t dropped = 0;
};
// nullopt with `problem` set when the file is missing or malformed.
std::optional<SinkFigures> read_sink_summary(const std::filesystem::path& file, std::string& problem);

struct VentilatorFigures {
  std::uint64_t redelivered = 0;
  std::uint64_t dropped = 0;
};
std::optional<VentilatorFigures> read_ventilator_summary(const std::filesystem::path& file, std::string& problem);

// The first non-empty line of a file (a role's stderr), at most 200 bytes; "" if none.
std::string first_line(const std::filesystem::path& file);

}  // namespace zpipe::experiment::detail
