// Checked access to YAML maps and typed scalars, with "FILE:LINE:COL: key: message" errors.

#include <algorithm>
#include <charconv>
#include <limits>
#include <stdexcept>

#include "detail.hpp"

namespace zpipe::config::detail {

namespace {

// The message on one line whatever the file holds: control characters that quoted values
// bring in (a key or value with a newline, found by fuzz/fuzz_config) are escaped.
std::string one_line(const std::string& message) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (byte < 0x20 || byte == 0x7f) out += std::string("\\x") + hex[byte >> 4] + hex[byte & 15];
    else out += c;
  }
  return out;
}

}  // namespace

void fail(const Context& ctx, const YAML::Mark& mark, const std::string& message) {
  // yaml-cpp marks are 0-based (and -1 when unknown): report 1-based, at least 1.
  const int line = std::max(mark.line, 0) + 1;
  const int column = std::max(mark.column, 0) + 1;
  throw ConfigError(ctx.file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                    one_line(message));
}

std::string list_too_large(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]: the list adds up to more than " +
         format_size(kMaxTextBytes) + " of text (aliases count their anchor's text each time)";
}

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: break;
  }
  return "nothing (null)";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows of the optimal-string-alignment table.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        current[j] = std::min(current[j], before[j - 2] + 1);
    }
    before.swap(previous);
    previous.swap(current);
  }
  return previous[b.size()];
}

std::optional<std::string> suggest(std::string_view word,
                                   std::initializer_list<std::string_view> candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  // A plausible typo: at most two edits, and fewer edits than letters (so "x" suggests nothing).
  if (best && best_distance <= 2 && best_distance < word.size() && best_distance < best->size())
    return best;
  return std::nullopt;
}

YAML::Mark Field::mark() const { return value.IsNull() ? key.Mark() : value.Mark(); }

MapReader::MapReader(const Context& ctx, const YAML::Node& node, std::string path,
                     YAML::Mark owner_mark)
    : ctx_(&ctx), path_(std::move(path)), mark_(owner_mark) {
  if (node.IsNull()) return;
  const std::string what = path_.empty() ? "the top level" : path_;
  if (!node.IsMap()) fail(ctx, node.Mark(), what + ": expected a map, got " + describe_node(node));
  mark_ = node.Mark();
  for (auto it = node.begin(); it != node.end(); ++it) {
    // Copies: it->first refers into a temporary owned by the iterator's proxy.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      fail(ctx, key.Mark(), (path_.empty() ? "" : path_ + ": ") + "expected a key name, got " +
                                describe_node(key));
    }
    const std::string& name = key.Scalar();
    if (find(name) != nullptr) fail(ctx, key.Mark(), "duplicate key '" + path_of(name) + "'");
    fields_.push_back(Field{name, path_of(name), key, value});
  }
}

std::string MapReader::path_of(std::string_view name) const {
  return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
}

void MapReader::reject_unknown(std::initializer_list<std::string_view> allowed) const {
  for (const Field& field : fields_) {
    if (std::find(allowed.begin(), allowed.end(), field.name) != allowed.end()) continue;
    std::string message = "unknown key '" + field.path + "'";
    if (auto near = suggest(field.name, allowed)) {
      message += " (did you mean '" + *near + "'?)";
    } else {
      message += " (expected one of:";
      for (std::string_view name : allowed) message += " " + std::string(name);
      message += ")";
    }
    fail(*ctx_, field.key.Mark(), message);
  }
}

const Field* MapReader::find(std::string_view name) const {
  for (const Field& field : fields_) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

const Field& MapReader::require(std::string_view name) const {
  if (const Field* field = find(name)) return *field;
  fail(*ctx_, mark_, "missing required key '" + path_of(name) + "'");
}

const Field& MapReader::require_one_of(std::initializer_list<std::string_view> names) const {
  const Field* chosen = nullptr;
  // Walk in document order so the error points at the second of two conflicting keys.
  for (const Field& field : fields_) {
    if (std::find(names.begin(), names.end(), field.name) == names.end()) continue;
    if (chosen != nullptr) {
      fail(*ctx_, field.key.Mark(),
           (path_.empty() ? std::string("") : path_ + ": ") + "'" + chosen->name + "' and '" +
               field.name + "' are mutually exclusive (give exactly one)");
    }
    chosen = &field;
  }
  if (chosen == nullptr) {
    std::string alternatives;
    for (std::string_view name : names) {
      alternatives += (alternatives.empty() ? "" : "|") + std::string(name);
    }
    fail(*ctx_, mark_, "missing required key '" + path_of(alternatives) + "'");
  }
  return *chosen;
}

std::string read_string(const Context& ctx, const Field& field, bool allow_empty) {
  if (!field.value.IsScalar())
    fail(ctx, field.mark(), field.path + ": expected a string, got " + describe_node(field.value));
  if (!allow_empty && field.value.Scalar().empty())
    fail(ctx, field.mark(), field.path + ": must not be empty");
  return field.value.Scalar();
}

std::uint64_t read_uint(const Context& ctx, const Field& field, std::uint64_t min,
                        std::uint64_t max) {
  const std::string expected = field.path + ": expected a non-negative integer, got ";
  if (!field.value.IsScalar()) fail(ctx, field.mark(), expected + describe_node(field.value));
  const std::string& text = field.value.Scalar();
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range && ptr == text.data() + text.size()) {
    fail(ctx, field.mark(), field.path + ": " + text + " is too large (at most " +
                                std::to_string(max) + ")");
  }
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size())
    fail(ctx, field.mark(), expected + "'" + text + "'");
  if (value > max) {
    fail(ctx, field.mark(), field.path + ": " + text + " is too large (at most " +
                                std::to_string(max) + ")");
  }
  if (value < min) {
    fail(ctx, field.mark(), field.path + ": must be at least " + std::to_string(min) + ", got " +
                                text);
  }
  return value;
}

std::int64_t read_int(const Context& ctx, const Field& field) {
  const std::string expected = field.path + ": expected an integer, got ";
  if (!field.value.IsScalar()) fail(ctx, field.mark(), expected + describe_node(field.value));
  const std::string& text = field.value.Scalar();
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range && ptr == text.data() + text.size())
    fail(ctx, field.mark(), field.path + ": " + text + " does not fit a 64-bit integer");
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size())
    fail(ctx, field.mark(), expected + "'" + text + "'");
  return value;
}

bool read_bool(const Context& ctx, const Field& field) {
  if (field.value.IsScalar()) {
    const std::string& text = field.value.Scalar();
    for (const char* yes : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
      if (text == yes) return true;
    for (const char* no : {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})
      if (text == no) return false;
  }
  fail(ctx, field.mark(),
       field.path + ": expected true or false, got " + describe_node(field.value));
}

Duration read_duration(const Context& ctx, const Field& field) {
  if (!field.value.IsScalar()) {
    fail(ctx, field.mark(), field.path + ": expected a duration (e.g. 500ms, 30s, 5m, 1h), got " +
                                describe_node(field.value));
  }
  try {
    return parse_duration(field.value.Scalar());
  } catch (const std::invalid_argument& e) {
    fail(ctx, field.mark(), field.path + ": " + e.what());
  }
}

std::uint64_t read_size(const Context& ctx, const Field& field, std::uint64_t max) {
  if (!field.value.IsScalar()) {
    fail(ctx, field.mark(), field.path + ": expected a size (e.g. 65536, 64KiB, 1MiB), got " +
                                describe_node(field.value));
  }
  std::uint64_t value = 0;
  try {
    value = parse_size(field.value.Scalar());
  } catch (const std::invalid_argument& e) {
    fail(ctx, field.mark(), field.path + ": " + e.what());
  }
  if (value > max) {
    fail(ctx, field.mark(), field.path + ": '" + field.value.Scalar() + "' is too large (at most " +
                                format_size(max) + ")");
  }
  return value;
}

std::string read_endpoint(const Context& ctx, const Field& field, bool bind) {
  if (!field.value.IsScalar()) {
    fail(ctx, field.mark(), field.path + ": expected a ZeroMQ endpoint string, got " +
                                describe_node(field.value));
  }
  const std::string& text = field.value.Scalar();
  if (auto problem = endpoint_problem(text, bind)) fail(ctx, field.mark(), field.path + ": " + *problem);
  return text;
}

std::string read_path(const Context& ctx, const Field& field) {
  const std::string text = read_string(ctx, field, true);
  if (text.empty() || text == "-") return text;
  std::filesystem::path path(text);
  if (path.is_relative()) path = ctx.base_dir / path;
  return path.lexically_normal().string();
}

}  // namespace zpipe::config::detail
