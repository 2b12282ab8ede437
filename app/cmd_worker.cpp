// zpipe worker [-c FILE]: takes tasks from the ventilator (asking it what to run without a file), pushes results to the sink.
#include <atomic>
#include <mutex>
#include <optional>

#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "probes.hpp"
#include "role_config.hpp"
#include "signals.hpp"
#include "zpipe/worker/ask_task.hpp"
#include "zpipe/worker/worker.hpp"

namespace zpipe::app {

CLI::App* setup_worker(CLI::App& app, WorkerOptions& o) {
  CLI::App* cmd = app.add_subcommand("worker", "Run one worker: take tasks, run them, push results to the sink");
  add_role_flags(*cmd, o, false);
  cmd->add_option("--name", o.name, "Worker name in records (default: workers.name or host:pid)");
  cmd->add_option("--slots", o.slots, "Tasks at once (default: workers.slots)")->check(CLI::PositiveNumber);
  cmd->add_flag("--keep-alive", o.keep_alive, "Stay up for the next batch instead of exiting");
  return cmd;
}

int run_worker(const WorkerOptions& o) {
  return guarded([&] {
    config::Pipeline p = load_role_pipeline(o);
    if (o.slots > 0) p.workers.slots = o.slots;
    worker::Options options{p.ventilator.address.endpoint, p.sink.address.endpoint,
                            o.name.empty() ? p.workers.name : o.name, o.keep_alive, connect_timeout(o), {}};
    Probes probes(o.http);
    zmq::context_t context;
    // One watcher for the whole life: a signal may come while the task is asked for.
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    worker::Worker* running = nullptr;
    SignalWatcher signals(
        [&](int) {
          stopping = true;
          const std::lock_guard lock(mutex);
          if (running) running->drain();
        },
        [&](int) {
          stopping = true;
          const std::lock_guard lock(mutex);
          if (running) running->abort();
        });
    // A worker without a file learns the task of each batch anew: with --keep-alive the next
    // ventilator may run another task, so it asks again rather than keep the first one.
    const bool fileless = o.config.empty();
    if (fileless) options.keep_alive = false;
    worker::Report report;
    std::uint64_t tasks = 0;
    do {
      if (fileless) {
        std::optional<config::TaskSpec> task =
            worker::ask_task(context, options.ventilator, options.connect_timeout, stopping);
        if (!task) return signals.exit_code();
        p.task = std::move(*task);
        spdlog::info("worker: the ventilator's task: {}", config::describe_task(p.task));
      }
      worker::Worker w(context, p, options);
      {
        const std::lock_guard lock(mutex);
        running = &w;
        if (stopping) w.drain();
      }
      const Probes::Watch watch = probes.watch([&w] { return std::vector<RoleHealth>{{"worker", w.health()}}; },
                                               [&w] { return MetricsSources{nullptr, nullptr, {&w.metrics()}}; });
      spdlog::info("worker: connecting to ventilator {} and sink {}", options.ventilator, options.sink);
      report = w.run();
      tasks += report.tasks;
      const std::lock_guard lock(mutex);
      running = nullptr;
    } while (fileless && o.keep_alive && !stopping && !report.refused);
    if (report.refused) {
      std::fprintf(stderr, "zpipe: worker refused by the ventilator: %s\n", report.refusal.c_str());
      return int{kUsage};
    }
    spdlog::info("worker: {}, ran {} tasks", signals.received() ? "left" : "batch done", tasks);
    return signals.received() ? signals.exit_code() : int{kOk};
  });
}

}  // namespace zpipe::app
