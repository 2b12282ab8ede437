#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "zpipe/sink/sink.hpp"

namespace zpipe::sink {

std::string summary_line(const Summary& s) {
  return fmt::format(
      "{} tasks: {} ok, {} failed, {} timeout in {:.2f} s ({:.0f} tasks/s); latency ms p50 {:.3f} p95 {:.3f} p99 "
      "{:.3f}{}",
      s.total, s.ok, s.failed, s.timeout, s.wall_seconds, s.tasks_per_second(), s.p50_ms, s.p95_ms, s.p99_ms,
      s.completed ? "" : " (incomplete)");
}

std::string summary_json(const Summary& s) {
  nlohmann::ordered_json j;
  j["total"] = s.total;
  j["ok"] = s.ok;
  j["failed"] = s.failed;
  j["timeout"] = s.timeout;
  j["duplicates"] = s.duplicates;
  j["dropped"] = s.dropped;
  j["completed"] = s.completed;
  j["wall_seconds"] = s.wall_seconds;
  j["tasks_per_second"] = s.tasks_per_second();
  j["latency_ms"] = {{"p50", s.p50_ms}, {"p95", s.p95_ms}, {"p99", s.p99_ms}, {"max", s.max_ms}};
  return j.dump(2) + "\n";
}

}  // namespace zpipe::sink

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace zpipe::sink {

void publish_summary(const Summary& summary, const std::string& file) {
  spdlog::info("{}", summary_line(summary));
  if (file.empty()) return;
  std::ofstream out(file, std::ios::trunc);
  out << summary_json(summary);
  out.close();
  if (!out) throw std::runtime_error(file + ": cannot write summary: " + std::strerror(errno));
}

}  // namespace zpipe::sink
