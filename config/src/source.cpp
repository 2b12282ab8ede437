// The `source:` section: range {start, count} | lines: PATH or "-" | items: [scalars].

#include <limits>

#include "detail.hpp"

namespace zpipe::config::detail {
namespace {

RangeSource read_range(const Context& ctx, const Field& field) {
  const MapReader map(ctx, field.value, field.path, field.key.Mark());
  map.reject_unknown({"start", "count"});
  RangeSource range;
  if (const Field* start = map.find("start")) range.start = read_int(ctx, *start);
  const Field& count = map.require("count");
  range.count = read_uint(ctx, count, 0, std::numeric_limits<std::uint64_t>::max());
  // The last input, start + count - 1, must be a 64-bit integer too.
  if (range.count > 0) {
    // Unsigned (modular) arithmetic: exact even for a negative start.
    const std::uint64_t room =
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) -
        static_cast<std::uint64_t>(range.start);
    if (range.count - 1 > room) {
      fail(ctx, count.mark(),
           count.path + ": start + count - 1 does not fit a 64-bit integer (start " +
               std::to_string(range.start) + ", count " + std::to_string(range.count) + ")");
    }
  }
  return range;
}

LinesSource read_lines(const Context& ctx, const Field& field) {
  if (!field.value.IsScalar() || field.value.Scalar().empty()) {
    fail(ctx, field.mark(), field.path + ": expected a file path or '-' (stdin), got " +
                                describe_node(field.value));
  }
  return LinesSource{read_path(ctx, field)};
}

ItemsSource read_items(const Context& ctx, const Field& field) {
  if (!field.value.IsSequence()) {
    fail(ctx, field.mark(),
         field.path + ": expected a list of scalars, got " + describe_node(field.value));
  }
  ItemsSource items;
  items.items.reserve(field.value.size());
  std::size_t index = 0;
  std::size_t bytes = 0;
  for (const YAML::Node& item : field.value) {
    if (!item.IsScalar()) {
      // A null item has no useful mark of its own; the list's mark is the closest.
      const YAML::Mark mark = item.IsNull() ? field.value.Mark() : item.Mark();
      fail(ctx, mark, field.path + "[" + std::to_string(index) + "]: expected a scalar, got " +
                          describe_node(item));
    }
    bytes += item.Scalar().size();
    if (bytes > kMaxTextBytes) fail(ctx, field.value.Mark(), list_too_large(field.path, index));
    items.items.push_back(item.Scalar());
    ++index;
  }
  return items;
}

}  // namespace

Source read_source(const Context& ctx, const Field& field) {
  const MapReader map(ctx, field.value, field.path, field.key.Mark());
  map.reject_unknown({"range", "lines", "items"});
  const Field& chosen = map.require_one_of({"range", "lines", "items"});
  if (chosen.name == "range") return read_range(ctx, chosen);
  if (chosen.name == "lines") return read_lines(ctx, chosen);
  return read_items(ctx, chosen);
}

}  // namespace zpipe::config::detail
