#include "zpipe/sink/record.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>

namespace zpipe::sink {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the byte there does not
// start one (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  const auto cont = [&](std::size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    const unsigned char c1 = byte(i + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    const unsigned char c1 = byte(i + 1);
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// Bytes before the first one JSON needs escaped or checked (control, '"', '\\', non-ASCII).
// Eight at a time (SWAR): task output is mostly plain text, and this loop is the sink's
// main cost for large records.
std::size_t plain_prefix(std::string_view s, std::size_t from) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHighs = 0x8080808080808080ull;
  const auto has_zero = [](std::uint64_t x) { return (x - kOnes) & ~x & kHighs; };
  std::size_t i = from;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    // High bit set, or a byte below 0x20 (adding 0x60 carries it to no high bit), or '"' or '\\'.
    const std::uint64_t special =
        (w & kHighs) | (((w + kOnes * 0x60) & kHighs) ^ kHighs) | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\'));
    if (special != 0) break;
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
  }
  return i;
}

void append_u64(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, end);
}

// Microseconds as milliseconds with up to three decimals: 1500 -> 1.5, 2000 -> 2.
void append_ms(std::string& out, std::uint64_t us) {
  append_u64(out, us / 1000);
  unsigned frac = static_cast<unsigned>(us % 1000);
  if (frac == 0) return;
  char digits[4] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                    static_cast<char>('0' + frac % 10), 0};
  int n = 3;
  while (digits[n - 1] == '0') --n;
  out.push_back('.');
  out.append(digits, static_cast<std::size_t>(n));
}

// The length a UTF-8 sequence starting with byte `c` would have, 0 if `c` starts none.
std::size_t utf8_expected(unsigned char c) {
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

// True when s[i..] is the beginning of a UTF-8 sequence that the next piece may complete.
bool cut_sequence(std::string_view s, std::size_t i) {
  const std::size_t n = utf8_expected(static_cast<unsigned char>(s[i]));
  if (n == 0 || i + n <= s.size()) return false;
  for (std::size_t k = i + 1; k < s.size(); ++k)
    if ((static_cast<unsigned char>(s[k]) & 0xC0) != 0x80) return false;
  return true;
}

// Escapes `s` into `out` (no quotes) and returns how many bytes it took: all of them, unless
// `more` follows and `s` ends inside a UTF-8 sequence, which is then left for the next piece.
std::size_t escape_json(std::string& out, std::string_view s, bool more) {
  std::size_t i = 0;
  while (i < s.size()) {
    // Copy the longest run that needs no escaping in one append.
    const std::size_t run = plain_prefix(s, i);
    out.append(s.data() + i, run - i);
    i = run;
    if (i >= s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      if (const std::size_t n = utf8_sequence(s, i)) {
        out.append(s.data() + i, n);
        i += n;
      } else if (more && cut_sequence(s, i)) {
        return i;
      } else {
        out.append("\\udc");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
    ++i;
  }
  return i;
}

// A stream's bytes in the result, then its spilled rest, as one JSON string; `drain` is
// offered the record after every piece, so a spilled output passes through memory a piece
// at a time.
void append_stream(std::string& out, std::string_view memory, const core::SpillFile* spilled,
                   const std::function<void()>& drain) {
  if (spilled == nullptr || !spilled->is_open() || spilled->size() == 0) return append_json_string(out, memory);
  JsonStringPieces json(out);
  json.append(memory);
  if (drain) drain();
  spilled->read([&](std::string_view piece) {
    json.append(piece);
    if (drain) drain();
  });
  json.finish();
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  escape_json(out, s, false);
  out.push_back('"');
}

JsonStringPieces::JsonStringPieces(std::string& out) : out_(out) { out_.push_back('"'); }

void JsonStringPieces::append(std::string_view piece) {
  if (!held_.empty()) {
    // The held bytes need at most three more to be decided: a sequence is four bytes at most.
    const std::size_t had = held_.size();
    held_.append(piece.substr(0, 4));
    const std::size_t took = escape_json(out_, held_, true);
    if (took < had) {  // still cut: `piece` was shorter than what the sequence needs
      held_.erase(0, took);
      return;
    }
    piece.remove_prefix(took - had);
    held_.clear();
  }
  const std::size_t took = escape_json(out_, piece, true);
  held_.assign(piece.substr(took));
}

void JsonStringPieces::finish() {
  escape_json(out_, held_, false);
  held_.clear();
  out_.push_back('"');
}

void append_record(std::string& out, const core::TaskResult& r, std::string_view worker,
                   const core::SpilledStreams* spilled, const std::function<void()>& drain) {
  out.append("{\"id\":");
  append_u64(out, r.id);
  out.append(",\"input\":");
  append_json_string(out, r.input);
  if (!r.args.empty()) {  // an argument-list task: its arguments, exactly
    out.append(",\"args\":[");
    for (const std::string& arg : r.args) {
      if (&arg != &r.args.front()) out.push_back(',');
      append_json_string(out, arg);
    }
    out.push_back(']');
  }
  out.append(",\"status\":\"");
  out.append(core::to_string(r.status));
  out.append("\",\"exit_code\":");
  if (r.exit_code) {
    char buf[16];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, *r.exit_code).ptr);
  } else {
    out.append("null");
  }
  out.append(",\"attempts\":");
  append_u64(out, r.attempts);
  out.append(",\"worker\":");
  append_json_string(out, worker);
  out.append(",\"output\":");
  append_stream(out, r.output, spilled != nullptr ? &spilled->out : nullptr, drain);
  out.append(",\"stderr\":");
  append_stream(out, r.error, spilled != nullptr ? &spilled->err : nullptr, drain);
  out.append(",\"ms\":");
  append_ms(out, r.duration_us);
  if (r.truncated) out.append(",\"truncated\":true");
  out.push_back('}');
}

}  // namespace zpipe::sink
