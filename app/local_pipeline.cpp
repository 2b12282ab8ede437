#include "local_pipeline.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "zpipe/worker/worker.hpp"

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

}  // namespace

LocalRun run_local(const config::Pipeline& pipeline, sink::Options sink_options) {
  static std::atomic<int> instance{0};
  const std::string prefix = "inproc://zpipe-" + std::to_string(++instance);
  const std::string vent_endpoint = prefix + "-ventilator";
  sink_options.bind = prefix + "-sink";
  sink_options.ventilator = vent_endpoint;

  zmq::context_t context;
  ventilator::Ventilator vent(context, pipeline, vent_endpoint);
  sink::Sink sink(context, pipeline, sink_options);
  const std::string base = pipeline.workers.name.empty() ? worker::default_worker_name() : pipeline.workers.name;
  std::vector<std::unique_ptr<worker::Worker>> workers;
  for (std::uint32_t i = 1; i <= pipeline.workers.count; ++i) {
    worker::Options options{vent_endpoint, sink_options.bind, base + "#" + std::to_string(i), false};
    workers.push_back(std::make_unique<worker::Worker>(context, pipeline, options));
  }

  FirstError error;
  LocalRun result;
  auto stop_all = [&] {
    vent.stop();
    sink.stop();
    for (auto& w : workers) w->stop();
  };
  auto guard = [&](auto&& body) {
    return [&, body] {
      try {
        body();
      } catch (...) {
        error.set(std::current_exception());
        stop_all();
      }
    };
  };

  std::vector<std::thread> threads;
  threads.emplace_back(guard([&] { result.ventilator = vent.run(); }));
  for (auto& w : workers) {
    threads.emplace_back(guard([&w] {
      worker::Report report = w->run();
      if (report.refused) throw std::runtime_error("worker refused: " + report.refusal);
    }));
  }
  guard([&] { result.summary = sink.run(); })();
  if (!result.summary.completed) stop_all();
  for (auto& t : threads) t.join();
  error.rethrow_if_any();
  return result;
}

}  // namespace zpipe::app
