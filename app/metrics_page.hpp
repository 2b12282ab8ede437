#pragma once
// GET /metrics: the counters of every role in this process in Prometheus's text format
// (version 0.0.4), made at scrape time from the roles' atomics (ventilator::Metrics,
// worker::Metrics, sink::Metrics) with prometheus-cpp's TextSerializer. Only app/ knows
// prometheus-cpp; the roles only count. docs/http.md lists every series.
//
// Error style: no errors of its own (allocation failures propagate as exceptions).

#include <string>
#include <string_view>
#include <vector>

#include "zpipe/sink/sink.hpp"
#include "zpipe/ventilator/ventilator.hpp"
#include "zpipe/worker/worker.hpp"

namespace zpipe::app {

// The roles of one process at one moment; any may be missing. Each role is one `role`
// label: the workers of `zpipe run` are added up into role="worker", since a label per
// worker would make series per worker name (see docs/http.md, "Why no label per worker").
struct MetricsSources {
  const ventilator::Metrics* ventilator = nullptr;
  const sink::Metrics* sink = nullptr;
  std::vector<const worker::Metrics*> workers;
};

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4";

std::string metrics_text(const MetricsSources& roles);

// A drop reason as a label value: "bye{final=0} from a sink" -> "bye_final_0_from_a_sink"
// (lower case letters, digits and single underscores).
std::string reason_label(std::string_view reason);

}  // namespace zpipe::app
