// Tiny command-line helpers shared by the bench programs (no dependency beyond the STL).
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <initializer_list>

namespace zpipe::bench {

[[noreturn]] inline void usage_error(const char* usage, const std::string& message) {
  std::fprintf(stderr, "%s\nusage: %s\n", message.c_str(), usage);
  std::exit(2);
}

// Parses a positive decimal integer, or exits with a usage error naming the flag.
inline std::uint64_t parse_count(const char* usage, std::string_view flag, const char* text) {
  std::uint64_t value = 0;
  const std::string_view s = text == nullptr ? std::string_view{} : std::string_view{text};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || value == 0) {
    usage_error(usage, std::string(flag) + ": expected a positive integer, got '" + std::string(s) + "'");
  }
  return value;
}

// Reads `--name N` pairs into the counts given, in any order; anything else is a usage
// error naming the argument.
inline void parse_counts(int argc, char** argv, const char* usage,
                         std::initializer_list<std::pair<std::string_view, std::uint64_t*>> flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    bool matched = false;
    for (const auto& [name, value] : flags) {
      if (arg == name && i + 1 < argc) {
        *value = parse_count(usage, arg, argv[++i]);
        matched = true;
        break;
      }
    }
    if (!matched) usage_error(usage, "unknown or incomplete argument '" + std::string(arg) + "'");
  }
}

}  // namespace zpipe::bench
