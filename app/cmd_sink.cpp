// zpipe sink -c FILE: collects every result, writes each record once, ends the batch.
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "probes.hpp"
#include "progress.hpp"
#include "role_config.hpp"
#include "signals.hpp"
#include "std_streams.hpp"
#include "zpipe/sink/sink.hpp"

namespace zpipe::app {

CLI::App* setup_sink(CLI::App& app, SinkOptions& o) {
  CLI::App* cmd = app.add_subcommand("sink", "Run the sink role: collect results and write one record per task");
  add_role_flags(*cmd, o);
  cmd->add_option("--output", o.output, "JSON Lines file (default: sink.output, else stdout)");
  cmd->add_option("--summary", o.summary, "Write the run summary as JSON to FILE");
  CLI::Option* resume = cmd->add_flag(
      "--resume", o.resume,
      "Continue an existing output file, the journal (a restarted sink); refused if another task wrote it");
  cmd->add_flag("--fresh", o.fresh, "Replace an existing output file")->excludes(resume);
  cmd->add_flag("--repair", o.repair,
                "With --resume: remove journal lines that are not whole records, duplicates and ids beyond the batch "
                "(their tasks run again) instead of refusing the file")
      ->needs(resume);
  add_progress_flags(*cmd, o.progress);
  return cmd;
}

int run_sink(const SinkOptions& o) {
  return guarded([&] {
    const config::Pipeline p = load_role_pipeline(o);
    sink::Options options;
    options.bind = p.sink.address.bind_address();
    options.ventilator = p.ventilator.address.endpoint;
    options.output = o.output.empty() ? p.sink.output : std::filesystem::absolute(o.output).string();
    options.summary = o.summary.empty() ? p.sink.summary : std::filesystem::absolute(o.summary).string();
    options.ordered = p.sink.ordered;
    // An existing journal is neither continued nor erased unless the user says which.
    options.resume = o.resume && !options.output.empty();
    options.fresh = o.fresh;
    options.repair = o.repair;
    if (options.output.empty()) require_stdout("the records");
    options.fsync = to_sink_fsync(p.sink.fsync);
    options.connect_timeout = connect_timeout(o);
    Probes probes(o.http);
    zmq::context_t context;
    sink::Sink s(context, p, options);
    spdlog::info("sink: '{}' listening on {}", p.name, s.endpoint());
    const Probes::Watch watch = probes.watch([&s] { return std::vector<RoleHealth>{{"sink", s.health()}}; },
                                             [&s] { return MetricsSources{nullptr, &s.metrics(), {}}; });
    // Records on disk are whole lines at any moment: a signal just ends the sink now.
    SignalWatcher signals([&](int) { s.stop(); }, [&](int) { s.stop(); });
    sink::Summary summary;
    {
      // In flight is the ventilator's to know: the line shows records, failures and the total.
      const ProgressDisplay progress(
          [&s] {
            const sink::Progress now = s.progress();
            return ProgressFigures{now.recorded, now.failed, now.total, std::nullopt};
          },
          o.progress);
      summary = s.run();
    }  // the progress line is cleared before the summary is logged
    sink::publish_summary(summary, options.summary);
    return exit_code_for(summary, signals);
  });
}

}  // namespace zpipe::app
