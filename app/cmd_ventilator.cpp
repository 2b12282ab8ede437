// zpipe ventilator -c FILE: reads the source and streams tasks to workers.
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "probes.hpp"
#include "role_config.hpp"
#include "signals.hpp"
#include "zpipe/core/protocol.hpp"
#include "zpipe/ventilator/ventilator.hpp"

namespace zpipe::app {

CLI::App* setup_ventilator(CLI::App& app, VentilatorOptions& o) {
  CLI::App* cmd = app.add_subcommand("ventilator", "Run the ventilator role: stream tasks to workers");
  add_role_flags(*cmd, o);
  cmd->add_option("--summary", o.summary, "Write the ventilator's report (dispatched, redelivered, dropped...) as JSON to FILE");
  return cmd;
}

int run_ventilator(const VentilatorOptions& o) {
  return guarded([&] {
    const config::Pipeline p = load_role_pipeline(o);
    Probes probes(o.http);
    zmq::context_t context;
    ventilator::Ventilator vent(context, p, p.ventilator.address.bind_address(), connect_timeout(o));
    spdlog::info("ventilator: '{}' listening on {}", p.name, vent.endpoint());
    const Probes::Watch watch =
        probes.watch([&vent] { return std::vector<RoleHealth>{{"ventilator", vent.health()}}; },
                     [&vent] { return MetricsSources{&vent.metrics(), nullptr, {}}; });
    // zpipe_queue_depth counts the tasks waiting only if the source is read ahead (up to
    // ventilator.window); without, the ventilator reads an input when a worker asks for it.
    if (probes.serving()) vent.want_size();
    SignalWatcher signals([&](int sig) { vent.drain(std::string("interrupted by ") + strsignal(sig)); },
                          [&](int) { vent.stop(); });
    const ventilator::Report report = vent.run();
    ventilator::write_report(report, o.summary);
    if (signals.received() != 0) return signals.exit_code();
    if (report.failed > 0 || (!report.halted.empty() && !core::stopped_early(report.halted))) return int{kTaskFailed};
    return report.completed ? int{kOk} : int{kRuntime};
  });
}

}  // namespace zpipe::app
