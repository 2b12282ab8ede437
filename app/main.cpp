// zpipe: ventilator -> workers -> sink over ZeroMQ. main only wires the subcommands.
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "allocator.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "logging.hpp"
#include "signals.hpp"
#include "std_streams.hpp"

namespace {

// The first word that is not an option (the subcommand, if any), or null.
const char* first_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] != '-') return argv[i];
  return nullptr;
}

bool is_subcommand(CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    if (sub->check_name(word)) return true;
  return false;
}

std::string subcommand_names(CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    names += (names.empty() ? "" : ", ") + sub->get_name();
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace zpipe::app;
  guard_standard_descriptors();
  tune_allocator();
  // Before any thread exists, so every thread inherits the mask (see signals.hpp).
  block_termination_signals();

  // Words after the first `--` are the command of GNU-parallel mode, never options.
  std::vector<std::string> command;
  int cli_argc = argc;
  bool has_command = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      cli_argc = i;
      has_command = true;
      command.assign(argv + i + 1, argv + argc);
      break;
    }
  }

  CLI::App app{"zpipe: a distributed task pipeline on ZeroMQ (ventilator -> workers -> sink)"};
  app.require_subcommand(1);
  app.fallthrough();
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "More log detail on stderr (-vv for trace)");
  app.add_flag("-q,--quiet", quiet, "Only warnings and errors on stderr");
  app.set_version_flag("--version", "zpipe 0.1.0");

  RunOptions run;
  VentilatorOptions ventilator;
  WorkerOptions worker;
  SinkOptions sink;
  CheckOptions check;
  ExperimentOptions experiment;
  CLI::App* run_cmd = setup_run(app, run);
  CLI::App* ventilator_cmd = setup_ventilator(app, ventilator);
  CLI::App* worker_cmd = setup_worker(app, worker);
  CLI::App* sink_cmd = setup_sink(app, sink);
  CLI::App* check_cmd = setup_check(app, check);
  CLI::App* experiment_cmd = setup_experiment(app, experiment);

  try {
    app.parse(cli_argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 would say "A subcommand is required" about `zpipe foo`.
    if (const char* word = first_word(cli_argc, argv); word && !is_subcommand(app, word)) {
      std::fprintf(stderr, "zpipe: unknown subcommand '%s' (expected one of: %s)\n", word,
                   subcommand_names(app).c_str());
      return kUsage;
    }
    // GNU parallel takes `parallel echo {} ::: a b`; zpipe wants the command after `--`.
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr && run_cmd->parsed() && !has_command &&
        !run.pipeline.empty() && !std::filesystem::is_regular_file(run.pipeline)) {
      std::fprintf(stderr,
                   "zpipe: run: '%s' is not a pipeline file; a command goes after '--' (zpipe run [OPTIONS] -- %s "
                   "...), its ::: and :::: sources too\n",
                   run.pipeline.c_str(), run.pipeline.c_str());
      return kUsage;
    }
    const int code = app.exit(e);
    return code == 0 ? kOk : kUsage;
  }
  if (has_command && !run_cmd->parsed()) {
    std::fprintf(stderr, "zpipe: '--' and a command are only for 'zpipe run'\n");
    return kUsage;
  }
  setup_logging(verbose, quiet, has_command && run_cmd->parsed());

  if (run_cmd->parsed()) {
    run.parallel_mode = has_command;
    run.command = command;
    return run_run(run);
  }
  if (ventilator_cmd->parsed()) return run_ventilator(ventilator);
  if (worker_cmd->parsed()) return run_worker(worker);
  if (sink_cmd->parsed()) return run_sink(sink);
  if (check_cmd->parsed()) return run_check(check);
  if (experiment_cmd->parsed()) return run_experiment(experiment);
  return kUsage;
}
