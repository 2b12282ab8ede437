#include "journal_fingerprint.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "zpipe/sink/sink.hpp"

namespace zpipe::sink {

std::uint64_t journal_fingerprint(const config::TaskSpec& task) {
  config::TaskSpec what = task;
  const config::TaskSpec defaults;
  what.timeout = defaults.timeout;
  what.retries = defaults.retries;
  what.max_output = defaults.max_output;
  what.use_shell = defaults.use_shell;
  return config::task_fingerprint(what);
}

std::string fingerprint_file(const std::string& output) { return output + ".fingerprint"; }

void check_journal_fingerprint(const std::string& output, std::uint64_t fingerprint, bool rerun_failed) {
  std::error_code error;
  const auto size = std::filesystem::file_size(output, error);
  if (error || size == 0) return;  // no records: nothing to mix
  const std::string sidecar = fingerprint_file(output);
  std::ifstream in(sidecar);
  if (!in) {
    spdlog::warn("sink: {}: no {} (a journal from an older zpipe): resuming without checking that the same command "
                 "wrote it", output, sidecar);
    return;
  }
  std::string stored;
  std::getline(in, stored);
  const std::string expected = fmt::format("{:016x}", fingerprint);
  if (stored == expected) return;
  if (rerun_failed) {
    spdlog::warn("sink: {}: its records were written by another command or task (fingerprint {}; this run's is {}): "
                 "--resume-failed runs the failed ones again with this one, and the file holds both",
                 output, stored.empty() ? "unreadable" : stored, expected);
    return;
  }
  throw std::runtime_error(fmt::format(
      "{}: --resume refused: its records were written by another command or task (fingerprint {}, in {}; this "
      "run's is {}); resuming would mix both in one file. Give a new --output FILE, or delete {} to start afresh",
      output, stored.empty() ? "unreadable" : stored, sidecar, expected, output));
}

namespace {

std::uint64_t count_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::uint64_t lines = 0;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
    lines += static_cast<std::uint64_t>(std::count(buffer, buffer + in.gcount(), '\n'));
  return lines;
}

enum class Owner { unknown, this_task, another_task };

Owner owner_of(const std::string& output, std::uint64_t fingerprint) {
  std::ifstream in(fingerprint_file(output));
  std::string stored;
  if (!in || !std::getline(in, stored)) return Owner::unknown;
  return stored == fmt::format("{:016x}", fingerprint) ? Owner::this_task : Owner::another_task;
}

}  // namespace

void refuse_existing_output(const std::string& output, std::uint64_t fingerprint) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(output, error)) return;  // new, /dev/null, a FIFO
  const auto size = std::filesystem::file_size(output, error);
  if (error || size == 0) return;  // nothing to lose, nothing to mix
  const std::uint64_t lines = count_lines(output);
  if (owner_of(output, fingerprint) == Owner::another_task)
    throw OutputExists(fmt::format(
        "{} already holds {} lines of another command or task ({} bytes): give --fresh to replace it, or another "
        "output file",
        output, lines, size));
  throw OutputExists(fmt::format(
      "{} already holds {} lines ({} bytes): give --resume to continue it (only tasks without a record run), or "
      "--fresh to replace it, or another output file",
      output, lines, size));
}

void write_journal_fingerprint(const std::string& output, std::uint64_t fingerprint) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(output, error)) return;  // /dev/null, a FIFO: no journal
  const std::string sidecar = fingerprint_file(output);
  const std::string temporary = sidecar + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << fmt::format("{:016x}\n", fingerprint);
    out.close();
    if (!out) throw std::runtime_error(temporary + ": cannot write: " + std::strerror(errno));
  }
  std::filesystem::rename(temporary, sidecar);
}

}  // namespace zpipe::sink
