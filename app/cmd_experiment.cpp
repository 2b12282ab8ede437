// zpipe experiment SWEEP.yaml [--out DIR]: runs every combination of a sweep's axes in fresh
// processes and writes runs.csv, summary.csv and the plots (docs/experiments.md).
#include <chrono>
#include <ctime>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "signals.hpp"
#include "sweep_progress.hpp"
#include "zpipe/experiment/plots.hpp"
#include "zpipe/experiment/report.hpp"
#include "zpipe/experiment/runner.hpp"
#include "zpipe/experiment/sweep.hpp"

namespace zpipe::app {
namespace {

namespace fs = std::filesystem;

// What a sweep writes into its folder: --fresh removes these and nothing else.
const char* const kOurFiles[] = {"runs.csv", "summary.csv", "sweep.yaml", "data", "logs"};

fs::path default_out(const experiment::Sweep& sweep) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  return fs::path(sweep.name + "-" + stamp);
}

// The rule for an existing folder, as for an output file: never mixed with or replaced
// silently. A missing or empty folder is used; one that holds anything needs --fresh, which
// removes only what a sweep writes (kOurFiles, *.png), so a wrong --out costs no other file.
// Returns an error message for the user, or "".
std::string prepare_out(const fs::path& out, bool fresh) {
  std::error_code ec;
  if (!fs::exists(out, ec)) {
    fs::create_directories(out, ec);
    return ec ? out.string() + ": cannot create: " + ec.message() : "";
  }
  if (!fs::is_directory(out, ec)) return out.string() + " exists and is not a folder";
  std::size_t entries = 0;
  for (auto it = fs::directory_iterator(out, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) ++entries;
  if (entries == 0) return "";
  if (!fresh)
    return out.string() + " already holds " + std::to_string(entries) +
           " entries: give --fresh to replace a sweep's results in it (runs.csv, summary.csv, sweep.yaml, *.png, data/, "
           "logs/; other files stay), or another --out";
  for (const char* name : kOurFiles) fs::remove_all(out / name, ec);
  for (auto it = fs::directory_iterator(out, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->path().extension() == ".png") fs::remove(it->path(), ec);
  return "";
}

void write_csvs(const fs::path& out, const experiment::Sweep& sweep, const std::vector<experiment::RunResult>& results) {
  const experiment::Analysis analysis = experiment::analyse(sweep, results);
  experiment::write_runs_csv(out / "runs.csv", sweep, results, analysis);
  experiment::write_summary_csv(out / "summary.csv", sweep, results, analysis);
}

}  // namespace

CLI::App* setup_experiment(CLI::App& app, ExperimentOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "experiment", "Measure how a pipeline scales: run every combination of a sweep file's axes in fresh processes");
  cmd->add_option("sweep", o.sweep, "The sweep file (docs/experiments.md)")->required();
  cmd->add_option("--out", o.out, "Folder for runs.csv, summary.csv and the plots (default: NAME-YYYYMMDD-HHMMSS)");
  cmd->add_flag("--fresh", o.fresh, "Replace the results of an earlier sweep in --out");
  return cmd;
}

int run_experiment(const ExperimentOptions& o) {
  return guarded([&] {
    const experiment::Sweep sweep = experiment::load_sweep(o.sweep);
    const fs::path out = o.out.empty() ? default_out(sweep) : fs::path(o.out);
    if (const std::string problem = prepare_out(out, o.fresh); !problem.empty()) {
      std::fprintf(stderr, "zpipe: experiment: %s\n", problem.c_str());
      return int{kUsage};
    }
    fs::copy_file(o.sweep, out / "sweep.yaml", fs::copy_options::overwrite_existing);
    const std::vector<experiment::RunPlan> plan = experiment::plan_runs(sweep);
    // This very binary, whatever happens to the file on disk during the sweep.
    experiment::Runner runner("/proc/self/exe", out / "logs");
    // A run cut short measures nothing worth keeping: its processes are killed at once.
    SignalWatcher signals([&](int) { runner.stop(); }, [&](int) { runner.stop(); },
                          "stopping the sweep (the run in progress is killed and not recorded)");
    spdlog::debug("experiment '{}': {} combinations, {} runs of {} tasks, into {}", sweep.name,
                  experiment::combinations(sweep).size(), plan.size(), sweep.tasks, out.string());

    std::vector<experiment::RunResult> results;
    std::size_t failed = 0, skipped = 0;
    const auto started = std::chrono::steady_clock::now();
    {
      SweepProgress progress(plan.size());
      for (std::size_t i = 0; i < plan.size() && !runner.stopped(); ++i) {
        const experiment::RunPlan& run = plan[i];
        const std::string label = experiment::describe(sweep, run.parameters, true) +
                                  (run.repetition == 0 ? " (warm-up)" : ", rep " + std::to_string(run.repetition));
        progress.started(label);
        experiment::RunResult result = runner.run(sweep, run, i + 1);
        progress.finished(result.ok() || result.skipped);
        if (runner.stopped()) break;  // an interrupted run is no result
        if (result.skipped) {
          ++skipped;
          if (skipped == 1) progress.print([&] { spdlog::warn("experiment: runs on more than 1 host are {}", result.error); });
        } else if (!result.ok()) {
          ++failed;
          progress.print([&] { spdlog::warn("experiment: run {} ({}) failed: {}", i + 1, label, result.error); });
        } else {
          progress.print([&] {
            spdlog::debug("experiment: run {} ({}): {:.3f} s makespan, {:.3f} s wall", i + 1, label,
                          result.makespan_seconds, result.wall_seconds);
          });
        }
        if (run.repetition == 0) continue;  // warm-ups are not results
        results.push_back(std::move(result));
        write_csvs(out, sweep, results);  // after every run: an interrupted sweep keeps what it measured
      }
    }
    write_csvs(out, sweep, results);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (signals.received() != 0) {
      spdlog::warn("experiment: interrupted after {} of {} runs; {} and {} hold the {} measured runs, no plots drawn",
                   results.size(), plan.size(), (out / "runs.csv").string(), (out / "summary.csv").string(),
                   results.size());
      return signals.exit_code();
    }
    std::string plots = "no plots";
    try {
      const auto pngs = experiment::write_plots(out, sweep, results, experiment::analyse(sweep, results),
                                                experiment::find_gnuplot());
      plots = std::to_string(pngs.size()) + " plots (*.png)";
    } catch (const std::exception& e) {
      spdlog::warn("experiment: no plots: {}", e.what());
    }
    spdlog::info("experiment '{}': {} runs ({} failed{}) in {:.1f} s: {}/runs.csv, summary.csv, {}", sweep.name,
                 plan.size(), failed, skipped > 0 ? ", " + std::to_string(skipped) + " skipped" : std::string(), seconds,
                 out.string(), plots);
    return failed > 0 ? int{kTaskFailed} : int{kOk};
  });
}

}  // namespace zpipe::app
