// load_pipeline / parse_pipeline: the top level and the ventilator, sink and workers sections.

#include <cerrno>
#include <cstdio>
#include <limits>
#include <memory>
#include <system_error>

#include "detail.hpp"

namespace zpipe::config {
namespace {

using detail::Context;
using detail::Field;
using detail::MapReader;
using detail::fail;
using detail::read_uint;

constexpr std::uint64_t max_u32 = std::numeric_limits<std::uint32_t>::max();
// Bounds that keep heartbeat x liveness (in nanoseconds) far from overflowing anywhere.
constexpr Duration max_heartbeat{3'600'000};
constexpr std::uint64_t max_liveness = 1000;

// The address a role binds, and where its key is written (for conflict errors).
struct BindSite {
  std::string address;
  YAML::Mark mark;
};

std::filesystem::path base_dir_of(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::path absolute =
      file.empty() ? std::filesystem::current_path(ec) / "pipeline.yaml"
                   : std::filesystem::absolute(file, ec);
  if (ec) absolute = file;
  return absolute.lexically_normal().parent_path();
}

// Reads `endpoint` and `bind` of a section into `address`; returns where the bind address
// was given (`fallback` when neither key was).
BindSite read_address(const Context& ctx, const MapReader& map, Endpoint& address,
                      const YAML::Mark& fallback) {
  BindSite site{"", fallback};
  const Field* endpoint = map.find("endpoint");
  const Field* bind = map.find("bind");
  if (endpoint != nullptr) {
    address.endpoint = detail::read_endpoint(ctx, *endpoint, false);
    site.mark = endpoint->mark();
  }
  if (bind != nullptr) {
    address.bind = detail::read_endpoint(ctx, *bind, true);
    site.mark = bind->mark();
    const auto bind_transport = detail::endpoint_transport(address.bind);
    const auto connect_transport = detail::endpoint_transport(address.endpoint);
    if (bind_transport != connect_transport) {
      fail(ctx, bind->mark(),
           bind->path + ": '" + address.bind + "' and " + map.path_of("endpoint") + " '" +
               address.endpoint + "' use different transports (set endpoint to the address " +
               "peers connect to)");
    }
  }
  site.address = address.bind_address();
  return site;
}

VentilatorSpec read_ventilator(const Context& ctx, const Field* field, BindSite& site,
                               const YAML::Mark& top_mark) {
  VentilatorSpec spec;
  if (field == nullptr) {
    site = BindSite{spec.address.bind_address(), top_mark};
    return spec;
  }
  const MapReader map(ctx, field->value, field->path, field->key.Mark());
  map.reject_unknown({"endpoint", "bind", "window", "heartbeat", "liveness", "delay"});
  if (const Field* delay = map.find("delay")) spec.delay = detail::read_duration(ctx, *delay);
  site = read_address(ctx, map, spec.address, field->key.Mark());
  if (const Field* window = map.find("window"))
    spec.window = static_cast<std::uint32_t>(read_uint(ctx, *window, 1, max_u32));
  if (const Field* heartbeat = map.find("heartbeat")) {
    spec.heartbeat = detail::read_duration(ctx, *heartbeat);
    if (spec.heartbeat.count() <= 0)
      fail(ctx, heartbeat->mark(), heartbeat->path + ": must be greater than 0");
    if (spec.heartbeat > max_heartbeat)
      fail(ctx, heartbeat->mark(), heartbeat->path + ": must be at most 1h");
  }
  if (const Field* liveness = map.find("liveness"))
    spec.liveness = static_cast<std::uint32_t>(read_uint(ctx, *liveness, 1, max_liveness));
  return spec;
}

SinkSpec read_sink(const Context& ctx, const Field* field, BindSite& site,
                   const YAML::Mark& top_mark, const Source& source) {
  SinkSpec spec;
  if (field == nullptr) {
    site = BindSite{spec.address.bind_address(), top_mark};
    return spec;
  }
  const MapReader map(ctx, field->value, field->path, field->key.Mark());
  map.reject_unknown({"endpoint", "bind", "output", "summary", "ordered", "fsync"});
  site = read_address(ctx, map, spec.address, field->key.Mark());
  if (const Field* output = map.find("output")) {
    spec.output = detail::read_path(ctx, *output);
    if (spec.output == "-") spec.output.clear();  // stdout, like an empty output
    const auto* lines = std::get_if<LinesSource>(&source);
    if (lines != nullptr && !spec.output.empty() && lines->path == spec.output) {
      fail(ctx, output->mark(),
           output->path + ": same file as source.lines ('" + spec.output + "')");
    }
  }
  if (const Field* summary = map.find("summary")) {
    spec.summary = detail::read_path(ctx, *summary);
    if (spec.summary == "-")
      fail(ctx, summary->mark(), summary->path + ": '-' (stdout) is not supported; give a file path");
    if (!spec.summary.empty() && spec.summary == spec.output) {
      fail(ctx, summary->mark(),
           summary->path + ": same file as " + map.path_of("output") + " ('" + spec.output + "')");
    }
  }
  if (const Field* ordered = map.find("ordered")) spec.ordered = detail::read_bool(ctx, *ordered);
  if (const Field* fsync = map.find("fsync")) {
    const std::string policy = detail::read_string(ctx, *fsync, false);
    if (policy == "never") spec.fsync = FsyncPolicy::never;
    else if (policy == "interval") spec.fsync = FsyncPolicy::interval;
    else if (policy == "always") spec.fsync = FsyncPolicy::always;
    else fail(ctx, fsync->mark(), fsync->path + ": expected never, interval or always, got '" + policy + "'");
  }
  return spec;
}

// halt: { on: failure|success|done, after: N or "N%", when: soon|now } (GNU parallel's
// --halt WHEN,fail=N).
HaltSpec read_halt(const Context& ctx, const Field* field) {
  HaltSpec spec;
  if (field == nullptr) return spec;
  const MapReader map(ctx, field->value, field->path, field->key.Mark());
  map.reject_unknown({"on", "after", "when"});
  const Field& on = map.require("on");
  const std::string event = detail::read_string(ctx, on, false);
  if (event == "failure") spec.on = HaltSpec::On::failure;
  else if (event == "success") spec.on = HaltSpec::On::success;
  else if (event == "done") spec.on = HaltSpec::On::done;
  else fail(ctx, on.mark(), on.path + ": expected failure, success or done, got '" + event + "'");
  spec.after = 1;
  if (const Field* after = map.find("after")) {
    const std::string text = detail::read_string(ctx, *after, false);
    const auto n = detail::count_or_percent(text);
    if (!n) fail(ctx, after->mark(), after->path + ": expected a count (>= 1) or a percentage 1%-100%, got '" + text + "'");
    spec.after = n->first;
    spec.percent = n->second;
  }
  if (const Field* when = map.find("when")) {
    const std::string text = detail::read_string(ctx, *when, false);
    if (text == "soon") spec.when = HaltSpec::When::soon;
    else if (text == "now") spec.when = HaltSpec::When::now;
    else fail(ctx, when->mark(), when->path + ": expected soon or now, got '" + text + "'");
  }
  return spec;
}

WorkersSpec read_workers(const Context& ctx, const Field* field) {
  WorkersSpec spec;
  if (field == nullptr) return spec;
  const MapReader map(ctx, field->value, field->path, field->key.Mark());
  map.reject_unknown({"count", "slots", "prefetch", "name", "grace", "orphan_after"});
  if (const Field* count = map.find("count"))
    spec.count = static_cast<std::uint32_t>(read_uint(ctx, *count, 1, max_u32));
  if (const Field* slots = map.find("slots"))
    spec.slots = static_cast<std::uint32_t>(read_uint(ctx, *slots, 1, max_u32));
  if (const Field* prefetch = map.find("prefetch")) {
    const bool scalar = prefetch->value.IsScalar();
    const std::string text = scalar ? prefetch->value.Scalar() : std::string();
    if (scalar && !text.empty() && text.find_first_not_of("0123456789") != std::string::npos && text != "auto")
      fail(ctx, prefetch->mark(), prefetch->path + ": expected 'auto' or a non-negative integer, got '" + text + "'");
    if (text != "auto") spec.prefetch = static_cast<std::uint32_t>(read_uint(ctx, *prefetch, 0, max_u32));
  }
  if (const Field* name = map.find("name")) spec.name = detail::read_string(ctx, *name, true);
  if (const Field* grace = map.find("grace")) spec.grace = detail::read_duration(ctx, *grace);
  if (const Field* orphan = map.find("orphan_after")) spec.orphan_after = detail::read_duration(ctx, *orphan);
  return spec;
}

}  // namespace

Pipeline detail::read_pipeline(const Context& ctx, const YAML::Node& root) {
  const MapReader top(ctx, root, "", root.Mark());

  // The version first: a newer file should fail on its version, not on its new keys.
  const Field& version = top.require("version");
  const std::int64_t number = detail::read_int(ctx, version);
  if (number != 1) {
    fail(ctx, version.mark(), "version: unsupported version " + std::to_string(number) +
                                  " (this zpipe reads version 1)");
  }
  top.reject_unknown({"version", "name", "source", "task", "ventilator", "sink", "workers", "halt", "resume"});

  Pipeline pipeline;
  pipeline.version = 1;
  pipeline.name = detail::read_string(ctx, top.require("name"), false);
  pipeline.source = detail::read_source(ctx, top.require("source"));
  pipeline.task = detail::read_task(ctx, top.require("task"));

  BindSite ventilator_site;
  BindSite sink_site;
  pipeline.ventilator = read_ventilator(ctx, top.find("ventilator"), ventilator_site, top.mark());
  pipeline.sink = read_sink(ctx, top.find("sink"), sink_site, top.mark(), pipeline.source);
  pipeline.workers = read_workers(ctx, top.find("workers"));
  pipeline.halt = read_halt(ctx, top.find("halt"));
  if (const Field* resume = top.find("resume")) {
    pipeline.resume = detail::read_bool(ctx, *resume);
    if (pipeline.resume && pipeline.sink.output.empty())
      fail(ctx, resume->mark(), "resume: needs sink.output (the output file is the journal)");
  }

  if (ventilator_site.address == sink_site.address) {
    // Point at whichever of the two was written last (the one that made them collide).
    const bool sink_later = sink_site.mark.pos >= ventilator_site.mark.pos;
    fail(ctx, sink_later ? sink_site.mark : ventilator_site.mark,
         std::string(sink_later ? "sink" : "ventilator") + ": binds the same address as the " +
             (sink_later ? "ventilator" : "sink") + " ('" + sink_site.address + "')");
  }
  return pipeline;
}

Pipeline parse_pipeline(const std::string& text, const std::filesystem::path& file) {
  Context ctx{file.empty() ? std::string("<text>") : file.string(), base_dir_of(file)};
  const YAML::Node root = detail::load_document(ctx, text);
  const char* expected = "a map with version, name, source and task";
  if (root.IsNull())
    fail(ctx, YAML::Mark(), std::string("empty pipeline file (expected ") + expected + ")");
  if (!root.IsMap()) {
    fail(ctx, root.Mark(), "expected " + std::string(expected) + " at the top level, got " +
                               detail::describe_node(root));
  }
  Pipeline pipeline = detail::read_pipeline(ctx, root);
  pipeline.file = file;
  return pipeline;
}

Pipeline load_pipeline(const std::filesystem::path& file) {
  const std::string name = file.string();
  auto cannot_read = [&](int error) {
    return ConfigError(name + ": cannot read: " + std::system_category().message(error));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> stream(std::fopen(file.c_str(), "rb"),
                                                         &std::fclose);
  if (!stream) throw cannot_read(errno);
  std::string text;
  char buffer[65536];
  errno = 0;
  for (;;) {
    const std::size_t got = std::fread(buffer, 1, sizeof buffer, stream.get());
    text.append(buffer, got);
    if (got < sizeof buffer) break;
  }
  if (std::ferror(stream.get())) throw cannot_read(errno != 0 ? errno : EIO);
  return parse_pipeline(text, file);
}

}  // namespace zpipe::config
