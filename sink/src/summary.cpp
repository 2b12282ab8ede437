#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "zpipe/sink/sink.hpp"

namespace zpipe::sink {

std::string summary_line(const Summary& s) {
  const std::string latency =
      fmt::format("latency ms p50 {:.3f} p95 {:.3f} p99 {:.3f}{}", s.p50_ms, s.p95_ms, s.p99_ms,
                  s.completed ? "" : " (incomplete)");
  if (s.resumed == 0) {
    return fmt::format("{} tasks: {} ok, {} failed, {} timeout in {:.2f} s ({:.0f} tasks/s); {}", s.total, s.ok,
                       s.failed, s.timeout, s.wall_seconds, s.tasks_per_second(), latency);
  }
  // Resumed: this process ran only part of the batch; say which figure is whose.
  const std::string batch = s.batch_seconds > 0 ? fmt::format("; whole batch {:.2f} s since its journal began "
                                                              "({:.0f} tasks/s)",
                                                              s.batch_seconds, s.batch_tasks_per_second())
                                                : std::string();
  return fmt::format("{} tasks: {} ok, {} failed, {} timeout ({} from the journal); this run {} tasks in {:.2f} s "
                     "({:.0f} tasks/s){}; {}",
                     s.total, s.ok, s.failed, s.timeout, s.resumed, s.ok + s.failed + s.timeout - s.resumed,
                     s.wall_seconds, s.tasks_per_second(), batch, latency);
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
  j["wall_seconds"] = s.wall_seconds;          // this process
  j["tasks_per_second"] = s.tasks_per_second();  // records this process wrote
  j["resumed"] = s.resumed;
  j["batch_seconds"] = s.batch_seconds;          // from the journal's birth; 0 if unknown or not resumed
  j["batch_tasks_per_second"] = s.batch_tasks_per_second();
  j["latency_ms"] = {{"p50", s.p50_ms}, {"p95", s.p95_ms}, {"p99", s.p99_ms}, {"max", s.max_ms}};
  return j.dump(2) + "\n";
}

}  // namespace zpipe::sink

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace zpipe::sink {

void publish_summary(const Summary& summary, const std::string& file) {
  spdlog::info("{}", summary_line(summary));
  if (file.empty()) return;
  if (file == "-") {
    // Standard output, after the records (written through the same stdio stream, so in order).
    const std::string json = summary_json(summary);
    if (std::fwrite(json.data(), 1, json.size(), stdout) != json.size() || std::fflush(stdout) != 0)
      throw std::runtime_error(std::string("standard output: cannot write summary: ") + std::strerror(errno));
    return;
  }
  std::ofstream out(file, std::ios::trunc);
  out << summary_json(summary);
  out.close();
  if (!out) throw std::runtime_error(file + ": cannot write summary: " + std::strerror(errno));
}

}  // namespace zpipe::sink
