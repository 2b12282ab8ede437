#include "local_pipeline.hpp"

#include <atomic>
#include <exception>
#include <latch>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

namespace zpipe::app {
namespace {

// Remembers the first exception thrown by any role thread.
class FirstError {
public:
  void set(std::exception_ptr e) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = e;
  }
  void rethrow_if_any() {
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(error_);
  }

private:
  std::mutex mutex_;
  std::exception_ptr error_;
};

// Endpoints unique in this process, so several pipelines can run side by side (tests).
sink::Options with_inproc_endpoints(sink::Options o) {
  static std::atomic<int> instance{0};
  const std::string prefix = "inproc://zpipe-" + std::to_string(++instance);
  o.bind = prefix + "-sink";
  o.ventilator = prefix + "-ventilator";
  return o;
}

}  // namespace

LocalPipeline::LocalPipeline(const config::Pipeline& pipeline, sink::Options sink_options, worker::TaskOutput output)
    : sink_options_(with_inproc_endpoints(std::move(sink_options))),
      vent_(context_, pipeline, sink_options_.ventilator),
      sink_(context_, pipeline, sink_options_) {
  const std::string base = pipeline.workers.name.empty() ? worker::default_worker_name() : pipeline.workers.name;
  for (std::uint32_t i = 1; i <= pipeline.workers.count; ++i) {
    worker::Options options{sink_options_.ventilator, sink_options_.bind, base + "#" + std::to_string(i), false, {},
                            output};
    workers_.push_back(std::make_unique<worker::Worker>(context_, pipeline, options));
  }
}

LocalPipeline::~LocalPipeline() = default;

void LocalPipeline::listen(const std::string& ventilator, const std::string& sink) {
  vent_.also_bind(ventilator);
  sink_.also_bind(sink);
  spdlog::info("run: workers of other hosts join at ventilator {} and sink {}", ventilator, sink);
}

void LocalPipeline::drain(const std::string& reason) { vent_.drain(reason); }

void LocalPipeline::abort() {
  // Each worker kills only its own tasks, after it stopped: their deaths are never
  // recorded as failures (--resume runs them again).
  for (auto& w : workers_) w->abort();
  vent_.stop();
  sink_.stop();
}

sink::Progress LocalPipeline::progress() const { return sink_.progress(); }

std::vector<RoleHealth> LocalPipeline::health() const {
  std::vector<RoleHealth> roles{{"ventilator", vent_.health()}, {"sink", sink_.health()}};
  for (std::size_t i = 0; i < workers_.size(); ++i)
    roles.push_back({"worker #" + std::to_string(i + 1), workers_[i]->health()});
  return roles;
}

MetricsSources LocalPipeline::metrics() const {
  MetricsSources roles{&vent_.metrics(), &sink_.metrics(), {}};
  for (const auto& w : workers_) roles.workers.push_back(&w->metrics());
  return roles;
}

LocalRun LocalPipeline::run() {
  FirstError error;
  LocalRun result;
  auto guard = [&](auto&& body) {
    return [&, body] {
      try {
        body();
      } catch (...) {
        error.set(std::current_exception());
        abort();
      }
    };
  };

  std::vector<std::thread> threads;
  threads.emplace_back(guard([&] { result.ventilator = vent_.run(); }));
  // The ventilator dispatches once the sink has joined. Starting 64 threads takes
  // milliseconds here, so the sink waits for the workers' threads: the batch then starts
  // with every worker there, instead of the first few taking the first round of tasks.
  std::latch workers_started(static_cast<std::ptrdiff_t>(workers_.size()));
  for (auto& w : workers_) {
    threads.emplace_back(guard([&w, &workers_started] {
      workers_started.count_down();
      worker::Report report = w->run();
      if (report.refused) throw std::runtime_error("worker refused: " + report.refusal);
    }));
  }
  workers_started.wait();
  guard([&] { result.summary = sink_.run(); })();
  // The sink is done (all written, halted, or stopped): nothing else has work left.
  if (!result.summary.completed && result.summary.halted.empty()) abort();
  // The ventilator ends by itself once its workers said goodbye (or after a bounded wait).
  // A worker whose hello came after the end (a batch its journal already held whole ends at
  // once) never heard `done` and would wait for a ventilator for ever: in one process the
  // batch's end is known, so whatever still runs is told to stop.
  threads.front().join();
  for (auto& w : workers_) w->abort();
  for (auto t = threads.begin() + 1; t != threads.end(); ++t) t->join();
  error.rethrow_if_any();
  return result;
}

}  // namespace zpipe::app
