// Durations ("500ms", "30s", "1.5s", "5m", "1h", bare number = seconds) and byte sizes ("64KiB").

#include <cctype>
#include <charconv>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

#include "detail.hpp"

namespace zpipe::config {
namespace {

struct NumberAndUnit {
  std::uint64_t number = 0;
  std::string_view unit;
};

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Splits "  30 s " into 30 and "s". Returns false when there is no leading decimal number.
// Sets `too_large` when the number does not fit 64 bits.
bool split_number(std::string_view text, NumberAndUnit& out, bool& too_large) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) return false;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, out.number);
  too_large = ec == std::errc::result_out_of_range;
  if (ec != std::errc{} && !too_large) return false;
  std::string_view rest(ptr, static_cast<std::size_t>(end - ptr));
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  out.unit = rest;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

Duration parse_duration(const std::string& text) {
  const std::string quoted = "'" + text + "'";
  std::string_view trimmed = text;
  while (!trimmed.empty() && is_space(trimmed.front())) trimmed.remove_prefix(1);
  if (trimmed.empty()) throw std::invalid_argument("empty duration (expected e.g. 500ms, 30s, 5m or 1h)");
  if (trimmed.front() == '-') throw std::invalid_argument(quoted + " is negative (a duration must be >= 0)");

  NumberAndUnit parsed;
  bool too_large = false;
  std::uint64_t scale = 0;
  // A decimal fraction ("1.5", "0.25s", as GNU parallel's --timeout 1.5 takes): its digits,
  // as a numerator over a power of ten, applied once the unit is known.
  std::uint64_t fraction = 0, fraction_of = 1;
  const bool number = split_number(trimmed, parsed, too_large);
  if (number && parsed.unit.starts_with('.')) {
    std::string_view digits = parsed.unit.substr(1);
    std::size_t n = 0;
    while (n < digits.size() && n < 9 && std::isdigit(static_cast<unsigned char>(digits[n]))) {
      fraction = fraction * 10 + static_cast<std::uint64_t>(digits[n] - '0');
      fraction_of *= 10;
      ++n;
    }
    parsed.unit = n == 0 || (n < digits.size() && std::isdigit(static_cast<unsigned char>(digits[n])))
                      ? std::string_view("?")  // "1." or more than nine decimals
                      : digits.substr(n);
    while (!parsed.unit.empty() && is_space(parsed.unit.front())) parsed.unit.remove_prefix(1);
  }
  if (number) {
    if (parsed.unit == "ms") scale = 1;
    else if (parsed.unit == "s" || parsed.unit.empty()) scale = 1000;
    else if (parsed.unit == "m") scale = 60'000;
    else if (parsed.unit == "h") scale = 3'600'000;
  }
  if (scale == 0) {
    throw std::invalid_argument(quoted +
                                " is not a duration (expected e.g. 500ms, 30s, 1.5s, 5m or 1h; a bare "
                                "number is seconds)");
  }
  // At most a year: callers may add it to a clock or convert it to nanoseconds safely.
  constexpr std::uint64_t max_ms = 365ull * 24 * 3'600'000;
  if (too_large || parsed.number > max_ms / scale)
    throw std::invalid_argument(quoted + " is too large (at most 8760h)");
  return Duration(static_cast<Duration::rep>(parsed.number * scale + fraction * scale / fraction_of));
}

namespace detail {

std::uint64_t parse_size(const std::string& text) {
  const std::string quoted = "'" + text + "'";
  std::string_view trimmed = text;
  while (!trimmed.empty() && is_space(trimmed.front())) trimmed.remove_prefix(1);
  if (!trimmed.empty() && trimmed.front() == '-') throw std::invalid_argument(quoted + " is negative");

  struct Unit {
    std::string_view name;
    std::uint64_t scale;
  };
  static constexpr Unit units[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"KiB", 1024},
      {"MB", 1000 * 1000},
      {"MiB", 1024 * 1024},
      {"GB", 1000 * 1000 * 1000},
      {"GiB", 1024ull * 1024 * 1024},
  };
  NumberAndUnit parsed;
  bool too_large = false;
  std::uint64_t scale = 0;
  if (split_number(trimmed, parsed, too_large)) {
    for (const Unit& unit : units) {
      if (iequals(parsed.unit, unit.name)) scale = unit.scale;
    }
  }
  if (scale == 0) {
    throw std::invalid_argument(quoted +
                                " is not a size (expected bytes, or a number with B, KB, KiB, MB, "
                                "MiB, GB or GiB, e.g. 64KiB)");
  }
  if (too_large || parsed.number > std::numeric_limits<std::uint64_t>::max() / scale)
    throw std::invalid_argument(quoted + " is too large");
  return parsed.number * scale;
}

std::string format_size(std::uint64_t bytes) {
  if (bytes != 0 && bytes % (1024ull * 1024 * 1024) == 0)
    return std::to_string(bytes / (1024ull * 1024 * 1024)) + "GiB";
  if (bytes != 0 && bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + "MiB";
  if (bytes != 0 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + "KiB";
  return std::to_string(bytes) + "B";
}

std::string format_duration(Duration duration) {
  const auto ms = duration.count();
  if (ms == 0) return "0s";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace detail

std::uint64_t parse_size(const std::string& text) { return detail::parse_size(text); }

}  // namespace zpipe::config
