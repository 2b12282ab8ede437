#pragma once
// Private helpers of the config library: a checked view of one YAML map, typed scalar
// readers that report "FILE:LINE:COL: key: message", and unit parsing/formatting.

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "zpipe/config/pipeline.hpp"

namespace zpipe::config::detail {

// What every error needs: the name of the text and the folder relative paths resolve against.
struct Context {
  std::string file;                // as shown in messages
  std::filesystem::path base_dir;  // absolute
};

// Most bytes of a pipeline file, and most bytes of text that a list (source.items,
// task.argv) may add up to once YAML aliases are expanded. yaml-cpp needs ~250 bytes of
// memory per node, and an alias repeats its anchor's whole text, so unbounded input could
// take gigabytes; long lists of inputs belong in a `lines:` file.
inline constexpr std::size_t kMaxTextBytes = 1 << 20;

// Throws ConfigError "FILE:LINE:COL: message" (mark is 0-based as yaml-cpp gives it).
[[noreturn]] void fail(const Context& ctx, const YAML::Mark& mark, const std::string& message);

// The message for a list whose text passes kMaxTextBytes at element `index`. Only aliases
// can do that (each repeats its anchor's text: "items: [&a LONG, *a, *a, ...]"); an alias
// node has its anchor's mark, so the error points at the list and names the index.
std::string list_too_large(const std::string& path, std::size_t index);

// "null", "'text'", "a list", "a map": how a node is named in "got ..." messages.
std::string describe_node(const YAML::Node& node);

// Optimal-string-alignment edit distance (a transposition counts as one edit).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, if it is close enough to be a plausible typo.
std::optional<std::string> suggest(std::string_view word,
                                   std::initializer_list<std::string_view> candidates);

// One key/value pair of a map, with its full dotted path ("task.timeout").
struct Field {
  std::string name;
  std::string path;
  YAML::Node key;
  YAML::Node value;
  // Where errors about the value point: the value, or the key when the value is empty.
  YAML::Mark mark() const;
};

// A YAML map whose keys are scalars without duplicates. A null node reads as an empty map
// (so "sink:" with nothing under it means all defaults).
class MapReader {
public:
  // `path` is the dotted path of the map ("" for the top level); `owner_mark` is where errors
  // about the map itself point when it is empty (its key).
  MapReader(const Context& ctx, const YAML::Node& node, std::string path, YAML::Mark owner_mark);

  // Fails on the first key not in `allowed`, suggesting the nearest valid one.
  void reject_unknown(std::initializer_list<std::string_view> allowed) const;

  const Field* find(std::string_view name) const;
  // Fails with "missing required key 'PATH.NAME'" at the map's mark.
  const Field& require(std::string_view name) const;
  // Fails with "missing required key 'PATH.A|B|C'" unless exactly one of `names` is present;
  // two present: "PATH: 'A' and 'B' are mutually exclusive (give exactly one)".
  const Field& require_one_of(std::initializer_list<std::string_view> names) const;

  const std::vector<Field>& fields() const { return fields_; }
  const YAML::Mark& mark() const { return mark_; }
  const std::string& path() const { return path_; }
  std::string path_of(std::string_view name) const;
  const Context& context() const { return *ctx_; }

private:
  const Context* ctx_;
  std::string path_;
  YAML::Mark mark_;
  std::vector<Field> fields_;
};

// Typed readers: each fails naming the field ("task.retries: expected ..., got 'abc'").
std::string read_string(const Context& ctx, const Field& field, bool allow_empty);
// A count N (>= 1) or a percentage "N%" (1-100), as halt's `after` and --halt take them:
// {N, is_percent}; nullopt when `text` is neither.
std::optional<std::pair<std::uint64_t, bool>> count_or_percent(const std::string& text);
std::uint64_t read_uint(const Context& ctx, const Field& field, std::uint64_t min,
                        std::uint64_t max);
std::int64_t read_int(const Context& ctx, const Field& field);
bool read_bool(const Context& ctx, const Field& field);
Duration read_duration(const Context& ctx, const Field& field);
std::uint64_t read_size(const Context& ctx, const Field& field, std::uint64_t max);
// A ZeroMQ endpoint; `bind` allows '*' as host and port.
std::string read_endpoint(const Context& ctx, const Field& field, bool bind);
// A path made absolute against ctx.base_dir (lexically normal); "-" stays "-", "" stays "".
std::string read_path(const Context& ctx, const Field& field);

// The single YAML document of `text` (null when there is none); syntax errors, and a second
// non-empty document, fail with their position.
YAML::Node load_document(const Context& ctx, const std::string& text);

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
