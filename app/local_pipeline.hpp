#pragma once
// All three roles in one process, as threads on inproc:// endpoints: `zpipe run`.
// The same role code as the separate processes; only the endpoints differ.
// Error style: exceptions; the first failure of any role stops the others and is rethrown.

#include <string>

#include "zpipe/config/pipeline.hpp"
#include "zpipe/sink/sink.hpp"
#include "zpipe/ventilator/ventilator.hpp"

namespace zpipe::app {

struct LocalRun {
  sink::Summary summary;
  ventilator::Report ventilator;
};

// `sink_options` gives output, format, ordering and summary file; endpoints are filled in here.
// Workers are named `workers.name` (or host:pid) plus "#1", "#2", ...
LocalRun run_local(const config::Pipeline& pipeline, sink::Options sink_options);

}  // namespace zpipe::app
