#include "record_check.hpp"

#include <charconv>

namespace zpipe::sink {
namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A cursor over the line that records the first thing that did not match.
class Reader {
public:
  explicit Reader(std::string_view line) : line_(line) {}

  bool literal(std::string_view text) {
    if (line_.substr(at_, text.size()) != text) return fail("expected " + std::string(text));
    at_ += text.size();
    return true;
  }
  // A JSON string: quotes, escapes as JSON allows them, no raw control byte.
  bool string() {
    if (!literal("\"")) return false;
    while (at_ < line_.size()) {
      const char c = line_[at_];
      if (c == '"') {
        ++at_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return fail("a raw control byte inside a string");
      if (c == '\\') {
        if (at_ + 1 >= line_.size()) break;
        const char e = line_[at_ + 1];
        if (e == 'u') {
          if (at_ + 6 > line_.size() || !is_hex(line_[at_ + 2]) || !is_hex(line_[at_ + 3]) ||
              !is_hex(line_[at_ + 4]) || !is_hex(line_[at_ + 5]))
            return fail("a bad \\u escape");
          at_ += 6;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) return fail("a bad escape");
        at_ += 2;
        continue;
      }
      ++at_;
    }
    return fail("a string that does not end");
  }
  template <typename Number>
  bool number(Number& value, const char* expected = "expected a number") {
    const char* begin = line_.data() + at_;
    const auto [end, ec] = std::from_chars(begin, line_.data() + line_.size(), value);
    if (ec != std::errc() || end == begin) return fail(expected);
    at_ += static_cast<std::size_t>(end - begin);
    return true;
  }
  bool exit_code() {
    if (optional_literal("null")) return true;
    int value = 0;
    return number(value, "expected an exit code or null");
  }
  // Milliseconds as the writer prints them: digits, then at most three decimals.
  bool milliseconds() {
    std::uint64_t whole = 0;
    if (!number(whole)) return false;
    if (at_ < line_.size() && line_[at_] == '.') {
      std::size_t n = 0;
      for (++at_; at_ < line_.size() && is_digit(line_[at_]); ++at_) ++n;
      if (n == 0 || n > 3) return fail("expected milliseconds with up to three decimals");
    }
    return true;
  }
  bool status(std::string_view& out) {
    for (std::string_view s : {"ok", "failed", "timeout"}) {
      if (line_.substr(at_, s.size() + 1) == std::string(s) + "\"") {
        out = line_.substr(at_, s.size());
        at_ += s.size() + 1;
        return true;
      }
    }
    return fail("expected a status (ok, failed, timeout)");
  }
  // The optional `"args":[...]` of an argument-list task's record: one string at least.
  bool optional_args() {
    if (!optional_literal(",\"args\":[")) return true;
    do {
      if (!string()) return false;
    } while (optional_literal(","));
    return literal("]");
  }
  bool at_end() { return at_ == line_.size() ? true : fail("bytes after the record's end"); }
  bool optional_literal(std::string_view text) {
    if (line_.substr(at_, text.size()) != text) return false;
    at_ += text.size();
    return true;
  }
  const std::string& error() const { return error_; }

private:
  bool fail(const std::string& what) {
    if (error_.empty()) error_ = "at byte " + std::to_string(at_ + 1) + ": " + what;
    return false;
  }
  std::string_view line_;
  std::size_t at_ = 0;
  std::string error_;
};

}  // namespace

std::optional<std::string> check_record(std::string_view line, CheckedRecord& out) {
  Reader r(line);
  std::uint64_t attempts = 0;
  const bool whole = r.literal("{\"id\":") && r.number(out.id) && r.literal(",\"input\":") && r.string() && r.optional_args() &&
                     r.literal(",\"status\":\"") && r.status(out.status) && r.literal(",\"exit_code\":") &&
                     r.exit_code() && r.literal(",\"attempts\":") && r.number(attempts) &&
                     r.literal(",\"worker\":") && r.string() && r.literal(",\"output\":") && r.string() &&
                     r.literal(",\"stderr\":") && r.string() && r.literal(",\"ms\":") && r.milliseconds() &&
                     (r.optional_literal(",\"truncated\":true}") || r.literal("}")) && r.at_end();
  if (!whole) return r.error();
  if (out.id == 0) return std::string("id 0 (ids start at 1)");
  return std::nullopt;
}

}  // namespace zpipe::sink
