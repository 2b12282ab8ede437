// Writes the seed corpus of fuzz_protocol: valid encoded messages of every type, one per
// file, as the 2-byte header followed by the body (the layout fuzz_protocol reads).
//   make_protocol_seeds DIR     (fuzz/corpus/protocol/ holds its output, committed)

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "zpipe/core/protocol.hpp"

using namespace zpipe::core;

namespace {

TaskResult result(TaskId id, TaskStatus status, std::optional<std::int32_t> exit_code,
                  bool truncated, std::string input, std::string output, std::string error) {
  TaskResult r;
  r.id = id;
  r.attempts = static_cast<std::uint32_t>(id % 3 + 1);
  r.status = status;
  r.exit_code = exit_code;
  r.truncated = truncated;
  r.duration_us = 1000 * id + 7;
  r.input = std::move(input);
  r.output = std::move(output);
  r.error = std::move(error);
  return r;
}

std::vector<std::pair<std::string, Message>> seeds() {
  const std::string binary("nul\0byte\xff\xfe", 10);
  std::vector<std::pair<std::string, Message>> s;
  s.emplace_back("hello-worker", Hello{Role::worker, 0x1122334455667788ull, 4, "host:42"});
  s.emplace_back("hello-sink", Hello{Role::sink, 0xcbf29ce484222325ull, 0, "sink"});
  s.emplace_back("hello-empty-name", Hello{Role::worker, 0, 0, ""});
  s.emplace_back("credit-1", Credit{1});
  s.emplace_back("credit-max", Credit{0xffffffffu});
  s.emplace_back("heartbeat", Heartbeat{});
  s.emplace_back("ack-empty", Ack{0, {}});
  s.emplace_back("ack-ranges", Ack{5, {{1, 3}, {10, 1}, {100, 256}}});
  s.emplace_back("ack-huge-range", Ack{0, {{0xffffffff00000000ull, 0xffffffffu}}});
  s.emplace_back("have-final-empty", Have{true, 0, {}});
  s.emplace_back("have-partial", Have{false, 2, {{1, 1000}, {2000, 5}}});
  s.emplace_back("have-final-ranges", Have{true, 7, {{3, 4}}});
  s.emplace_back("bye-not-final", Bye{false, {4, 5, 9}});
  s.emplace_back("bye-final", Bye{true, {}});
  s.emplace_back("welcome", Welcome{1000, 5});
  s.emplace_back("welcome-zero", Welcome{0, 0});
  s.emplace_back("refuse", Refuse{"fingerprint mismatch: this pipeline's task differs"});
  s.emplace_back("refuse-empty", Refuse{""});
  s.emplace_back("tasks-empty", Tasks{});
  s.emplace_back("tasks-one", Tasks{{{1, 1, "42"}}});
  s.emplace_back("tasks-several", Tasks{{{1, 1, "a"}, {2, 3, binary}, {3, 1, ""}, {0xffffffffffffffffull, 9, "max id"}}});
  s.emplace_back("arg-tasks", Tasks{{{1, 1, "", {"a", binary, ""}}, {2, 2, "", {"one"}}}});
  s.emplace_back("done", Done{});
  s.emplace_back("total-0", Total{0});
  s.emplace_back("total-1000", Total{1000});
  s.emplace_back("halt", Halt{"halted after 3 failures"});
  s.emplace_back("halt-empty", Halt{""});
  s.emplace_back("results-empty", Results{"w#1", {}});
  s.emplace_back("results-ok", Results{"host:42", {result(1, TaskStatus::ok, 0, false, "1", "1\n", "")}});
  s.emplace_back("results-failed", Results{"w", {result(2, TaskStatus::failed, -3, false, "in", "", "boom\n")}});
  s.emplace_back("results-timeout", Results{"w", {result(3, TaskStatus::timeout, std::nullopt, true, "x", "partial", "")}});
  s.emplace_back("results-mixed",
                 Results{"worker-2", {result(4, TaskStatus::ok, 0, true, binary, binary, binary),
                                      result(5, TaskStatus::failed, 127, false, "", "", "not found"),
                                      result(6, TaskStatus::timeout, std::nullopt, false, "6", "", "")}});
  TaskResult with_args = result(7, TaskStatus::ok, 0, false, "", "a\n", "");
  with_args.args = {"a", binary, ""};
  s.emplace_back("arg-results", Results{"w", {with_args}});
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  for (const auto& [name, message] : seeds()) {
    const Encoded e = encode(message);
    std::ofstream out(dir / (name + ".bin"), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(e.header), 2);
    out.write(e.body.data(), static_cast<std::streamsize>(e.body.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", (dir / (name + ".bin")).c_str());
      return 1;
    }
  }
  return 0;
}
