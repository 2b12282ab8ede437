#pragma once
// The config layer's YAML machinery, public so that other files of zpipe (a sweep file of
// `zpipe experiment`) report errors exactly as pipeline files do: a checked view of one YAML
// map that rejects unknown keys with a suggestion, typed scalar readers whose errors name the
// key, and the one-document loader. Everything fails with ConfigError "FILE:LINE:COL: ...".
//
// Error style: exceptions (ConfigError, see pipeline.hpp).

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

// Throws ConfigError "FILE:LINE:COL: message" (mark is 0-based as yaml-cpp gives it).
[[noreturn]] void fail(const Context& ctx, const YAML::Mark& mark, const std::string& message);

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
std::uint64_t read_uint(const Context& ctx, const Field& field, std::uint64_t min,
                        std::uint64_t max);
std::int64_t read_int(const Context& ctx, const Field& field);
bool read_bool(const Context& ctx, const Field& field);
Duration read_duration(const Context& ctx, const Field& field);
std::uint64_t read_size(const Context& ctx, const Field& field, std::uint64_t max);
// A path made absolute against ctx.base_dir (lexically normal); "-" stays "-", "" stays "".
std::string read_path(const Context& ctx, const Field& field);

// The single YAML document of `text` (null when there is none); syntax errors, and a second
// non-empty document, fail with their position.
YAML::Node load_document(const Context& ctx, const std::string& text);

// A pipeline read from a YAML map (the top level of a pipeline file, or a map inside another
// file such as a sweep's `pipeline:`); relative paths resolve against ctx.base_dir.
Pipeline read_pipeline(const Context& ctx, const YAML::Node& root);

}  // namespace zpipe::config::detail
