// Grouping runs into combinations and series, and each run's derived figures.

#include <algorithm>
#include <map>
#include <tuple>

#include "zpipe/experiment/figures.hpp"
#include "zpipe/experiment/report.hpp"

namespace zpipe::experiment {
namespace {

// Everything but workers: runs with the same key form one series (one line of a plot).
auto series_key(const Parameters& p) {
  return std::make_tuple(p.slots, p.mode, p.task, p.task_ms, p.payload, p.transport, p.prefetch, p.hosts);
}

// Seconds one task takes when the run's task has a fixed duration (sleep ms, spin us).
std::optional<double> nominal_task_seconds(const Sweep& sweep, const Parameters& p) {
  const config::TaskSpec task = pipeline_for(sweep, p).task;
  if (task.kind != config::TaskKind::builtin) return std::nullopt;
  if (task.builtin == config::Builtin::sleep && task.ms) return static_cast<double>(*task.ms) / 1e3;
  if (task.builtin == config::Builtin::spin && task.us) return static_cast<double>(*task.us) / 1e6;
  return std::nullopt;
}

}  // namespace

std::string describe(const Sweep& sweep, const Parameters& p, bool with_workers) {
  const Axes& a = sweep.axes;
  std::vector<std::string> parts;
  if (with_workers) parts.push_back("workers " + std::to_string(p.workers));
  if (a.slots.size() > 1) parts.push_back("slots " + std::to_string(p.slots));
  if (a.mode.size() > 1) parts.push_back(to_string(p.mode));
  if (a.task.size() > 1 && p.task) parts.push_back(config::to_string(*p.task));
  if (a.task_ms.size() > 1 && p.task_ms) parts.push_back(std::to_string(*p.task_ms) + " ms");
  if (a.payload.size() > 1 && p.payload) parts.push_back(std::to_string(*p.payload) + " B");
  if (a.transport.size() > 1) parts.push_back(to_string(p.transport));
  if (a.prefetch.size() > 1 && p.prefetch)
    parts.push_back("prefetch " + (*p.prefetch == kAutoPrefetch ? std::string("auto") : std::to_string(*p.prefetch)));
  if (a.hosts.size() > 1) parts.push_back(std::to_string(p.hosts) + (p.hosts == 1 ? " host" : " hosts"));
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : ", ") + part;
  return text.empty() ? sweep.name : text;
}

Analysis analyse(const Sweep& sweep, const std::vector<RunResult>& results) {
  Analysis analysis;
  const std::vector<Parameters> all = combinations(sweep);
  analysis.combinations.resize(all.size());
  std::map<decltype(series_key(all.front())), std::size_t> series_of;
  for (std::size_t i = 0; i < all.size(); ++i) {
    Combination& c = analysis.combinations[i];
    c.parameters = all[i];
    const auto [it, added] = series_of.emplace(series_key(all[i]), analysis.series.size());
    if (added) analysis.series.push_back(Series{describe(sweep, all[i], false), {}});
    c.series = it->second;
    analysis.series[c.series].combinations.push_back(i);
  }
  for (Series& s : analysis.series)
    std::stable_sort(s.combinations.begin(), s.combinations.end(), [&](std::size_t x, std::size_t y) {
      return analysis.combinations[x].parameters.workers < analysis.combinations[y].parameters.workers;
    });

  // Per run: throughput, ideal makespan, latency percentiles.
  analysis.runs.resize(results.size());
  for (std::size_t r = 0; r < results.size(); ++r) {
    const RunResult& run = results[r];
    RunFigures& f = analysis.runs[r];
    Combination& c = analysis.combinations.at(run.plan.combination);
    c.runs.push_back(r);
    if (!run.ok()) continue;
    c.ok_runs.push_back(r);
    c.latencies_ms.insert(c.latencies_ms.end(), run.latencies_ms.begin(), run.latencies_ms.end());
    if (run.makespan_seconds > 0) f.tasks_per_second = static_cast<double>(run.tasks) / run.makespan_seconds;
    const std::uint64_t p = run.plan.parameters.parallelism();
    if (const auto d = nominal_task_seconds(sweep, run.plan.parameters)) {
      f.ideal_makespan = ideal_makespan(run.tasks, p, *d);
      f.ideal_basis = "nominal";
    } else {
      std::vector<double> seconds;
      for (double ms : run.latencies_ms) seconds.push_back(ms / 1e3);
      f.ideal_makespan = makespan_bound(seconds, p);
      f.ideal_basis = "measured";
    }
    f.p50_ms = percentile(run.latencies_ms, 0.50);
    f.p95_ms = percentile(run.latencies_ms, 0.95);
    f.p99_ms = percentile(run.latencies_ms, 0.99);
    f.max_ms = percentile(run.latencies_ms, 1.0);
  }
  for (Combination& c : analysis.combinations) std::sort(c.latencies_ms.begin(), c.latencies_ms.end());

  // Per run: speedup against the median throughput of its series' fewest workers.
  for (const Series& s : analysis.series) {
    const Combination& base = analysis.combinations[s.combinations.front()];
    std::vector<double> base_rates;
    for (std::size_t r : base.ok_runs)
      if (analysis.runs[r].tasks_per_second) base_rates.push_back(*analysis.runs[r].tasks_per_second);
    const auto base_rate = median(base_rates);
    if (!base_rate) continue;
    const auto base_p = static_cast<double>(base.parameters.parallelism());
    for (std::size_t i : s.combinations) {
      for (std::size_t r : analysis.combinations[i].ok_runs) {
        RunFigures& f = analysis.runs[r];
        if (!f.tasks_per_second) continue;
        const auto p = static_cast<double>(results[r].plan.parameters.parallelism());
        f.speedup = speedup(*f.tasks_per_second, *base_rate);
        if (!f.speedup) continue;
        f.efficiency = efficiency(*f.speedup, p, base_p);
        f.karp_flatt = karp_flatt(*f.speedup, p, base_p);
      }
    }
  }
  return analysis;
}

}  // namespace zpipe::experiment
