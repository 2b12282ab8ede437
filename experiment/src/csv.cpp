// runs.csv and summary.csv (RFC 4180: a cell with a comma, quote or newline is quoted; an
// undefined figure is an empty cell).

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <system_error>

#include "zpipe/experiment/figures.hpp"
#include "zpipe/experiment/report.hpp"

namespace zpipe::experiment {
namespace {

std::string cell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string number(std::optional<double> value) {
  if (!value) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", *value);
  return text;
}

template <typename T>
std::string optional_text(const std::optional<T>& value) {
  return value ? std::to_string(*value) : "";
}

// The parameter columns, shared by both files.
const std::vector<std::string> kParameterColumns{"workers", "slots", "mode", "parallelism", "task", "task_ms",
                                                 "payload_bytes", "transport", "prefetch", "hosts", "tasks"};

std::vector<std::string> parameter_cells(const Sweep& sweep, const Parameters& p) {
  const config::Pipeline pipeline = pipeline_for(sweep, p);
  const config::TaskSpec& task = pipeline.task;
  std::string task_ms;
  if (task.kind == config::TaskKind::builtin && task.builtin == config::Builtin::sleep && task.ms)
    task_ms = std::to_string(*task.ms);
  else if (task.kind == config::TaskKind::builtin && task.builtin == config::Builtin::spin && task.us)
    task_ms = number(static_cast<double>(*task.us) / 1e3);
  const std::string kind = task.kind == config::TaskKind::builtin ? config::to_string(task.builtin)
                                                                   : config::describe_task(task);
  return {std::to_string(p.workers), std::to_string(p.slots), to_string(p.mode), std::to_string(p.parallelism()),
          kind, task_ms, optional_text(p.payload), to_string(p.transport),
          pipeline.workers.prefetch ? std::to_string(*pipeline.workers.prefetch) : "auto", std::to_string(p.hosts),
          std::to_string(sweep.tasks)};
}

// A figure of one run, by name: the per-run columns, and the medians of the summary.
struct Figure {
  std::string name;
  std::function<std::optional<double>(const RunResult&, const RunFigures&)> of;
};

std::optional<double> usage_cpu(const std::optional<RoleUsage>& u) {
  return u ? std::optional<double>(u->cpu_seconds) : std::nullopt;
}
std::optional<double> usage_rss(const std::optional<RoleUsage>& u) {
  return u ? std::optional<double>(static_cast<double>(u->max_rss_kb)) : std::nullopt;
}

const std::vector<Figure>& figures() {
  using R = RunResult;
  using F = RunFigures;
  static const std::vector<Figure> all{
      {"startup_s", [](const R& r, const F&) { return r.startup_seconds > 0 ? std::optional<double>(r.startup_seconds) : std::nullopt; }},
      {"wall_s", [](const R& r, const F&) { return r.wall_seconds > 0 ? std::optional<double>(r.wall_seconds) : std::nullopt; }},
      {"makespan_s", [](const R& r, const F&) { return r.makespan_seconds > 0 ? std::optional<double>(r.makespan_seconds) : std::nullopt; }},
      {"tasks_per_s", [](const R&, const F& f) { return f.tasks_per_second; }},
      {"ideal_makespan_s", [](const R&, const F& f) { return f.ideal_makespan; }},
      {"speedup", [](const R&, const F& f) { return f.speedup; }},
      {"efficiency", [](const R&, const F& f) { return f.efficiency; }},
      {"karp_flatt", [](const R&, const F& f) { return f.karp_flatt; }},
      {"latency_p50_ms", [](const R&, const F& f) { return f.p50_ms; }},
      {"latency_p95_ms", [](const R&, const F& f) { return f.p95_ms; }},
      {"latency_p99_ms", [](const R&, const F& f) { return f.p99_ms; }},
      {"latency_max_ms", [](const R&, const F& f) { return f.max_ms; }},
      {"cpu_ventilator_s", [](const R& r, const F&) { return usage_cpu(r.ventilator); }},
      {"cpu_sink_s", [](const R& r, const F&) { return usage_cpu(r.sink); }},
      {"cpu_workers_s", [](const R& r, const F&) { return usage_cpu(r.workers_sum); }},
      {"cpu_total_s", [](const R& r, const F&) { return std::optional<double>(r.total.cpu_seconds); }},
      {"rss_ventilator_kb", [](const R& r, const F&) { return usage_rss(r.ventilator); }},
      {"rss_sink_kb", [](const R& r, const F&) { return usage_rss(r.sink); }},
      {"rss_workers_sum_kb", [](const R& r, const F&) { return usage_rss(r.workers_sum); }},
      {"rss_workers_max_kb", [](const R& r, const F&) {
         return r.workers_max_rss_kb ? std::optional<double>(static_cast<double>(*r.workers_max_rss_kb)) : std::nullopt;
       }},
      {"rss_total_kb", [](const R& r, const F&) { return std::optional<double>(static_cast<double>(r.total.max_rss_kb)); }},
      {"redeliveries", [](const R& r, const F&) {
         return r.redeliveries ? std::optional<double>(static_cast<double>(*r.redeliveries)) : std::nullopt;
       }},
      {"dropped", [](const R& r, const F&) { return std::optional<double>(static_cast<double>(r.dropped)); }},
      {"late_workers", [](const R& r, const F&) { return std::optional<double>(static_cast<double>(r.late_workers)); }},
  };
  return all;
}

class CsvFile {
public:
  explicit CsvFile(const std::filesystem::path& file) : file_(file), out_(file, std::ios::binary | std::ios::trunc) {
    if (!out_) throw std::system_error(errno, std::system_category(), "cannot write " + file.string());
  }
  void row(const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) out_ << (i ? "," : "") << cell(cells[i]);
    out_ << "\n";
  }
  void close() {
    out_.close();
    if (!out_) throw std::runtime_error("cannot write " + file_.string());
  }

private:
  std::filesystem::path file_;
  std::ofstream out_;
};

}  // namespace

void write_runs_csv(const std::filesystem::path& file, const Sweep& sweep, const std::vector<RunResult>& results,
                    const Analysis& analysis) {
  CsvFile csv(file);
  std::vector<std::string> header{"run", "combination", "repetition"};
  header.insert(header.end(), kParameterColumns.begin(), kParameterColumns.end());
  header.insert(header.end(), {"ok", "error", "ids_complete", "records", "ideal_basis"});
  for (const Figure& f : figures()) header.push_back(f.name);
  csv.row(header);
  for (std::size_t r = 0; r < results.size(); ++r) {
    const RunResult& run = results[r];
    const RunFigures& f = analysis.runs[r];
    std::vector<std::string> row{std::to_string(run.number), std::to_string(run.plan.combination + 1),
                                 std::to_string(run.plan.repetition)};
    for (std::string& c : parameter_cells(sweep, run.plan.parameters)) row.push_back(std::move(c));
    row.insert(row.end(), {run.ok() ? "true" : "false", run.error, run.ids_complete ? "true" : "false",
                           std::to_string(run.records), f.ideal_basis});
    for (const Figure& figure : figures()) row.push_back(run.ok() || figure.name == "startup_s" ? number(figure.of(run, f)) : "");
    csv.row(row);
  }
  csv.close();
}

void write_summary_csv(const std::filesystem::path& file, const Sweep& sweep, const std::vector<RunResult>& results,
                       const Analysis& analysis) {
  CsvFile csv(file);
  std::vector<std::string> header{"combination", "series"};
  header.insert(header.end(), kParameterColumns.begin(), kParameterColumns.end());
  header.insert(header.end(), {"runs", "runs_ok", "ids_complete", "first_error"});
  for (const Figure& f : figures())
    for (const char* stat : {"_median", "_min", "_max"}) header.push_back(f.name + stat);
  csv.row(header);
  for (std::size_t i = 0; i < analysis.combinations.size(); ++i) {
    const Combination& c = analysis.combinations[i];
    std::vector<std::string> row{std::to_string(i + 1), analysis.series[c.series].label};
    for (std::string& cell_text : parameter_cells(sweep, c.parameters)) row.push_back(std::move(cell_text));
    bool complete = !c.ok_runs.empty();
    std::string first_error;
    for (std::size_t r : c.runs) {
      complete = complete && results[r].ids_complete;
      if (first_error.empty()) first_error = results[r].error;
    }
    row.insert(row.end(), {std::to_string(c.runs.size()), std::to_string(c.ok_runs.size()),
                           complete ? "true" : "false", first_error});
    for (const Figure& figure : figures()) {
      std::vector<double> values;
      for (std::size_t r : c.ok_runs)
        if (const auto v = figure.of(results[r], analysis.runs[r])) values.push_back(*v);
      row.push_back(number(median(values)));
      row.push_back(number(percentile(values, 0)));
      row.push_back(number(percentile(values, 1)));
    }
    csv.row(row);
  }
  csv.close();
}

}  // namespace zpipe::experiment
