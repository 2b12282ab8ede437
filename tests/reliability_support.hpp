#pragma once
// Shared by the reliability tests (test_reliability_kill.cpp, test_reliability_drain.cpp):
// a pipeline file for separate processes, execution counting, and record checks.

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace zpipe::test {

// A pipeline file for separate processes (or `zpipe run`) with fast liveness: a silent
// peer is presumed dead after 600 ms (unless `vent_keys` says otherwise). Output goes to
// out.jsonl next to the file.
struct Batch {
  int count = 200;
  std::string command = "echo $(( {} * {} ))";
  std::string task_keys;  // more keys of `task`, e.g. ", retries: 2"
  std::string workers = "{ count: 2, slots: 2 }";
  std::string extra;
  std::string vent_keys = "heartbeat: 200ms, liveness: 3";  // keys of `ventilator` besides endpoint
  std::string source;     // the `source` section; empty: range 1..count
  std::string sink_keys;  // more keys of `sink`, e.g. ", bind: \"tcp://*:5558\""
  int vent_port = test::free_port();
  int sink_port = test::free_port();

  std::string yaml() const {
    return "version: 1\n"
           "name: reliability\n"
           "source: " + (source.empty() ? "{ range: { start: 1, count: " + std::to_string(count) + " } }" : source) + "\n"
           "task: { shell: \"" + command + "\"" + task_keys + " }\n"
           "ventilator: { endpoint: \"tcp://127.0.0.1:" + std::to_string(vent_port) +
           "\", " + vent_keys + " }\n"
           "sink: { endpoint: \"tcp://127.0.0.1:" + std::to_string(sink_port) + "\", output: out.jsonl" + sink_keys + " }\n"
           "workers: " + workers + "\n" + extra;
  }
  std::string write(const TempDir& dir, const std::string& name = "p.yaml") const {
    test::write_file(dir / name, yaml());
    return (dir / name).string();
  }
};

// Appends the task's id to exec.log when it starts: counts executions across processes.
inline std::string logged(const TempDir& dir, const std::string& command) {
  return "echo {} >> " + (dir / "exec.log").string() + "; " + command;
}

inline std::map<long long, int> executions(const TempDir& dir) {
  std::map<long long, int> n;
  std::ifstream in(dir / "exec.log");
  for (long long id; in >> id;) ++n[id];
  return n;
}

inline std::set<long long> ids_of(const std::vector<nlohmann::json>& records) {
  std::set<long long> ids;
  for (const auto& r : records) ids.insert(r["id"].get<long long>());
  return ids;
}

// Records whose id is unique and whose output is the square of the input; returns false
// (with failures reported) otherwise. With `n`, ids must be exactly 1..n.
inline void expect_square_records(const std::vector<nlohmann::json>& records, std::optional<int> n = std::nullopt) {
  std::set<long long> ids;
  for (const auto& r : records) {
    const long long id = r["id"].get<long long>();
    EXPECT_TRUE(ids.insert(id).second) << "duplicate record " << r.dump();
    EXPECT_EQ(r["input"], std::to_string(id)) << r.dump();
    EXPECT_EQ(r["status"], "ok") << r.dump();
    EXPECT_EQ(r["output"], std::to_string(id * id) + "\n") << r.dump();
  }
  if (n) {
    EXPECT_EQ(records.size(), static_cast<std::size_t>(*n));
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(*n));
    if (!ids.empty()) {
      EXPECT_EQ(*ids.begin(), 1);
      EXPECT_EQ(*ids.rbegin(), *n);
    }
  }
}

// Sum of the first number captured by `pattern` over every match in `text`.
inline std::uint64_t sum_matches(const std::string& text, const std::string& pattern) {
  std::uint64_t sum = 0;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
    sum += std::stoull((*it)[1].str());
  return sum;
}

// Every line of the file is a whole JSON record (no torn or foreign line was left).
inline void expect_only_records(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    EXPECT_TRUE(nlohmann::json::accept(line)) << file << ":" << n << " is not a record: " << line.substr(0, 200);
  }
}

inline nlohmann::json summary_of(const std::filesystem::path& file) { return nlohmann::json::parse(read_file(file)); }

}  // namespace zpipe::test
