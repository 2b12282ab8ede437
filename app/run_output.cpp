#include "run_output.hpp"

#include <cstdio>
#include <filesystem>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>

#include "zpipe/sink/line_tagger.hpp"
#include "zpipe/worker/placeholders.hpp"

namespace zpipe::app {
namespace {

// What a pipeline file allows for task.max_output (its results may cross tcp whole).
constexpr std::uint64_t kMaxRecordOutput = std::uint64_t{1} << 30;

// A size as GNU parallel writes one too: K, M, G are powers of 1024 and k, m, g of 1000
// (10M = 10 MiB), besides zpipe's KiB, MB ...
std::uint64_t flag_size(const std::string& flag, const std::string& text) {
  std::string spelled = text;
  if (!text.empty() && std::string_view("KMG").find(text.back()) != std::string_view::npos) spelled += "iB";
  else if (!text.empty() && std::string_view("kmg").find(text.back()) != std::string_view::npos) spelled += "B";
  try {
    return config::parse_size(spelled);
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError(flag + ": '" + text + "' is not a size (bytes, or a number with K, M, G, KiB, MB ...)");
  }
}

// The command line a task ran, for --joblog (the slot, {%}, is not known there: 1).
std::string command_line(const config::TaskSpec& spec, const core::TaskResult& r) {
  const std::span<const std::string> args = r.args.empty() ? std::span(&r.input, 1) : std::span(r.args);
  const worker::TaskArgs task{args, r.id, 1, spec.context_replace};
  switch (spec.kind) {
    case config::TaskKind::shell:
      return worker::expand_shell(spec.shell, task);
    case config::TaskKind::argv: {
      std::string line;
      for (const std::string& word : worker::expand_argv(spec.argv, task)) line += (line.empty() ? "" : " ") + word;
      return line;
    }
    case config::TaskKind::builtin:
      break;
  }
  return std::string(config::to_string(spec.builtin)) + " " + r.input;
}

}  // namespace

RunOutput::RunOutput(const RunOptions& o, config::Pipeline& p, sink::Options& sink) {
  const bool text = sink.format == sink::Format::text;
  if (!text && (o.tag || o.line_buffer))
    throw config::ConfigError(std::string(o.tag ? "--tag" : "--line-buffer") +
                              " goes with the output on stdout of '-- COMMAND', not with JSON records (--output FILE "
                              "or a pipeline file; a record has its input)");
  if (o.line_buffer && (o.keep_order || !o.results.empty()))
    throw config::ConfigError(std::string("--line-buffer prints lines as they come: it does not go with ") +
                              (o.keep_order ? "-k" : "--results"));
  // Command mode keeps every byte by default, on stdout and in records alike (a record's
  // output beyond memory is copied from its spill file into the line, a piece at a time). A
  // pipeline file keeps its task.max_output, which bounds what crosses tcp too.
  if (!o.max_output.empty()) {
    p.task.max_output = flag_size("--max-output", o.max_output);
    if (!o.parallel_mode && !text && p.task.max_output > kMaxRecordOutput)
      throw config::ConfigError("--max-output: '" + o.max_output + "' is too large for a pipeline file's records (at "
                                "most 1GiB, as task.max_output)");
  } else if (o.parallel_mode) {
    p.task.max_output = std::numeric_limits<std::size_t>::max();  // what is beyond memory is spilled
  }
  if (o.parallel_mode) sink.cut_limit_name = "--max-output";
  if (o.parallel_mode || text) {
    sink.spills = &spills_;
    worker_.spills = &spills_;
  }
  sink.tag = o.tag;
  if (!o.results.empty()) sink.results = std::filesystem::absolute(o.results).string();
  if (!o.joblog.empty()) {
    sink.joblog = std::filesystem::absolute(o.joblog).string();
    sink.command_line = [&task = p.task](const core::TaskResult& r) { return command_line(task, r); };
  }
  if (o.line_buffer) {
    worker_.stdout_lines = [this, tag = o.tag](const core::TaskResult& task, std::string_view lines) {
      std::string tagged;
      if (tag) sink::LineTagger(task.input).apply(lines, tagged);
      const std::string_view bytes = tag ? std::string_view(tagged) : lines;
      const std::lock_guard lock(stdout_mutex_);
      std::fwrite(bytes.data(), 1, bytes.size(), stdout);
      std::fflush(stdout);
    };
  }
}

}  // namespace zpipe::app
