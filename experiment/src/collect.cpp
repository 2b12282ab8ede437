#include "collect.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace zpipe::experiment::detail {
namespace {

std::optional<nlohmann::json> read_json(const std::filesystem::path& file, std::string& problem) {
  std::ifstream in(file);
  if (!in) {
    problem = "no " + file.filename().string() + " was written";
    return std::nullopt;
  }
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    problem = file.filename().string() + " is not JSON: " + e.what();
    return std::nullopt;
  }
}

}  // namespace

Records read_records(const std::filesystem::path& output, std::uint64_t tasks) {
  Records r;
  std::ifstream in(output, std::ios::binary);
  if (!in) {
    r.problem = "no output file";
    return r;
  }
  // One flag per id: a missing, doubled or foreign id is the exactly-once promise broken.
  std::vector<bool> seen(tasks + 1, false);
  std::uint64_t missing = tasks, doubled = 0, foreign = 0, unreadable = 0;
  r.ms.reserve(tasks);
  for (std::string line; std::getline(in, line);) {
    ++r.lines;
    try {
      const nlohmann::json record = nlohmann::json::parse(line);
      const auto id = record.at("id").get<std::uint64_t>();
      if (id == 0 || id > tasks) {
        ++foreign;
      } else if (seen[id]) {
        ++doubled;
      } else {
        seen[id] = true;
        --missing;
      }
      r.ms.push_back(record.at("ms").get<double>());
      if (record.at("status").get<std::string>() != "ok") ++r.not_ok;
    } catch (const nlohmann::json::exception&) {
      ++unreadable;
    }
  }
  r.ids_complete = missing == 0 && doubled == 0 && foreign == 0 && unreadable == 0;
  if (!r.ids_complete) {
    std::ostringstream why;
    why << "output ids: " << missing << " missing, " << doubled << " doubled, " << foreign << " not of the batch, "
        << unreadable << " lines unreadable";
    r.problem = why.str();
  }
  return r;
}

std::optional<SinkFigures> read_sink_summary(const std::filesystem::path& file, std::string& problem) {
  const auto json = read_json(file, problem);
  if (!json) return std::nullopt;
  try {
    return SinkFigures{json->at("dropped").get<std::uint64_t>()};
  } catch (const nlohmann::json::exception& e) {
    problem = file.filename().string() + ": " + e.what();
    return std::nullopt;
  }
}

std::optional<VentilatorFigures> read_ventilator_summary(const std::filesystem::path& file, std::string& problem) {
  const auto json = read_json(file, problem);
  if (!json) return std::nullopt;
  try {
    return VentilatorFigures{json->at("redelivered").get<std::uint64_t>(), json->at("dropped").get<std::uint64_t>()};
  } catch (const nlohmann::json::exception& e) {
    problem = file.filename().string() + ": " + e.what();
    return std::nullopt;
  }
}

std::string first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    return line.size() > 200 ? line.substr(0, 200) + "..." : line;
  }
  return "";
}

}  // namespace zpipe::experiment::detail
