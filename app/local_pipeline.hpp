#pragma once
// All three roles in one process, as threads on inproc:// endpoints: `zpipe run`.
// The same role code as the separate processes; only the endpoints differ.
// Error style: exceptions; the first failure of any role stops the others and is rethrown by run().

#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "probes.hpp"
#include "zpipe/config/pipeline.hpp"
#include "zpipe/sink/sink.hpp"
#include "zpipe/ventilator/ventilator.hpp"
#include "zpipe/worker/worker.hpp"

namespace zpipe::app {

struct LocalRun {
  sink::Summary summary;
  ventilator::Report ventilator;
};

class LocalPipeline {
public:
  // `sink_options` gives output, format, ordering, resume and summary file; endpoints are
  // filled in here. Workers are named `workers.name` (or host:pid) plus "#1", "#2", ...
  // `output`: where the workers' task output goes besides the results (zpipe run -- CMD).
  LocalPipeline(const config::Pipeline& pipeline, sink::Options sink_options, worker::TaskOutput output = {});
  ~LocalPipeline();

  // Before run(): the ventilator and the sink also bind these (tcp) addresses, so worker
  // processes on other hosts join this batch beside the in-process ones (a head node).
  void listen(const std::string& ventilator, const std::string& sink);

  LocalRun run();
  // Thread-safe. drain(): no more dispatch, record what is in flight, end early.
  void drain(const std::string& reason);
  // Thread-safe. abort(): kill running tasks and stop every role now; the output keeps
  // only whole records.
  void abort();
  // Thread-safe, while run() runs: the sink's progress, and the tasks in flight.
  sink::Progress progress() const;
  std::uint64_t in_flight() const { return vent_.in_flight(); }
  // Thread-safe: every role's health, the ventilator's first, for --http.
  std::vector<RoleHealth> health() const;
  // Thread-safe: every role's counters, for /metrics (valid while this object lives).
  MetricsSources metrics() const;
  // Before run(): learn the batch's size early (a progress line shows it).
  void want_size() { vent_.want_size(); }

private:
  zmq::context_t context_;
  sink::Options sink_options_;  // its endpoints are this pipeline's inproc ones
  ventilator::Ventilator vent_;
  sink::Sink sink_;
  std::vector<std::unique_ptr<worker::Worker>> workers_;
};

}  // namespace zpipe::app
