#pragma once
// Small helpers of the sink's loop: its incarnation number and how it names a size.

#include <cstdint>
#include <random>
#include <string>

#include <fmt/format.h>

namespace zpipe::sink {

// Drawn once per sink process: tells its successor from itself (docs/protocol.md, One sink).
inline std::uint64_t random_u64() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) | device();
}

// 10485760 -> "10 MiB": as a user would have written the limit.
inline std::string size_text(std::uint64_t bytes) {
  constexpr const char* kUnits[] = {"GiB", "MiB", "KiB"};
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t unit = std::uint64_t{1} << (30 - 10 * i);
    if (bytes >= unit && bytes % unit == 0) return fmt::format("{} {}", bytes / unit, kUnits[i]);
  }
  return fmt::format("{} bytes", bytes);
}

}  // namespace zpipe::sink
