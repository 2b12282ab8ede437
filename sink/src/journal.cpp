#include "journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "record_check.hpp"

namespace zpipe::sink {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// Whole lines of a file, each with its number and whether its newline was there.
class Lines {
public:
  explicit Lines(const std::string& path) : path_(path), file_(std::fopen(path.c_str(), "rb")) {
    if (!file_) fail(path, std::string("cannot read journal: ") + std::strerror(errno));
  }
  ~Lines() {
    std::fclose(file_);
    std::free(buffer_);
  }
  Lines(const Lines&) = delete;
  Lines& operator=(const Lines&) = delete;

  // The next line (its newline included, when it has one); false at the end.
  bool next(std::string_view& line) {
    const ssize_t n = ::getline(&buffer_, &capacity_, file_);
    if (n <= 0) {
      if (std::ferror(file_)) fail(path_, "read error while scanning the journal");
      return false;
    }
    ++number_;
    line = std::string_view(buffer_, static_cast<std::size_t>(n));
    return true;
  }
  std::uint64_t number() const { return number_; }

private:
  std::string path_;
  std::FILE* file_;
  char* buffer_ = nullptr;
  std::size_t capacity_ = 0;
  std::uint64_t number_ = 0;
};

struct Problem {
  std::uint64_t line;
  std::string what;
};

// Writes the lines of `path` to keep into a temporary file, then renames it over `path`:
// at every moment the journal is either the old file or the new one, whole.
void rewrite(const std::string& path, const std::vector<Problem>& problems, bool drop_failed) {
  const std::string kept_path = path + ".zpipe-rewrite";
  std::FILE* kept = std::fopen(kept_path.c_str(), "wb");
  if (!kept) fail(kept_path, std::string("cannot write: ") + std::strerror(errno));
  Lines lines(path);
  std::string_view line;
  auto problem = problems.begin();
  while (lines.next(line)) {
    if (line.back() != '\n') break;  // the torn last line goes
    if (problem != problems.end() && problem->line == lines.number()) {
      ++problem;
      continue;
    }
    CheckedRecord record;
    if (drop_failed && !check_record(line.substr(0, line.size() - 1), record) && record.status != "ok") continue;
    if (std::fwrite(line.data(), 1, line.size(), kept) != line.size()) {
      std::fclose(kept);
      fail(kept_path, std::string("write failed: ") + std::strerror(errno));
    }
  }
  const bool flushed = std::fflush(kept) == 0 && ::fsync(::fileno(kept)) == 0;
  std::fclose(kept);
  if (!flushed) fail(kept_path, std::string("write failed: ") + std::strerror(errno));
  std::filesystem::rename(kept_path, path);
}

}  // namespace

JournalScan scan_journal(const std::string& path, const JournalChecks& checks) {
  JournalScan scan;
  if (path.empty() || !std::filesystem::is_regular_file(path)) return scan;
  struct statx st {};
  if (::statx(AT_FDCWD, path.c_str(), 0, STATX_BTIME, &st) == 0 && (st.stx_mask & STATX_BTIME) != 0) {
    scan.born = std::chrono::system_clock::time_point(std::chrono::seconds(st.stx_btime.tv_sec) +
                                                      std::chrono::nanoseconds(st.stx_btime.tv_nsec));
  }

  std::vector<Problem> problems;
  std::uint64_t good_bytes = 0;
  {
    Lines lines(path);
    std::string_view line;
    while (lines.next(line)) {
      if (line.back() != '\n') break;  // torn: the crash hit mid-line
      good_bytes += line.size();
      CheckedRecord record;
      if (auto wrong = check_record(line.substr(0, line.size() - 1), record)) {
        problems.push_back({lines.number(), "not a whole zpipe record (" + *wrong + ")"});
        continue;
      }
      if (checks.total && record.id > *checks.total) {
        problems.push_back({lines.number(), "id " + std::to_string(record.id) + " is beyond the batch's " +
                                                std::to_string(*checks.total) + " tasks"});
        continue;
      }
      if (checks.drop_failed && record.status != "ok") {
        ++scan.dropped;
        continue;
      }
      if (!scan.ids.insert(record.id)) {
        problems.push_back({lines.number(), "a second record for id " + std::to_string(record.id)});
        continue;
      }
      scan.max_id = std::max(scan.max_id, record.id);
      if (record.status == "ok") ++scan.ok;
      else if (record.status == "failed") ++scan.failed;
      else ++scan.timeout;
    }
  }

  if (!problems.empty() && !checks.repair) {
    const Problem& first = problems.front();
    const std::string more =
        problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) + " more such lines)" : "";
    throw std::runtime_error(path + ":" + std::to_string(first.line) + ": " + first.what + more +
                             "; refusing to use this file as the journal: run again with --repair to remove "
                             "such lines (their tasks run again), or move the file away");
  }
  for (const Problem& p : problems) spdlog::warn("sink: {}:{}: removed: {}", path, p.line, p.what);
  scan.repaired = problems.size();

  if (!problems.empty() || scan.dropped > 0) {
    rewrite(path, problems, checks.drop_failed);
    return scan;
  }
  const auto size = std::filesystem::file_size(path);
  if (size > good_bytes) {
    scan.torn_bytes = size - good_bytes;
    if (::truncate(path.c_str(), static_cast<off_t>(good_bytes)) != 0)
      fail(path, std::string("cannot repair the torn last line: ") + std::strerror(errno));
  }
  return scan;
}

// The batch's size when the pipeline file tells it (a range, items); a lines source's is
// known only once the ventilator has read it all.
namespace {

std::optional<std::uint64_t> size_of(const config::Source& source) {
  if (const auto* range = std::get_if<config::RangeSource>(&source)) return range->count;
  if (const auto* items = std::get_if<config::ItemsSource>(&source)) return items->items.size();
  return std::nullopt;
}

}  // namespace

JournalScan open_journal(const Options& o, const config::Pipeline& p) {
  if (!o.resume || o.output.empty()) return {};
  JournalScan scan = scan_journal(o.output, {o.resume_failed, o.repair, size_of(p.source)});
  if (scan.repaired > 0) spdlog::warn("sink: {}: removed {} bad lines (--repair)", o.output, scan.repaired);
  if (scan.torn_bytes > 0)
    spdlog::warn("sink: {}: cut a torn last line ({} bytes) left by a crash", o.output, scan.torn_bytes);
  if (scan.dropped > 0) spdlog::info("sink: {}: removed {} failed records to run again", o.output, scan.dropped);
  spdlog::info("resuming: {} records already in {}", scan.ids.count(), o.output);
  return scan;
}

}  // namespace zpipe::sink
