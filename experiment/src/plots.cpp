// gnuplot scripts for the sweep's PNGs. Points are medians over repetitions; the ideal line
// of a series is tasks / ideal makespan where the task's duration is known (sleep, spin),
// else linear scaling from the series' fewest workers.

#include "zpipe/experiment/plots.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "process_group.hpp"
#include "zpipe/experiment/figures.hpp"

namespace zpipe::experiment {
namespace {

// Most points of one CDF line: quantiles beyond this add nothing a PNG can show.
constexpr std::size_t kCdfPoints = 400;

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::system_error(errno, std::system_category(), "cannot write " + file.string());
}

struct Point {
  double workers = 0;
  std::optional<double> rate, ideal, efficiency;
};

std::vector<Point> points_of(const Sweep& sweep, const Series& series, const std::vector<RunResult>& results,
                             const Analysis& analysis) {
  std::vector<Point> points;
  std::optional<double> base_rate;
  double base_p = 0;
  for (std::size_t i : series.combinations) {
    const Combination& c = analysis.combinations[i];
    std::vector<double> rates, ideals, efficiencies;
    for (std::size_t r : c.ok_runs) {
      const RunFigures& f = analysis.runs[r];
      if (f.tasks_per_second) rates.push_back(*f.tasks_per_second);
      if (f.ideal_makespan && *f.ideal_makespan > 0 && f.ideal_basis == "nominal")
        ideals.push_back(static_cast<double>(results[r].tasks) / *f.ideal_makespan);
      if (f.efficiency) efficiencies.push_back(*f.efficiency);
    }
    Point p;
    p.workers = c.parameters.workers;
    p.rate = median(rates);
    p.efficiency = median(efficiencies);
    p.ideal = median(ideals);
    if (!base_rate && p.rate) {
      base_rate = p.rate;
      base_p = static_cast<double>(c.parameters.parallelism());
    }
    if (!p.ideal && base_rate && base_p > 0)
      p.ideal = *base_rate * static_cast<double>(c.parameters.parallelism()) / base_p;
    points.push_back(p);
  }
  (void)sweep;
  return points;
}

std::string cell(std::optional<double> value) {
  if (!value) return "NaN";  // gnuplot leaves a gap
  std::ostringstream out;
  out.precision(9);
  out << *value;
  return out.str();
}

// "set logscale x 2" when the workers span a factor of 8 or more (1..128 reads better so).
std::string x_axis(const Sweep& sweep) {
  const auto [low, high] = std::minmax_element(sweep.axes.workers.begin(), sweep.axes.workers.end());
  std::string text = "set xlabel \"workers\"\n";
  if (*high >= 8 * *low) text += "set logscale x 2\n";
  text += "set xrange [" + std::to_string(*low) + "*0.9:" + std::to_string(*high) + "*1.1]\n";
  return text;
}

void run_gnuplot(const std::filesystem::path& gnuplot, const std::filesystem::path& script,
                 const std::filesystem::path& data) {
  detail::ProcessGroup group;
  const std::size_t index = group.spawn({gnuplot.string(), script.string()}, data / "gnuplot.out", data / "gnuplot.err");
  const auto waited = group.wait(std::chrono::steady_clock::now() + std::chrono::minutes(2),
                                 [] { return std::vector<detail::ProcessGroup::Watch>{}; },
                                 [](std::size_t) { return true; });
  if (waited != detail::ProcessGroup::Waited::all_ended) throw std::runtime_error("gnuplot did not finish within 2 minutes");
  if (const int code = group.exit_of(index).code; code != 0) {
    std::ifstream err(data / "gnuplot.err");
    std::string line;
    std::getline(err, line);
    throw std::runtime_error("gnuplot exited " + std::to_string(code) + (line.empty() ? "" : ": " + line));
  }
}

}  // namespace

std::filesystem::path find_gnuplot() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / "gnuplot";
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

std::vector<std::filesystem::path> write_plots(const std::filesystem::path& dir, const Sweep& sweep,
                                               const std::vector<RunResult>& results, const Analysis& analysis,
                                               const std::filesystem::path& gnuplot) {
  if (gnuplot.empty()) throw std::runtime_error("gnuplot is not installed (scripts/install-deps.sh installs gnuplot-nox)");
  const std::filesystem::path data = dir / "data";
  std::filesystem::create_directories(data);
  std::vector<std::filesystem::path> pngs;
  std::ostringstream script;
  script << "# Generated by zpipe experiment; gnuplot " << (data / "plots.gp").string() << " redraws the PNGs.\n"
         << "set terminal pngcairo size 800,500 font \"sans,10\"\nset grid\nset key left top\n";

  // Throughput and efficiency: one data file per series (workers, rate, ideal, efficiency).
  std::string rate_plot, efficiency_plot;
  for (std::size_t s = 0; s < analysis.series.size(); ++s) {
    const Series& series = analysis.series[s];
    const std::string file = (data / ("series-" + std::to_string(s + 1) + ".dat")).string();
    std::ostringstream rows;
    rows << "# workers tasks_per_s ideal_tasks_per_s efficiency (medians)\n";
    for (const Point& p : points_of(sweep, series, results, analysis))
      rows << p.workers << " " << cell(p.rate) << " " << cell(p.ideal) << " " << cell(p.efficiency) << "\n";
    write(file, rows.str());
    const std::string color = "lc " + std::to_string(s + 1);
    rate_plot += (rate_plot.empty() ? "plot " : ", \\\n     ") + quoted(file) + " using 1:2 with linespoints " + color +
                 " pt 7 title " + quoted(series.label) + ", " + quoted(file) + " using 1:3 with lines " + color +
                 " dt 2 title " + quoted("ideal, " + series.label);
    efficiency_plot += (efficiency_plot.empty() ? "plot " : ", \\\n     ") + quoted(file) + " using 1:4 with linespoints " +
                       color + " pt 7 title " + quoted(series.label);
  }
  const std::filesystem::path throughput = dir / "throughput.png", efficiency_png = dir / "efficiency.png";
  script << "\nset output " << quoted(throughput.string()) << "\nset title " << quoted(sweep.name + ": throughput")
         << "\n" << x_axis(sweep) << "set ylabel \"tasks/s (median)\"\nset logscale y 10\n" << rate_plot << "\n";
  script << "\nset output " << quoted(efficiency_png.string()) << "\nset title "
         << quoted(sweep.name + ": parallel efficiency") << "\nunset logscale y\nset ylabel \"efficiency (median)\"\n"
         << "set yrange [0:*]\n" << efficiency_plot << ", 1 with lines lc black dt 3 title \"ideal\"\n";
  pngs.push_back(throughput);
  pngs.push_back(efficiency_png);

  // Latency CDFs: one PNG per series, one line per combination (worker count).
  script << "\nunset logscale\nset autoscale\nset yrange [0:1]\nset ylabel \"fraction of tasks\"\n"
         << "set xlabel \"task time on its worker, ms (record field ms)\"\nset key right bottom\n";
  for (std::size_t s = 0; s < analysis.series.size(); ++s) {
    std::string plot;
    for (std::size_t i : analysis.series[s].combinations) {
      const Combination& c = analysis.combinations[i];
      if (c.latencies_ms.empty()) continue;
      const std::string file = (data / ("cdf-" + std::to_string(i + 1) + ".dat")).string();
      std::ostringstream rows;
      rows << "# ms fraction\n";
      const std::size_t n = c.latencies_ms.size();
      const std::size_t step = std::max<std::size_t>(1, n / kCdfPoints);
      for (std::size_t k = 0; k < n; k += step)
        rows << c.latencies_ms[k] << " " << static_cast<double>(k + 1) / static_cast<double>(n) << "\n";
      rows << c.latencies_ms.back() << " 1\n";
      write(file, rows.str());
      plot += (plot.empty() ? "plot " : ", \\\n     ") + quoted(file) + " using 1:2 with steps lw 2 title " +
              quoted("workers " + std::to_string(c.parameters.workers));
    }
    if (plot.empty()) continue;
    const std::filesystem::path png = dir / ("latency-cdf-" + std::to_string(s + 1) + ".png");
    script << "\nset output " << quoted(png.string()) << "\nset title "
           << quoted(sweep.name + ": task time CDF, " + analysis.series[s].label) << "\n" << plot << "\n";
    pngs.push_back(png);
  }
  script << "\nunset output\n";
  write(data / "plots.gp", script.str());
  run_gnuplot(gnuplot, data / "plots.gp", data);
  return pngs;
}

}  // namespace zpipe::experiment
