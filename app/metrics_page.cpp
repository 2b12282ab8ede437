#include "metrics_page.hpp"

#include <limits>
#include <map>
#include <sstream>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

namespace zpipe::app {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// One series name: its help and type are the same whichever role shows it.
struct Series {
  const char* name;
  const char* help;
  MetricType type;
};

constexpr Series kDispatched{"zpipe_tasks_dispatched_total", "Tasks sent to workers, redeliveries included.",
                             MetricType::Counter};
constexpr Series kRedelivered{"zpipe_tasks_redelivered_total",
                              "Tasks queued again because their worker died, left, or lost its results.",
                              MetricType::Counter};
constexpr Series kCompleted{"zpipe_tasks_completed_total",
                            "Tasks with a result: pushed by a worker, or recorded by the sink (any status).",
                            MetricType::Counter};
constexpr Series kFailed{"zpipe_tasks_failed_total", "Tasks whose result is failed.", MetricType::Counter};
constexpr Series kTimedOut{"zpipe_tasks_timed_out_total", "Tasks whose result is timeout.", MetricType::Counter};
constexpr Series kRetried{"zpipe_tasks_retried_total", "Task executions after a failed or timed-out attempt.",
                          MetricType::Counter};
constexpr Series kInFlight{"zpipe_tasks_in_flight",
                           "Tasks handed out and not yet recorded (ventilator), or held (worker).", MetricType::Gauge};
constexpr Series kQueueDepth{"zpipe_queue_depth", "Tasks read from the source and waiting for a worker.",
                             MetricType::Gauge};
constexpr Series kWorkers{"zpipe_workers_connected", "Workers in session with the ventilator.", MetricType::Gauge};
constexpr Series kCredit{"zpipe_workers_credit", "Tasks the workers asked for and have not been sent, all together.",
                         MetricType::Gauge};
constexpr Series kDuplicates{"zpipe_duplicates_dropped_total", "Results for tasks already recorded, dropped.",
                             MetricType::Counter};
constexpr Series kRecorded{"zpipe_tasks_recorded", "Records in the output, a resumed journal's included.",
                           MetricType::Gauge};
constexpr Series kBatch{"zpipe_batch_tasks", "Tasks in the batch, once the source is read to its end; else 0.",
                        MetricType::Gauge};
constexpr Series kDuration{"zpipe_task_duration_seconds", "Run time of each recorded task's last attempt.",
                           MetricType::Histogram};
constexpr Series kReceived{"zpipe_bytes_received_total", "Bytes received on the role's sockets.",
                           MetricType::Counter};
constexpr Series kSent{"zpipe_bytes_sent_total", "Bytes sent on the role's sockets.", MetricType::Counter};
constexpr Series kDropped{"zpipe_messages_dropped_total", "Messages dropped, by reason.", MetricType::Counter};

// The families of one page, each name once, in the order first added.
class Page {
public:
  void add(const Series& series, ClientMetric metric) {
    for (MetricFamily& family : families_) {
      if (family.name == series.name) {
        family.metric.push_back(std::move(metric));
        return;
      }
    }
    families_.push_back(MetricFamily{series.name, series.help, series.type, {std::move(metric)}});
  }
  void value(const Series& series, const char* role, std::uint64_t value) {
    ClientMetric metric = labelled(role);
    const auto v = static_cast<double>(value);
    if (series.type == MetricType::Counter) metric.counter.value = v;
    else metric.gauge.value = v;
    add(series, std::move(metric));
  }
  static ClientMetric labelled(const char* role) {
    ClientMetric metric;
    metric.label.push_back({"role", role});
    return metric;
  }
  const std::vector<MetricFamily>& families() const { return families_; }

private:
  std::vector<MetricFamily> families_;
};

// Bytes and drops of every socket of a role (several workers: added up, drops by reason).
void add_wire(Page& page, const char* role, const std::vector<const core::WireCounters*>& wires) {
  std::uint64_t received = 0, sent = 0;
  std::map<std::string, std::uint64_t> dropped;
  for (const core::WireCounters* wire : wires) {
    received += wire->bytes_received.value();
    sent += wire->bytes_sent.value();
    for (const auto& [reason, n] : wire->dropped.snapshot()) dropped[reason_label(reason)] += n;
  }
  page.value(kReceived, role, received);
  page.value(kSent, role, sent);
  for (const auto& [reason, n] : dropped) {
    ClientMetric metric = Page::labelled(role);
    metric.label.push_back({"reason", reason});
    metric.counter.value = static_cast<double>(n);
    page.add(kDropped, std::move(metric));
  }
}

void add_ventilator(Page& page, const ventilator::Metrics& m) {
  const char* role = "ventilator";
  page.value(kDispatched, role, m.dispatched.value());
  page.value(kRedelivered, role, m.redelivered.value());
  page.value(kInFlight, role, m.in_flight.value());
  page.value(kQueueDepth, role, m.queue_depth.value());
  page.value(kWorkers, role, m.workers.value());
  page.value(kCredit, role, m.credit.value());
}

void add_workers(Page& page, const std::vector<const worker::Metrics*>& workers) {
  const char* role = "worker";
  std::uint64_t completed = 0, failed = 0, timed_out = 0, retried = 0, in_flight = 0;
  for (const worker::Metrics* m : workers) {
    completed += m->completed.value();
    failed += m->failed.value();
    timed_out += m->timed_out.value();
    retried += m->retried.value();
    in_flight += m->in_flight.value();
  }
  page.value(kCompleted, role, completed);
  page.value(kFailed, role, failed);
  page.value(kTimedOut, role, timed_out);
  page.value(kRetried, role, retried);
  page.value(kInFlight, role, in_flight);
}

void add_sink(Page& page, const sink::Metrics& m) {
  const char* role = "sink";
  page.value(kCompleted, role, m.completed.value());
  page.value(kFailed, role, m.failed.value());
  page.value(kTimedOut, role, m.timed_out.value());
  page.value(kDuplicates, role, m.duplicates.value());
  page.value(kRecorded, role, m.recorded.value());
  page.value(kBatch, role, m.batch_tasks.value());
  const core::DurationHistogram::Snapshot s = m.duration.snapshot();
  ClientMetric metric = Page::labelled(role);
  metric.histogram.sample_count = s.count;
  metric.histogram.sample_sum = static_cast<double>(s.sum_us) / 1e6;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < core::DurationHistogram::kBoundsUs.size(); ++i) {
    cumulative += s.counts[i];
    metric.histogram.bucket.push_back({cumulative, static_cast<double>(core::DurationHistogram::kBoundsUs[i]) / 1e6});
  }
  metric.histogram.bucket.push_back({s.count, std::numeric_limits<double>::infinity()});
  page.add(kDuration, std::move(metric));
}

}  // namespace

std::string reason_label(std::string_view reason) {
  std::string label;
  for (const char c : reason) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c >= 'A' && c <= 'Z') {
      label += static_cast<char>(c - 'A' + 'a');
    } else if (word) {
      label += c;
    } else if (!label.empty() && label.back() != '_') {
      label += '_';
    }
  }
  while (!label.empty() && label.back() == '_') label.pop_back();
  return label.empty() ? "unknown" : label;
}

std::string metrics_text(const MetricsSources& roles) {
  Page page;
  // Roles in the order tasks pass through them; a name's series stay together.
  if (roles.ventilator) add_ventilator(page, *roles.ventilator);
  if (!roles.workers.empty()) add_workers(page, roles.workers);
  if (roles.sink) add_sink(page, *roles.sink);
  if (roles.ventilator) add_wire(page, "ventilator", {&roles.ventilator->wire});
  if (!roles.workers.empty()) {
    std::vector<const core::WireCounters*> wires;
    for (const worker::Metrics* m : roles.workers) wires.push_back(&m->wire);
    add_wire(page, "worker", wires);
  }
  if (roles.sink) add_wire(page, "sink", {&roles.sink->wire});
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, page.families());
  return out.str();
}

}  // namespace zpipe::app
