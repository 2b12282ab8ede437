#pragma once
// Private helpers of the config library: the sections' readers, endpoints, and unit
// parsing/formatting. The map view and typed readers are in zpipe/config/yaml_reader.hpp.

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "zpipe/config/pipeline.hpp"
#include "zpipe/config/yaml_reader.hpp"

namespace zpipe::config::detail {

// Most bytes of a pipeline file, and most bytes of text that a list (source.items,
// task.argv) may add up to once YAML aliases are expanded. yaml-cpp needs ~250 bytes of
// memory per node, and an alias repeats its anchor's whole text, so unbounded input could
// take gigabytes; long lists of inputs belong in a `lines:` file.
inline constexpr std::size_t kMaxTextBytes = 1 << 20;

// The message for a list whose text passes kMaxTextBytes at element `index`. Only aliases
// can do that (each repeats its anchor's text: "items: [&a LONG, *a, *a, ...]"); an alias
// node has its anchor's mark, so the error points at the list and names the index.
std::string list_too_large(const std::string& path, std::size_t index);

// A count N (>= 1) or a percentage "N%" (1-100), as halt's `after` and --halt take them:
// {N, is_percent}; nullopt when `text` is neither.
std::optional<std::pair<std::uint64_t, bool>> count_or_percent(const std::string& text);
// A ZeroMQ endpoint; `bind` allows '*' as host and port.
std::string read_endpoint(const Context& ctx, const Field& field, bool bind);

// Reads the sections with their own files.
Source read_source(const Context& ctx, const Field& field);
TaskSpec read_task(const Context& ctx, const Field& field);

// Why `text` is not a usable ZeroMQ endpoint (nullopt: it is one).
std::optional<std::string> endpoint_problem(std::string_view text, bool bind);
// "tcp" for "tcp://...", "" when there is no "://".
std::string_view endpoint_transport(std::string_view text);

// "64KiB", "1MiB", "1MB", "512" (bytes). Throws std::invalid_argument.
std::uint64_t parse_size(const std::string& text);
// 1048576 -> "1MiB", 1000 -> "1000B".
std::string format_size(std::uint64_t bytes);
// 1500ms -> "1500ms", 30000ms -> "30s", 0 -> "0s".
std::string format_duration(Duration duration);

}  // namespace zpipe::config::detail
