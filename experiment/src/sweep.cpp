// Reading a sweep file with the config layer's machinery, so its errors read like a pipeline
// file's: "FILE:LINE:COL: axes.workrs: unknown key (did you mean 'workers'?)".

#include "zpipe/experiment/sweep.hpp"

#include <cerrno>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>

#include "zpipe/config/yaml_reader.hpp"

namespace zpipe::experiment {
namespace {

using config::ConfigError;
using config::detail::Context;
using config::detail::Field;
using config::detail::MapReader;
using config::detail::fail;

// Far beyond this machine, but bounded: each worker is a process with its own sockets.
constexpr std::uint64_t kMaxWorkers = 4096;
constexpr std::uint64_t kMaxSlots = 100000;
constexpr std::uint64_t kMaxRepetitions = 10000;
constexpr std::uint64_t kMaxPayload = 64ull << 20;  // a task's input travels in one message
constexpr std::uint64_t kMaxTaskMs = 24ull * 3600 * 1000;
constexpr std::uint64_t kMaxHosts = 64;  // network namespaces made for each run

// The elements of an axis: a list, or one scalar meaning a list of one.
std::vector<Field> axis_values(const Context& ctx, const Field& axis) {
  std::vector<Field> values;
  if (axis.value.IsScalar()) {
    values.push_back(axis);
    return values;
  }
  if (!axis.value.IsSequence() || axis.value.size() == 0)
    fail(ctx, axis.mark(), axis.path + ": expected a value or a non-empty list of values, got " +
                               config::detail::describe_node(axis.value));
  std::size_t index = 0;
  for (const YAML::Node& item : axis.value) {
    Field element{axis.name, axis.path + "[" + std::to_string(index++) + "]", axis.key, item};
    if (!item.IsScalar())
      fail(ctx, element.mark(), element.path + ": expected a scalar, got " + config::detail::describe_node(item));
    values.push_back(element);
  }
  return values;
}

template <typename T, typename Read>
std::vector<T> read_axis(const Context& ctx, const Field& axis, Read read) {
  std::vector<T> out;
  for (const Field& value : axis_values(ctx, axis)) out.push_back(read(value));
  return out;
}

// One of `names` (the enum's spelling), with a suggestion when it is near one.
std::size_t read_choice(const Context& ctx, const Field& field, std::initializer_list<std::string_view> names) {
  const std::string text = config::detail::read_string(ctx, field, false);
  std::size_t index = 0;
  for (std::string_view name : names) {
    if (text == name) return index;
    ++index;
  }
  std::string message = field.path + ": expected one of";
  for (std::string_view name : names) message += " " + std::string(name);
  message += ", got '" + text + "'";
  if (auto near = config::detail::suggest(text, names)) message += " (did you mean '" + *near + "'?)";
  fail(ctx, field.mark(), message);
}

std::uint64_t lines_in(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::system_error(errno, std::system_category());
  // getline counts a last line without its newline too, as the ventilator does.
  std::uint64_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

// How many tasks the pipeline's own source makes (its ids are then 1..N).
std::uint64_t source_size(const Context& ctx, const Field& where, const config::Source& source) {
  if (const auto* range = std::get_if<config::RangeSource>(&source)) return range->count;
  if (const auto* items = std::get_if<config::ItemsSource>(&source)) {
    // A run feeds its ventilator the inputs as lines (runner.hpp): an item must be one line.
    for (std::size_t i = 0; i < items->items.size(); ++i)
      if (items->items[i].find('\n') != std::string::npos)
        fail(ctx, where.mark(), "pipeline: source.items[" + std::to_string(i) +
                                    "] holds a newline (a sweep gives the ventilator its inputs as lines)");
    return items->items.size();
  }
  if (const auto* lines = std::get_if<config::LinesSource>(&source)) {
    if (lines->path == "-")
      fail(ctx, where.mark(), "pipeline: source.lines '-' (stdin) cannot be replayed run after run; give a file "
                              "or the sweep's 'tasks'");
    try {
      return lines_in(lines->path);
    } catch (const std::system_error& e) {
      fail(ctx, where.mark(), "pipeline: cannot read source.lines '" + lines->path + "': " + e.code().message());
    }
  }
  fail(ctx, where.mark(), "pipeline: a source whose size is unknown; give the sweep's 'tasks'");
}

config::Pipeline read_pipeline_field(const Context& ctx, const Field& field) {
  if (field.value.IsMap()) return config::detail::read_pipeline(ctx, field.value);
  const std::string path = config::detail::read_path(ctx, field);
  if (path.empty() || path == "-")
    fail(ctx, field.mark(), field.path + ": expected a pipeline (a map) or the path of a pipeline file");
  try {
    return config::load_pipeline(path);
  } catch (const ConfigError& e) {
    // Its own FILE:LINE:COL already; say which sweep named it.
    fail(ctx, field.mark(), field.path + ": " + e.what());
  }
}

bool times_itself(config::Builtin builtin) {
  return builtin == config::Builtin::sleep || builtin == config::Builtin::spin;
}

void read_axes(const Context& ctx, const Field& field, Sweep& sweep) {
  const MapReader map(ctx, field.value, field.path, field.key.Mark());
  map.reject_unknown({"workers", "slots", "mode", "task", "task_ms", "payload", "transport", "prefetch", "hosts"});
  Axes& axes = sweep.axes;
  using config::detail::read_uint;
  if (const Field* f = map.find("workers"))
    axes.workers = read_axis<std::uint32_t>(
        ctx, *f, [&](const Field& v) { return static_cast<std::uint32_t>(read_uint(ctx, v, 1, kMaxWorkers)); });
  if (const Field* f = map.find("slots"))
    axes.slots = read_axis<std::uint32_t>(
        ctx, *f, [&](const Field& v) { return static_cast<std::uint32_t>(read_uint(ctx, v, 1, kMaxSlots)); });
  if (const Field* f = map.find("mode"))
    axes.mode = read_axis<WorkerMode>(
        ctx, *f, [&](const Field& v) { return static_cast<WorkerMode>(read_choice(ctx, v, {"processes", "threads"})); });
  if (const Field* f = map.find("transport"))
    axes.transport = read_axis<Transport>(
        ctx, *f, [&](const Field& v) { return static_cast<Transport>(read_choice(ctx, v, {"tcp", "ipc", "inproc"})); });
  if (const Field* f = map.find("prefetch"))
    axes.prefetch = read_axis<std::optional<std::uint32_t>>(ctx, *f, [&](const Field& v) {
      if (v.value.Scalar() == "auto") return std::optional<std::uint32_t>(kAutoPrefetch);
      return std::optional<std::uint32_t>(static_cast<std::uint32_t>(read_uint(ctx, v, 0, kMaxSlots)));
    });
  if (const Field* f = map.find("payload"))
    axes.payload = read_axis<std::optional<std::uint64_t>>(ctx, *f, [&](const Field& v) {
      return std::optional<std::uint64_t>(config::detail::read_size(ctx, v, kMaxPayload));
    });
  if (const Field* f = map.find("task"))
    axes.task = read_axis<std::optional<config::Builtin>>(ctx, *f, [&](const Field& v) {
      return std::optional<config::Builtin>(static_cast<config::Builtin>(
          read_choice(ctx, v, {"noop", "echo", "sleep", "spin", "sha256"})));  // config::Builtin's order
    });
  if (const Field* f = map.find("hosts")) {
    axes.hosts = read_axis<std::uint32_t>(
        ctx, *f, [&](const Field& v) { return static_cast<std::uint32_t>(read_uint(ctx, v, 1, kMaxHosts)); });
    // Hosts are network namespaces joined by TCP; ipc and inproc stay on one machine.
    for (auto transport : axes.transport)
      for (auto hosts : axes.hosts)
        if (hosts > 1 && transport != Transport::tcp)
          fail(ctx, f->key.Mark(), f->path + ": more than 1 host needs transport tcp (axes.transport has '" +
                                       std::string(to_string(transport)) + "')");
  }
  if (const Field* f = map.find("task_ms"))
    axes.task_ms = read_axis<std::optional<std::uint64_t>>(
        ctx, *f, [&](const Field& v) { return std::optional<std::uint64_t>(read_uint(ctx, v, 0, kMaxTaskMs)); });

  // A duration only means something to a task that takes it; a sleep or spin without one
  // would read its input ("1", "2", ...) as its duration.
  const bool pipeline_times = sweep.pipeline.task.kind == config::TaskKind::builtin &&
                              times_itself(sweep.pipeline.task.builtin);
  if (const Field* f = map.find("task_ms")) {
    for (const auto& task : axes.task) {
      const bool times = task ? times_itself(*task) : pipeline_times;
      if (!times)
        fail(ctx, f->key.Mark(), f->path + ": only for sleep or spin tasks (the task " +
                                     (task ? std::string("'") + config::to_string(*task) + "' of axes.task"
                                           : "of the pipeline, " + config::describe_task(sweep.pipeline.task)) +
                                     " takes no duration)");
    }
  } else if (const Field* t = map.find("task")) {
    for (const auto& task : axes.task)
      if (task && times_itself(*task))
        fail(ctx, t->mark(), t->path + ": '" + std::string(config::to_string(*task)) +
                                 "' needs axes.task_ms (how long each task takes)");
  }
}

std::filesystem::path base_dir_of(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(file, ec);
  if (ec) absolute = file;
  return absolute.lexically_normal().parent_path();
}

}  // namespace

const char* to_string(WorkerMode mode) { return mode == WorkerMode::threads ? "threads" : "processes"; }

const char* to_string(Transport transport) {
  switch (transport) {
    case Transport::tcp: return "tcp";
    case Transport::ipc: return "ipc";
    case Transport::inproc: return "inproc";
  }
  return "?";
}

Sweep parse_sweep(const std::string& text, const std::filesystem::path& file) {
  const Context ctx{file.empty() ? std::string("<text>") : file.string(), base_dir_of(file)};
  const YAML::Node root = config::detail::load_document(ctx, text);
  if (root.IsNull()) fail(ctx, YAML::Mark(), "empty sweep file (expected a map with version, name, pipeline and axes)");
  const MapReader top(ctx, root, "", root.Mark());
  const Field& version = top.require("version");
  if (const std::int64_t number = config::detail::read_int(ctx, version); number != 1)
    fail(ctx, version.mark(), "version: unsupported version " + std::to_string(number) + " (this zpipe reads version 1)");
  top.reject_unknown({"version", "name", "pipeline", "tasks", "axes", "repetitions", "warmup", "timeout"});

  Sweep sweep;
  sweep.file = file;
  sweep.name = config::detail::read_string(ctx, top.require("name"), false);
  const Field& pipeline = top.require("pipeline");
  sweep.pipeline = read_pipeline_field(ctx, pipeline);
  if (const Field* tasks = top.find("tasks")) {
    sweep.tasks = config::detail::read_uint(ctx, *tasks, 1, std::numeric_limits<std::uint32_t>::max());
    sweep.pipeline.source = config::RangeSource{1, sweep.tasks};
  } else {
    sweep.tasks = source_size(ctx, pipeline, sweep.pipeline.source);
    if (sweep.tasks == 0) fail(ctx, pipeline.mark(), "pipeline: its source is empty (nothing to measure)");
  }
  if (const Field* f = top.find("repetitions"))
    sweep.repetitions = static_cast<std::uint32_t>(config::detail::read_uint(ctx, *f, 1, kMaxRepetitions));
  if (const Field* f = top.find("warmup"))
    sweep.warmup = static_cast<std::uint32_t>(config::detail::read_uint(ctx, *f, 0, kMaxRepetitions));
  if (const Field* f = top.find("timeout")) {
    sweep.timeout = config::detail::read_duration(ctx, *f);
    if (sweep.timeout.count() <= 0) fail(ctx, f->mark(), "timeout: must be greater than 0");
  }
  if (const Field* axes = top.find("axes")) read_axes(ctx, *axes, sweep);
  return sweep;
}

Sweep load_sweep(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(file.string() + ": cannot read: " + std::system_category().message(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(file.string() + ": cannot read: " + std::system_category().message(errno));
  return parse_sweep(text.str(), file);
}

}  // namespace zpipe::experiment
