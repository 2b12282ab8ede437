// zpipe run PIPELINE.yaml            all roles in one process
// zpipe run -j N [-k] -- COMMAND... [::: ARGS | :::: FILES]...  GNU-parallel style over
//                                    stdin lines, -a files or the sources after the command
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <thread>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "head_node.hpp"
#include "local_pipeline.hpp"
#include "probes.hpp"
#include "progress.hpp"
#include "role_config.hpp"
#include "run_output.hpp"
#include "std_streams.hpp"
#include "signals.hpp"

namespace zpipe::app {
namespace {

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

// GNU parallel's -j 0, "as many as possible": it stops near 250 (file handles); so do we.
constexpr unsigned kAsManyAsPossible = 256;

unsigned cpus() { return std::max(1u, std::thread::hardware_concurrency()); }

// -j as GNU parallel reads it: N, N% (of the CPUs), +N and -N (CPUs plus or minus N), 0.
unsigned jobs_from(const std::string& text) {
  const auto bad = [&] {
    return config::ConfigError("-j/--jobs: '" + text + "' is not a number of jobs (N, N%, +N, -N, or 0 for as many "
                               "as possible)");
  };
  if (text.empty()) throw bad();
  const char sign = text.front() == '+' || text.front() == '-' ? text.front() : 0;
  const bool percent = text.back() == '%';
  const std::string digits = text.substr(sign ? 1 : 0, text.size() - (sign ? 1 : 0) - (percent ? 1 : 0));
  if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos ||
      (sign && percent))
    throw bad();
  const long n = std::stol(digits);
  const long all = static_cast<long>(cpus());
  long jobs = n;
  if (percent) jobs = all * n / 100;
  else if (sign == '+') jobs = all + n;
  else if (sign == '-') jobs = all - n;
  else if (n == 0) jobs = kAsManyAsPossible;
  return static_cast<unsigned>(std::clamp(jobs, 1L, 100000L));
}

// The pipeline GNU-parallel mode builds from its flags: inputs (stdin, -a, :::, ::::), one
// shell command.
config::Pipeline parallel_pipeline(const RunOptions& o) {
  CommandInputs inputs = command_inputs(o.command, o.inputs);
  config::Pipeline p;
  p.name = "zpipe-run";
  p.workers.count = 1;
  p.workers.slots = o.jobs.empty() ? cpus() : jobs_from(o.jobs);
  fill_lines(inputs, o.inputs, join(inputs.command), p.workers.slots);
  p.source = std::move(inputs.source);
  p.task.context_replace = inputs.context_replace;
  if (o.no_shell) {
    // Each word as given is one argument: nothing is split, quoted or expanded but placeholders.
    p.task.kind = config::TaskKind::argv;
    p.task.argv = inputs.command;
  } else {
    p.task.kind = config::TaskKind::shell;
    p.task.shell = join(inputs.command);
    p.task.use_shell = o.shell ? config::UseShell::always : config::UseShell::automatic;
  }
  return p;
}

// The files the run reads its inputs from: -a FILE, :::: FILE, a pipeline's source.lines.
std::vector<std::string> input_files(const config::Source& source) {
  std::vector<std::string> files;
  const auto add = [&](const config::LinesSource& lines) {
    if (lines.path != "-") files.push_back(lines.path);
  };
  if (const auto* lines = std::get_if<config::LinesSource>(&source)) add(*lines);
  if (const auto* args = std::get_if<config::ArgsSource>(&source))
    for (const auto& input : args->inputs)
      if (const auto* lines = std::get_if<config::LinesSource>(&input)) add(*lines);
  return files;
}

// The same file: by inode when both exist (a hard link, a symlink, another spelling),
// else by absolute normalised path.
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code error;
  if (std::filesystem::exists(a, error) && std::filesystem::exists(b, error)) {
    const bool same = std::filesystem::equivalent(a, b, error);
    if (!error) return same;
  }
  return std::filesystem::absolute(a).lexically_normal() == std::filesystem::absolute(b).lexically_normal();
}

// Refuses an output that would overwrite what the run reads or writes elsewhere: the
// output (truncated before the first task) or summary naming an input file empties the
// input and the run does nothing; an output that is also the summary loses the records.
void refuse_overwriting(const config::Pipeline& p, const RunOptions& o) {
  const std::string output_flag = !o.output.empty() ? "--output" : "sink.output";
  const std::string summary_flag = !o.summary.empty() ? "--summary" : "sink.summary";
  for (const std::string& input : input_files(p.source)) {
    for (const auto& [flag, file] : {std::pair{output_flag, p.sink.output}, std::pair{summary_flag, p.sink.summary}}) {
      if (file.empty() || file == "-" || !same_file(file, input)) continue;
      throw config::ConfigError("run: " + flag + " " + file + " is an input file of this run: writing it would " +
                                "destroy the inputs before they are read; choose another file");
    }
  }
  if (!p.sink.output.empty() && !p.sink.summary.empty() && p.sink.summary != "-" &&
      same_file(p.sink.output, p.sink.summary))
    throw config::ConfigError("run: " + summary_flag + " " + p.sink.summary + " is also the output (" + output_flag +
                              "): the summary would overwrite the records; choose another file");
}

}  // namespace

CLI::App* setup_run(CLI::App& app, RunOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a whole pipeline in this process: `run PIPELINE.yaml`, or GNU-parallel style "
             "`run -j N [-k] -- COMMAND... [::: ARGS | :::: FILES]...` over stdin lines (docs/cli.md)");
  cmd->add_option("pipeline", o.pipeline, "Pipeline file (YAML)");
  cmd->add_option("-j,--jobs", o.jobs,
                  "Tasks at once (command mode: slots; file: workers.count): N, N% of the CPUs, +N or -N "
                  "CPUs, 0 = as many as possible (" + std::to_string(kAsManyAsPossible) + ")")
      ->allow_extra_args(false);
  cmd->add_flag("-k,--keep-order", o.keep_order, "Output in input order");
  cmd->add_option("--listen", o.listen,
                  "[HOST:]PORT: workers of other hosts join this batch (`zpipe worker`): tasks on tcp PORT, results "
                  "on PORT+1; a pipeline file's `bind` keys do the same");
  InputOptions& in = o.inputs;
  cmd->add_option("-a,--arg-file", in.arg_files, "Read inputs from FILE instead of stdin ('-': stdin); several -a "
                  "are several input sources, like :::: FILE")
      ->type_size(1)
      ->allow_extra_args(false);
  cmd->add_flag("--link,--xapply", in.link, "Pair the input sources' values (shorter ones wrap) instead of "
                "taking all combinations");
  cmd->add_option("--colsep", in.colsep, "Split each input at this regular expression: columns are {1} {2} ...");
  cmd->add_flag("-0,--null", in.null, "Inputs end with a NUL byte, not a newline");
  cmd->add_option("-d,--delimiter", in.delimiter, "Inputs end with DELIM (\\n, \\t, \\0, \\NNN octal, \\xHH)")
      ->check([](const std::string& text) { return text.empty() ? std::string("the delimiter is empty") : std::string(); });
  cmd->add_option("-n,--max-args", in.max_args, "Arguments per task (the last may have fewer)")
      ->check([](const std::string& text) { return text == "0" ? std::string("must be at least 1, got 0") : std::string(); });
  cmd->add_option("-N,--max-replace-args", in.max_replace_args,
                  "Arguments per task, as -n, and a word of the command holding {} is repeated for each")
      ->check([](const std::string& text) { return text == "0" ? std::string("must be at least 1, got 0") : std::string(); });
  cmd->add_flag("-X", in.context_replace,
                "As many arguments per task as fit on its command line (shared over the job slots at the end), "
                "a word holding {} repeated for each");
  cmd->add_flag("-m", in.multiple,
                "As many arguments per task as fit on its command line (shared over the job slots at the end)");
  cmd->add_option("--trim", in.trim,
                  "Remove white space around each argument: n (none), l, r, lr or rl (default lr with --colsep, else n)");
  cmd->add_option("--header", in.header,
                  "The first value of each input source names its columns: {name} in the command stands for that "
                  "column (REGEX or ':'; split at --colsep, TAB by default)");
  cmd->add_option("--output", o.output, "Write JSON Lines records to FILE ('-': standard output); never an input "
                  "file of the run");
  cmd->add_option("--summary", o.summary, "Write the run summary as JSON to FILE ('-': standard output, after the "
                  "records)");
  cmd->add_option("--timeout", o.timeout, "Per-task timeout, e.g. 500ms, 30s, 5m");
  cmd->add_option("--retries", o.retries, "Extra attempts for a failed task")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--resume", o.resume, "Continue the output file: run only tasks that have no record in it");
  CLI::Option* fresh =
      cmd->add_flag("--fresh", o.fresh, "Replace an existing output file (without --resume or --fresh it is refused)")
          ->excludes("--resume");
  cmd->add_flag("--resume-failed", o.resume_failed, "Like --resume, and run failed or timed-out tasks again")
      ->excludes(fresh);
  cmd->add_flag("--repair", o.repair,
                "With --resume: remove journal lines that are not whole records, duplicates and ids beyond the "
                "batch (their tasks run again) instead of refusing the file");
  cmd->add_option("--halt-on-failure", o.halt_on_failure, "Stop the batch once N tasks failed or timed out")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--delay", o.delay, "Start at most one task per DUR (e.g. 0.5, 200ms), as GNU parallel's --delay");
  cmd->add_flag("--dry-run", o.dry_run, "Print each task's command line instead of running it (as GNU parallel)");
  add_progress_flags(*cmd, o.progress);
  cmd->add_option("--halt", o.halt,
                  "Stop early as GNU parallel does: never, soon|now,fail=N, soon|now,success=N, soon|now,done=N "
                  "(N a count or N%); now kills running tasks")
      ->excludes("--halt-on-failure");
  cmd->add_option("--max-output", o.max_output,
                  "Keep at most SIZE bytes of each task's stdout and of its stderr (10M, 64K, 1GiB ...); command "
                  "mode keeps all of it by default, a pipeline file 1MiB");
  cmd->add_flag("--tag", o.tag, "Start each output line with the task's input and a TAB");
  cmd->add_flag("--line-buffer", o.line_buffer,
                "Print each task's stdout line by line as it comes (lines of tasks may interleave, never parts of "
                "lines)");
  cmd->add_option("--joblog", o.joblog, "Log each finished task to FILE in GNU parallel's format");
  cmd->add_option("--results", o.results, "Save each task's stdout and stderr in DIR/1/<input>/ (as parallel)");
  // Declared only to be refused with a reason, rather than CLI11's "not expected".
  for (const char* flag : {"--pipe", "--pipepart"})
    cmd->add_flag_callback(flag, [&o, flag] { o.unsupported = flag; }, "Not supported (docs/cli.md)");
  add_http_flag(*cmd, o.http);
  auto* shell = cmd->add_flag("--shell", o.shell,
                              "Run every command through /bin/sh -c (by default a command with no shell syntax is "
                              "exec'd directly, with the same result)");
  cmd->add_flag("--no-shell", o.no_shell,
                "Exec the words after '--' as they are, one argument each (placeholders expanded, nothing quoted), "
                "never through a shell")
      ->excludes(shell);
  return cmd;
}

int run_run(const RunOptions& o) {
  return guarded([&] {
    if (!o.unsupported.empty())
      throw config::ConfigError(o.unsupported + " is not supported: zpipe gives each task arguments, not a block of "
                                "its stdin; split the input into files first and feed one to each task, e.g. "
                                "split -l 1000 in.txt part. && zpipe run -- 'CMD < {}' ::: part.* (docs/cli.md)");
    if (o.parallel_mode == !o.pipeline.empty()) {
      throw config::ConfigError(o.parallel_mode ? "run: give either a PIPELINE file or '-- COMMAND', not both"
                                                : "run: give a PIPELINE file, or '-- COMMAND...' for parallel mode");
    }
    if (std::error_code e; !o.parallel_mode && !std::filesystem::exists(o.pipeline, e))
      throw config::ConfigError("run: '" + o.pipeline + "': no such pipeline file (a command goes after '--': zpipe run "
                                "[OPTIONS] -- " + o.pipeline + " ...)");
    if (!o.parallel_mode && (o.shell || o.no_shell))
      throw config::ConfigError(std::string(o.shell ? "--shell" : "--no-shell") +
                                " goes with '-- COMMAND' (in a pipeline file: task.use_shell, or task.argv)");
    if (const std::string flag = o.inputs.first_given(); !o.parallel_mode && !flag.empty())
      throw config::ConfigError("run: " + flag + ": -a/:::/:::: are for command mode; the pipeline file names its "
                                "source (and --link, --colsep, -0, -d, -n, -N, -X, -m, --trim, --header go with them)");
    config::Pipeline p = o.parallel_mode ? parallel_pipeline(o) : config::load_pipeline(o.pipeline);
    if (!o.parallel_mode && !o.jobs.empty()) p.workers.count = jobs_from(o.jobs);
    if (!o.timeout.empty()) p.task.timeout = flag_duration("--timeout", o.timeout);
    if (!o.delay.empty()) p.ventilator.delay = flag_duration("--delay", o.delay);
    if (o.retries >= 0) p.task.retries = static_cast<std::uint32_t>(o.retries);
    if (o.keep_order) p.sink.ordered = true;
    // '-' is standard output: the records (JSON Lines) and the summary (after the records).
    if (o.output == "-") p.sink.output.clear();
    else if (!o.output.empty()) p.sink.output = std::filesystem::absolute(o.output).string();
    if (o.summary == "-") p.sink.summary = "-";
    else if (!o.summary.empty()) p.sink.summary = std::filesystem::absolute(o.summary).string();
    if (o.resume || o.resume_failed) p.resume = true;
    if (o.fresh) p.resume = false;  // the flag over the file's `resume: true`
    if (o.halt_on_failure > 0) p.halt = config::HaltSpec{config::HaltSpec::On::failure, {}, o.halt_on_failure, false};
    if (!o.halt.empty()) p.halt = config::parse_halt("--halt", o.halt);
    if (p.resume && o.output == "-")
      throw config::ConfigError("--resume: --output - is standard output, which cannot be read back as a journal; "
                                "give --output FILE");
    if (p.resume && p.sink.output.empty())
      throw config::ConfigError("--resume needs an output file (--output FILE or sink.output): it is the journal");
    refuse_overwriting(p, o);
    if (o.dry_run) {
      // A journal of command lines would pass for a real batch's on --resume.
      if (!o.output.empty() || p.resume || !o.results.empty())
        throw config::ConfigError("--dry-run prints command lines: it goes without --output, --resume and --results");
      p.task.dry_run = true;
      p.sink.output.clear();
    }

    sink::Options sink_options;
    sink_options.output = p.sink.output;
    if (sink_options.output.empty()) require_stdout("the records");
    sink_options.summary = p.sink.summary;
    if (sink_options.summary == "-") require_stdout("the summary");
    sink_options.ordered = p.sink.ordered;
    sink_options.resume = p.resume;
    sink_options.fresh = o.fresh;
    sink_options.resume_failed = o.resume_failed;
    sink_options.repair = o.repair;
    if (o.repair && !p.resume) throw config::ConfigError("--repair goes with --resume (or resume: true): it mends the journal");
    sink_options.fsync = to_sink_fsync(p.sink.fsync);
    // Parallel mode without --output prints each task's output like GNU parallel does.
    sink_options.format = o.parallel_mode && o.output.empty() ? sink::Format::text : sink::Format::jsonl;

    Probes probes(o.http);
    const RunOutput output(o, p, sink_options);
    LocalPipeline pipeline(p, sink_options, output.worker_output());
    if (const auto listen = listen_addresses(o.listen, p, !o.parallel_mode)) {
      if (o.dry_run) throw config::ConfigError("--dry-run runs nothing: it goes without --listen and `bind` keys");
      pipeline.listen(listen->ventilator, listen->sink);
    }
    const Probes::Watch watch =
        probes.watch([&pipeline] { return pipeline.health(); }, [&pipeline] { return pipeline.metrics(); });
    SignalWatcher signals([&](int sig) { pipeline.drain(std::string("interrupted by ") + strsignal(sig)); },
                          [&](int) { pipeline.abort(); });
    // The batch's size for the line; for /metrics, tasks waiting in zpipe_queue_depth.
    if (o.progress.any() || probes.serving()) pipeline.want_size();
    LocalRun run;
    {
      const ProgressDisplay progress(
          [&pipeline] {
            const sink::Progress s = pipeline.progress();
            return ProgressFigures{s.recorded, s.failed, s.total, pipeline.in_flight()};
          },
          o.progress);
      run = pipeline.run();
    }  // the progress line is cleared before anything more is said
    sink::publish_summary(run.summary, sink_options.summary);
    // Command mode logs nothing at info: the failures are counted here, each was named.
    if (o.parallel_mode && run.summary.failed + run.summary.timeout > 0)
      std::fprintf(stderr, "zpipe: %llu of %llu tasks failed (%llu timed out)\n",
                   static_cast<unsigned long long>(run.summary.failed + run.summary.timeout),
                   static_cast<unsigned long long>(run.summary.total),
                   static_cast<unsigned long long>(run.summary.timeout));
    return exit_code_for(run.summary, signals);
  });
}

}  // namespace zpipe::app
