#pragma once
// The worker role: announces credit to the ventilator, runs tasks on `slots` threads
// (child processes for shell/argv tasks), pushes results to the sink. Its session with the
// ventilator (hello, welcome, heartbeats) is core::VentilatorSession; its loop core::Loop.
//
// Error style: exceptions for runtime failures (zmq::error_t, std::system_error);
// a refusal by the ventilator is a value in the Report, malformed messages are counted.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "zpipe/config/pipeline.hpp"
#include "zpipe/core/health.hpp"
#include "zpipe/core/metrics.hpp"
#include "zpipe/worker/task_runner.hpp"

namespace zpipe::worker {

struct Options {
  std::string ventilator;   // endpoint to connect for tasks
  std::string sink;         // endpoint to connect for results
  std::string name;         // name in records; empty = host:pid
  bool keep_alive = false;  // serve the next batch instead of exiting when one is done
  // Give up (core::WaitTimeout from run()) when the ventilator has not answered for this
  // long; unset = keep trying, so roles may start in any order.
  std::optional<std::chrono::milliseconds> connect_timeout;
  // zpipe run: where output goes besides the results (spill files, --line-buffer).
  TaskOutput output;
};

struct Report {
  std::uint64_t tasks = 0;     // tasks run to a result
  std::uint64_t dropped = 0;   // malformed or unexpected messages dropped
  bool refused = false;        // the ventilator refused this worker
  std::string refusal;         // its reason
};

// What a worker shows on /metrics (docs/http.md): its loop and slot threads write, any
// thread reads.
struct Metrics {
  core::Counter completed;  // results pushed to the sink, whatever their status
  core::Counter failed;     // of which failed
  core::Counter timed_out;  // of which timed out
  core::Counter retried;    // executions after a failed or timed-out attempt (task.retries)
  core::Gauge in_flight;    // tasks held: running, or waiting for a slot
  core::WireCounters wire;  // bytes each way on its sockets; messages dropped by reason
};

// host:pid, the default worker name.
std::string default_worker_name();

class Worker {
public:
  Worker(zmq::context_t& context, const config::Pipeline& pipeline, Options options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Serves until the ventilator says the batch is done (unless keep_alive), the
  // ventilator refuses it, or drain/abort ends it. Call once.
  Report run();

  // Thread-safe: leave gracefully. Hands back the tasks not started yet, finishes the
  // running ones within `workers.grace` (then kills them and hands them back too), pushes
  // every result, says bye and returns.
  void drain();

  // Thread-safe: leave now. run() returns at once without pushing anything more, and the
  // processes of running tasks are killed (after the stop, so their deaths are never
  // recorded as failures: those tasks run again elsewhere).
  void abort();

  // Thread-safe: ready while in session with the ventilator (welcomed, and heard within the
  // silence limit), draining from drain() on, finished once it is leaving for good; and
  // whether its loop still turns.
  core::Health health() const;
  // Thread-safe: the counters of /metrics, for as long as this object lives.
  const Metrics& metrics() const;

private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace zpipe::worker
