// describe(): the resolved pipeline as text, printed by `zpipe check`.

#include <sstream>

#include "detail.hpp"

namespace zpipe::config {
namespace {

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct SourceText {
  std::string operator()(const RangeSource& range) const {
    if (range.count == 0) return "range from " + std::to_string(range.start) + " (empty, 0 tasks)";
    // Modular arithmetic: well defined even for a hand-built range that overflows.
    const auto last = static_cast<std::int64_t>(static_cast<std::uint64_t>(range.start) +
                                                (range.count - 1));
    return "range " + std::to_string(range.start) + ".." + std::to_string(last) + " (" +
           plural(range.count, "task", "tasks") + ")";
  }
  std::string operator()(const LinesSource& lines) const {
    return lines.path == "-" ? "lines of stdin (one task per line)"
                             : "lines of " + lines.path + " (one task per line)";
  }
  std::string operator()(const ItemsSource& items) const {
    std::string text = plural(items.items.size(), "item", "items");
    constexpr std::size_t shown = 5;
    for (std::size_t i = 0; i < items.items.size() && i < shown; ++i)
      text += (i == 0 ? ": " : ", ") + quote(items.items[i]);
    if (items.items.size() > shown) text += ", ...";
    return text;
  }
  std::string operator()(const ArgsSource& args) const {
    std::string text = "argument lists from " + plural(args.inputs.size(), "input source", "input sources");
    text += args.link ? ", linked" : ", all combinations";
    if (!args.colsep.empty()) text += ", columns split by " + quote(args.colsep);
    if (args.max_args > 1) text += ", " + std::to_string(args.max_args) + " per task";
    return text;
  }
};

std::string task_text(const TaskSpec& task) {
  std::string text;
  switch (task.kind) {
    case TaskKind::shell:
      text = "shell: " + task.shell;
      if (task.use_shell == UseShell::always) text += " (always through /bin/sh)";
      break;
    case TaskKind::argv:
      text = "argv: [";
      for (std::size_t i = 0; i < task.argv.size(); ++i)
        text += (i == 0 ? "" : ", ") + quote(task.argv[i]);
      text += "]";
      break;
    case TaskKind::builtin:
      text = std::string("builtin ") + to_string(task.builtin);
      if (task.builtin == Builtin::sleep)
        text += task.ms ? " (" + std::to_string(*task.ms) + "ms each)" : " (ms read from the input)";
      if (task.builtin == Builtin::spin)
        text += task.us ? " (" + std::to_string(*task.us) + "us each)" : " (us read from the input)";
      if (task.builtin == Builtin::sha256) text += " (" + plural(task.rounds, "round", "rounds") + ")";
      break;
  }
  return text;
}

const char* fsync_text(FsyncPolicy policy) {
  switch (policy) {
    case FsyncPolicy::never: return "never";
    case FsyncPolicy::interval: return "interval";
    case FsyncPolicy::always: return "always";
  }
  return "interval";
}

std::string address_text(const Endpoint& address) {
  if (address.bind.empty()) return "bind and connect " + address.endpoint;
  return "bind " + address.bind + ", connect " + address.endpoint;
}

}  // namespace

std::string describe(const Pipeline& pipeline) {
  using detail::format_duration;
  std::ostringstream out;
  const TaskSpec& task = pipeline.task;
  const VentilatorSpec& ventilator = pipeline.ventilator;
  const SinkSpec& sink = pipeline.sink;
  const WorkersSpec& workers = pipeline.workers;

  out << "pipeline   " << pipeline.name;
  if (!pipeline.file.empty()) out << " (" << pipeline.file.string() << ")";
  out << "\nsource     " << std::visit(SourceText{}, pipeline.source) << "\n";
  out << "task       " << task_text(task) << "\n";
  out << "           timeout "
      << (task.timeout.count() == 0 ? std::string("none") : format_duration(task.timeout))
      << ", retries " << task.retries << ", max output "
      << detail::format_size(task.max_output) << " per stream\n";
  out << "ventilator " << address_text(ventilator.address) << "\n";
  out << "           window " << ventilator.window << ", heartbeat "
      << format_duration(ventilator.heartbeat) << ", liveness " << ventilator.liveness
      << " (a peer is dead after "
      << format_duration(ventilator.heartbeat * static_cast<Duration::rep>(ventilator.liveness))
      << " of silence)\n";
  out << "sink       " << address_text(sink.address) << "\n";
  out << "           output " << (sink.output.empty() ? std::string("stdout") : sink.output)
      << ", summary " << (sink.summary.empty() ? std::string("none") : sink.summary) << ", "
      << (sink.ordered ? "ordered" : "unordered") << ", fsync " << fsync_text(sink.fsync) << "\n";
  out << "workers    " << plural(workers.count, "worker", "workers") << " x "
      << plural(workers.slots, "slot", "slots") << ", prefetch " << (workers.prefetch ? std::to_string(*workers.prefetch) : std::string("auto"))
      << ", name " << (workers.name.empty() ? std::string("host:pid") : workers.name)
      << ", grace " << format_duration(workers.grace) << ", orphan after "
      << (workers.orphan_after ? format_duration(*workers.orphan_after) : std::string("3 silence periods")) << "\n";
  if (pipeline.halt.enabled()) out << "halt       " << pipeline.halt.describe() << "\n";
  if (pipeline.resume)
    out << "resume     yes: tasks that already have a record in the output are skipped\n";
  return out.str();
}

std::string describe_task(const TaskSpec& task) { return task_text(task); }

}  // namespace zpipe::config
