// config::Pipeline -> pipeline file text, one key per field that differs from nothing.

#include "pipeline_yaml.hpp"

#include <yaml-cpp/yaml.h>

namespace zpipe::experiment::detail {
namespace {

std::string ms(config::Duration d) { return std::to_string(d.count()) + "ms"; }

void write_source(YAML::Emitter& out, const config::Source& source) {
  out << YAML::Key << "source" << YAML::Value << YAML::BeginMap;
  if (const auto* range = std::get_if<config::RangeSource>(&source)) {
    out << YAML::Key << "range" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "start"
        << YAML::Value << range->start << YAML::Key << "count" << YAML::Value << range->count << YAML::EndMap;
  } else if (const auto* lines = std::get_if<config::LinesSource>(&source)) {
    out << YAML::Key << "lines" << YAML::Value << YAML::DoubleQuoted << lines->path;
  } else if (const auto* items = std::get_if<config::ItemsSource>(&source)) {
    out << YAML::Key << "items" << YAML::Value << YAML::BeginSeq;
    for (const std::string& item : items->items) out << YAML::DoubleQuoted << item;
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

void write_task(YAML::Emitter& out, const config::TaskSpec& task) {
  out << YAML::Key << "task" << YAML::Value << YAML::BeginMap;
  switch (task.kind) {
    case config::TaskKind::shell:
      out << YAML::Key << "shell" << YAML::Value << YAML::DoubleQuoted << task.shell;
      out << YAML::Key << "use_shell" << YAML::Value
          << (task.use_shell == config::UseShell::always ? "always" : "auto");
      break;
    case config::TaskKind::argv:
      out << YAML::Key << "argv" << YAML::Value << YAML::BeginSeq;
      for (const std::string& word : task.argv) out << YAML::DoubleQuoted << word;
      out << YAML::EndSeq;
      break;
    case config::TaskKind::builtin:
      out << YAML::Key << "builtin" << YAML::Value << config::to_string(task.builtin);
      if (task.ms) out << YAML::Key << "ms" << YAML::Value << *task.ms;
      if (task.us) out << YAML::Key << "us" << YAML::Value << *task.us;
      if (task.builtin == config::Builtin::sha256) out << YAML::Key << "rounds" << YAML::Value << task.rounds;
      break;
  }
  out << YAML::Key << "timeout" << YAML::Value << ms(task.timeout);
  out << YAML::Key << "retries" << YAML::Value << task.retries;
  out << YAML::Key << "max_output" << YAML::Value << task.max_output;
  out << YAML::EndMap;
}

void write_endpoint(YAML::Emitter& out, const config::Endpoint& address) {
  out << YAML::Key << "endpoint" << YAML::Value << address.endpoint;
  if (!address.bind.empty()) out << YAML::Key << "bind" << YAML::Value << address.bind;
}

const char* fsync_name(config::FsyncPolicy policy) {
  switch (policy) {
    case config::FsyncPolicy::never: return "never";
    case config::FsyncPolicy::always: return "always";
    case config::FsyncPolicy::interval: break;
  }
  return "interval";
}

void write_halt(YAML::Emitter& out, const config::HaltSpec& halt) {
  if (!halt.enabled()) return;
  const char* on = halt.on == config::HaltSpec::On::failure ? "failure"
                   : halt.on == config::HaltSpec::On::success ? "success"
                                                              : "done";
  out << YAML::Key << "halt" << YAML::Value << YAML::BeginMap << YAML::Key << "on" << YAML::Value << on;
  out << YAML::Key << "after" << YAML::Value
      << (std::to_string(halt.after) + (halt.percent ? "%" : ""));
  out << YAML::Key << "when" << YAML::Value << (halt.when == config::HaltSpec::When::now ? "now" : "soon");
  out << YAML::EndMap;
}

}  // namespace

std::string pipeline_yaml(const config::Pipeline& p) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << 1;
  out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << p.name;
  write_source(out, p.source);
  write_task(out, p.task);

  out << YAML::Key << "ventilator" << YAML::Value << YAML::BeginMap;
  write_endpoint(out, p.ventilator.address);
  out << YAML::Key << "window" << YAML::Value << p.ventilator.window;
  out << YAML::Key << "delay" << YAML::Value << ms(p.ventilator.delay);
  out << YAML::Key << "heartbeat" << YAML::Value << ms(p.ventilator.heartbeat);
  out << YAML::Key << "liveness" << YAML::Value << p.ventilator.liveness;
  out << YAML::EndMap;

  out << YAML::Key << "sink" << YAML::Value << YAML::BeginMap;
  write_endpoint(out, p.sink.address);
  if (!p.sink.output.empty()) out << YAML::Key << "output" << YAML::Value << YAML::DoubleQuoted << p.sink.output;
  if (!p.sink.summary.empty()) out << YAML::Key << "summary" << YAML::Value << YAML::DoubleQuoted << p.sink.summary;
  out << YAML::Key << "ordered" << YAML::Value << p.sink.ordered;
  out << YAML::Key << "fsync" << YAML::Value << fsync_name(p.sink.fsync);
  out << YAML::EndMap;

  out << YAML::Key << "workers" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "count" << YAML::Value << p.workers.count;
  out << YAML::Key << "slots" << YAML::Value << p.workers.slots;
  if (p.workers.prefetch) out << YAML::Key << "prefetch" << YAML::Value << *p.workers.prefetch;
  else out << YAML::Key << "prefetch" << YAML::Value << "auto";
  if (!p.workers.name.empty()) out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << p.workers.name;
  out << YAML::Key << "grace" << YAML::Value << ms(p.workers.grace);
  if (p.workers.orphan_after) out << YAML::Key << "orphan_after" << YAML::Value << ms(*p.workers.orphan_after);
  out << YAML::EndMap;

  write_halt(out, p.halt);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace zpipe::experiment::detail
