#include "journal.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace zpipe::sink {
namespace {

struct Record {
  std::uint64_t id = 0;
  std::string_view status;
};

// Our records start with {"id":N, and carry "status":"..." after the input. String values
// are JSON-escaped (a quote inside is \"), so the first ,"status":" is the real field.
bool parse_record(std::string_view line, Record& out) {
  constexpr std::string_view prefix = "{\"id\":";
  if (line.substr(0, prefix.size()) != prefix) return false;
  const char* begin = line.data() + prefix.size();
  const auto [end, ec] = std::from_chars(begin, line.data() + line.size(), out.id);
  if (ec != std::errc() || out.id == 0 || end == begin || *end != ',') return false;
  constexpr std::string_view key = ",\"status\":\"";
  const auto at = line.find(key);
  if (at == std::string_view::npos) return false;
  const auto close = line.find('"', at + key.size());
  if (close == std::string_view::npos) return false;
  out.status = line.substr(at + key.size(), close - at - key.size());
  return out.status == "ok" || out.status == "failed" || out.status == "timeout";
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

}  // namespace

JournalScan scan_journal(const std::string& path, bool drop_failed) {
  JournalScan scan;
  if (path.empty() || !std::filesystem::is_regular_file(path)) return scan;
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) fail(path, std::string("cannot read journal: ") + std::strerror(errno));

  const std::string kept_path = path + ".zpipe-rewrite";
  std::FILE* kept = nullptr;
  if (drop_failed) {
    kept = std::fopen(kept_path.c_str(), "wb");
    if (!kept) fail(kept_path, std::string("cannot write: ") + std::strerror(errno));
  }

  char* buffer = nullptr;
  std::size_t capacity = 0;
  std::uint64_t good_bytes = 0, line_number = 0;
  ssize_t n = 0;
  while ((n = ::getline(&buffer, &capacity, in)) > 0) {
    ++line_number;
    const std::string_view line(buffer, static_cast<std::size_t>(n));
    if (line.back() != '\n') break;  // torn: the crash hit mid-line
    Record record;
    if (!parse_record(line.substr(0, line.size() - 1), record)) {
      std::free(buffer);
      std::fclose(in);
      if (kept) std::fclose(kept);
      fail(path, "line " + std::to_string(line_number) + " is not a zpipe record; refusing to use this file as " +
                     "the journal (move it away or choose another output)");
    }
    good_bytes += static_cast<std::uint64_t>(n);
    const bool ok = record.status == "ok";
    if (drop_failed && !ok) {
      ++scan.dropped;
      continue;
    }
    if (!scan.ids.insert(record.id)) continue;  // a duplicate line from an older zpipe: keep the first
    if (ok) ++scan.ok;
    else if (record.status == "failed") ++scan.failed;
    else ++scan.timeout;
    if (kept && std::fwrite(line.data(), 1, line.size(), kept) != line.size())
      fail(kept_path, std::string("write failed: ") + std::strerror(errno));
  }
  std::free(buffer);
  const bool read_error = std::ferror(in);
  std::fclose(in);
  if (read_error) fail(path, "read error while scanning the journal");

  if (kept) {
    if (std::fflush(kept) != 0 || ::fsync(::fileno(kept)) != 0)
      fail(kept_path, std::string("write failed: ") + std::strerror(errno));
    std::fclose(kept);
    std::filesystem::rename(kept_path, path);
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

}  // namespace zpipe::sink
