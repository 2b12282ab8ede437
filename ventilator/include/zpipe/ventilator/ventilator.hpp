#pragma once
// The ventilator role: streams tasks to workers against their credit, keeps a lease on
// every dispatched task until the sink acknowledges its record, and ends the batch.
//
// Error style: exceptions. Construction throws zmq::error_t when the endpoint cannot be
// bound and std::runtime_error when the source cannot be opened; run() throws only for
// such runtime failures. Malformed peer messages are counted and dropped, never thrown.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "zpipe/config/pipeline.hpp"
#include "zpipe/core/health.hpp"
#include "zpipe/core/metrics.hpp"

namespace zpipe::ventilator {

struct Report {
  std::uint64_t total = 0;         // tasks in the batch
  std::uint64_t failed = 0;        // records the sink wrote with status != ok
  std::uint64_t dispatched = 0;    // task messages sent, redeliveries included
  std::uint64_t redelivered = 0;   // tasks handed out again after their worker died
  std::uint64_t dropped = 0;       // malformed or unexpected messages dropped
  bool completed = false;          // every task acknowledged by the sink
  std::string halted;              // why the batch stopped early (drain, halt policy), if it did
};

// The report as a JSON object with the fields above, in that order (`zpipe ventilator
// --summary FILE`; docs/cli.md).
std::string report_json(const Report& report);
// Writes report_json to `file` (nothing when empty). Throws std::runtime_error if it cannot.
void write_report(const Report& report, const std::string& file);

// What the ventilator shows on /metrics (docs/http.md). Its loop copies them at the end of
// every turn; any thread reads them.
struct Metrics {
  core::Counter dispatched;   // tasks sent to workers, redeliveries included
  core::Counter redelivered;  // tasks queued again: their worker died, left, or lost its results
  core::Gauge in_flight;      // tasks workers hold: sent, not yet acknowledged by the sink
  core::Gauge queue_depth;    // tasks read from the source (or queued again) and not handed out
  core::Gauge workers;        // workers in session
  core::Gauge credit;         // tasks the workers asked for and were not sent yet, all workers together
  core::WireCounters wire;    // bytes each way on its socket; messages dropped by reason
};

class Ventilator {
public:
  // Binds `bind_endpoint` (tcp://127.0.0.1:* picks a free port; see endpoint()). With a
  // `sink_timeout`, run() throws std::runtime_error when no sink is there for that long.
  Ventilator(zmq::context_t& context, const config::Pipeline& pipeline, const std::string& bind_endpoint,
             std::optional<std::chrono::milliseconds> sink_timeout = std::nullopt);
  ~Ventilator();
  Ventilator(const Ventilator&) = delete;
  Ventilator& operator=(const Ventilator&) = delete;

  // The bound endpoint, with the real port when a wildcard port was asked for.
  std::string endpoint() const;
  // Before run(): binds one more address, so workers reach the same batch both ways
  // (zpipe run as a head node: its own workers on inproc, other hosts' on tcp). Throws as
  // the constructor does.
  void also_bind(const std::string& endpoint);

  // Runs the batch until every task is acknowledged, or until stop() is called. Call once.
  Report run();

  // Reads the source ahead (up to the window), as for a halt in percent, so that the sink,
  // and a progress line, learn the batch's size early. Call before run().
  void want_size();
  // Thread-safe: tasks handed to workers and not yet acknowledged (for a progress line).
  std::uint64_t in_flight() const;
  // Thread-safe: ready once bound and its loop runs (with or without a sink: peers reach it
  // only while it is ready), draining from drain() on, finished once the batch ended; and
  // whether its loop still turns.
  core::Health health() const;
  // Thread-safe: the counters of /metrics, for as long as this object lives.
  const Metrics& metrics() const;
  // Thread-safe: makes run() return at once.
  void stop();

  // Thread-safe: stop dispatching, wait until every task a worker holds is recorded by the
  // sink (or no sink is left to record it), then halt the sink and the workers and return
  // (a graceful end before the total).
  void drain(const std::string& reason);

private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace zpipe::ventilator
