// Issue 15, "scaling experiments": `zpipe experiment SWEEP.yaml` through the real binary,
// real processes and sockets: a 2 x 2 sweep writes runs.csv and summary.csv with the right
// rows, columns and sane figures, and valid PNG plots; a broken sweep file is refused with
// FILE:LINE:COL and exit 2; the progress line appears on a terminal only; SIGTERM ends the
// sweep with no process of it left behind.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "test_support.hpp"
#include "zpipe/experiment/virtual_hosts.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;

using Row = std::map<std::string, std::string>;

// A CSV file as rows of column -> cell (the files hold no quoted commas in these tests).
std::vector<Row> read_csv(const std::filesystem::path& file, std::vector<std::string>* header_out = nullptr) {
  std::istringstream in(read_file(file));
  std::vector<std::string> header;
  std::vector<Row> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream fields(line);
    for (std::string cell; std::getline(fields, cell, ',');) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    if (header.empty()) {
      header = cells;
      continue;
    }
    EXPECT_EQ(cells.size(), header.size()) << line;
    Row row;
    for (std::size_t i = 0; i < header.size() && i < cells.size(); ++i) row[header[i]] = cells[i];
    rows.push_back(row);
  }
  if (header_out) *header_out = header;
  return rows;
}

// "PNG signature, then an IHDR chunk with a non-zero width and height".
std::string png_problem(const std::filesystem::path& file) {
  const std::string bytes = read_file(file);
  if (bytes.size() < 24) return "too short";
  if (bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return "no PNG signature";
  if (bytes.compare(12, 4, "IHDR") != 0) return "no IHDR chunk first";
  auto be32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  if (be32(16) == 0 || be32(20) == 0) return "zero width or height";
  return "";
}

std::string tiny_sweep(const std::string& axes, const std::string& tasks = "20", const std::string& repetitions = "1",
                       const std::string& warmup = "0") {
  return "version: 1\nname: tiny\n"
         "pipeline: { version: 1, name: p, source: { range: { count: 1 } }, task: { builtin: sleep, ms: 1 } }\n"
         "tasks: " + tasks + "\nrepetitions: " + repetitions + "\nwarmup: " + warmup + "\ntimeout: 60s\naxes:\n" + axes;
}

TEST(Experiment, TinySweepWritesCsvsWithSaneFiguresAndPngPlots) {
  TempDir dir;
  // Three repetitions after a warm-up: one run of a few tens of milliseconds can be slowed by
  // a busy machine (ctest -j), a median of three much less.
  write_file(dir / "sweep.yaml", tiny_sweep("  workers: [1, 2]\n  task_ms: [1, 5]\n", "30", "3", "1"));
  const auto o = run_zpipe({"experiment", (dir / "sweep.yaml").string(), "--out", (dir / "out").string()}, dir, "", 60s);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.err.find('\r'), std::string::npos) << "no progress line when stderr is not a terminal\n" << o.err;

  std::vector<std::string> header;
  const auto runs = read_csv(dir / "out" / "runs.csv", &header);
  for (const char* column :
       {"run", "workers", "slots", "mode", "task", "task_ms", "payload_bytes", "transport", "prefetch", "tasks", "ok",
        "error", "ids_complete", "wall_s", "makespan_s", "tasks_per_s", "ideal_makespan_s", "speedup", "efficiency",
        "karp_flatt", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "latency_max_ms", "cpu_ventilator_s",
        "cpu_sink_s", "cpu_workers_s", "rss_ventilator_kb", "rss_sink_kb", "rss_workers_sum_kb", "rss_workers_max_kb",
        "redeliveries", "dropped"})
    EXPECT_NE(std::find(header.begin(), header.end(), column), header.end()) << "runs.csv has no column " << column;
  ASSERT_EQ(runs.size(), 12u) << "2 x 2 combinations x 3 repetitions; the warm-ups are not results";
  for (const Row& r : runs) {
    SCOPED_TRACE("run " + r.at("run") + ": workers " + r.at("workers") + ", task_ms " + r.at("task_ms"));
    EXPECT_EQ(r.at("ok"), "true") << r.at("error");
    EXPECT_EQ(r.at("ids_complete"), "true");
    EXPECT_EQ(r.at("tasks"), "30");
    EXPECT_GT(std::stod(r.at("tasks_per_s")), 0);
    EXPECT_GT(std::stod(r.at("efficiency")), 0);
    // Each task sleeps its task_ms on its worker: the median task time is at least that.
    EXPECT_GE(std::stod(r.at("latency_p50_ms")), std::stod(r.at("task_ms")));
    EXPECT_GE(std::stod(r.at("makespan_s")), std::stod(r.at("ideal_makespan_s")));
    EXPECT_GT(std::stod(r.at("cpu_ventilator_s")) + std::stod(r.at("cpu_sink_s")), 0);
    EXPECT_GT(std::stol(r.at("rss_workers_max_kb")), 0);
    EXPECT_EQ(r.at("redeliveries"), "0");  // from the ventilator's --summary
    EXPECT_EQ(r.at("dropped"), "0");
    if (r.at("workers") == "1") {
      EXPECT_EQ(r.at("karp_flatt"), "") << "undefined at the base";
    } else {
      EXPECT_NE(r.at("karp_flatt"), "");
    }
  }
  const auto summary = read_csv(dir / "out" / "summary.csv");
  ASSERT_EQ(summary.size(), 4u);
  for (const Row& r : summary) {
    SCOPED_TRACE("combination " + r.at("combination"));
    EXPECT_EQ(r.at("runs_ok"), "3");
    EXPECT_EQ(r.at("ids_complete"), "true");
    const double efficiency = std::stod(r.at("efficiency_median"));
    EXPECT_GT(efficiency, 0);
    EXPECT_LE(efficiency, 1.05);
    if (r.at("workers") == "1") {
      EXPECT_EQ(r.at("speedup_median"), "1") << "the base, against its own median";
    }
    EXPECT_GT(std::stod(r.at("tasks_per_s_median")), 0);
    EXPECT_LE(std::stod(r.at("tasks_per_s_min")), std::stod(r.at("tasks_per_s_max")));
  }
  for (const char* png : {"throughput.png", "efficiency.png", "latency-cdf-1.png", "latency-cdf-2.png"})
    EXPECT_EQ(png_problem(dir / "out" / png), "") << png;
}

TEST(Experiment, BrokenSweepFileIsRefusedWithFileLineColumn) {
  TempDir dir;
  write_file(dir / "typo.yaml", tiny_sweep("  wrokers: [1, 2]\n"));
  auto o = run_zpipe({"experiment", (dir / "typo.yaml").string(), "--out", (dir / "out").string()}, dir);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find((dir / "typo.yaml").string() + ":9:3: unknown key 'axes.wrokers' (did you mean 'workers'?)"),
            std::string::npos)
      << o.err;
  write_file(dir / "value.yaml", tiny_sweep("  transport: [tcp, udp]\n"));
  o = run_zpipe({"experiment", (dir / "value.yaml").string(), "--out", (dir / "out").string()}, dir);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("value.yaml:9:20: axes.transport[1]: expected one of tcp ipc inproc, got 'udp'"), std::string::npos)
      << o.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out")) << "nothing is written for a refused sweep";
  o = run_zpipe({"experiment", (dir / "missing.yaml").string()}, dir);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("missing.yaml: cannot read: No such file or directory"), std::string::npos) << o.err;
}

TEST(Experiment, ExistingOutFolderNeedsFresh) {
  TempDir dir;
  write_file(dir / "sweep.yaml", tiny_sweep("  workers: 1\n", "3"));
  std::filesystem::create_directories(dir / "out");
  write_file(dir / "out" / "notes.txt", "mine");
  write_file(dir / "out" / "runs.csv", "old");
  auto o = run_zpipe({"experiment", (dir / "sweep.yaml").string(), "--out", (dir / "out").string()}, dir);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("give --fresh"), std::string::npos) << o.err;
  EXPECT_EQ(read_file(dir / "out" / "runs.csv"), "old");
  {
    // The user's environment does not reach the runs' roles: a $ZPIPE_VENTILATOR would send
    // them elsewhere, a $SPDLOG_LEVEL of warn would hide the joins the start sync waits for.
    struct Env {
      Env() {
        ::setenv("ZPIPE_VENTILATOR", "tcp://127.0.0.1:1", 1);
        ::setenv("SPDLOG_LEVEL", "warn", 1);
      }
      ~Env() {
        ::unsetenv("ZPIPE_VENTILATOR");
        ::unsetenv("SPDLOG_LEVEL");
      }
    } env;
    o = run_zpipe({"experiment", (dir / "sweep.yaml").string(), "--out", (dir / "out").string(), "--fresh"}, dir);
  }
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_csv(dir / "out" / "runs.csv").size(), 1u);
  EXPECT_EQ(read_file(dir / "out" / "notes.txt"), "mine") << "--fresh removes only what a sweep writes";
}

TEST(Experiment, WorkersSpreadOverVirtualHosts) {
  if (const std::string why = experiment::VirtualHosts::unavailable(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir;
  write_file(dir / "sweep.yaml", tiny_sweep("  workers: 2\n  hosts: [1, 2]\n", "20"));
  const auto o = run_zpipe({"experiment", (dir / "sweep.yaml").string(), "--out", (dir / "out").string()}, dir, "", 60s);
  ASSERT_EQ(o.code, 0) << o.err;
  const auto runs = read_csv(dir / "out" / "runs.csv");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].at("hosts"), "1");
  EXPECT_EQ(runs[1].at("hosts"), "2");
  for (const Row& r : runs) {
    EXPECT_EQ(r.at("ok"), "true") << r.at("error");
    EXPECT_EQ(r.at("ids_complete"), "true");
  }
}

// Everything a terminal (a pseudo-terminal here) receives from `zpipe experiment` on stderr.
std::string stderr_on_terminal(const std::vector<std::string>& args, int& code) {
  TempDir dir;
  int master = -1, slave = -1;
  winsize size{};
  size.ws_col = 120;
  size.ws_row = 30;
  if (::openpty(&master, &slave, nullptr, nullptr, &size) != 0) throw std::runtime_error("openpty failed");
  std::vector<std::string> argv{zpipe_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  Child child(argv, dir / "out", ::ttyname(slave));
  ::close(slave);
  std::string terminal;
  code = -1;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      char buffer[4096];
      const ssize_t n = ::read(master, buffer, sizeof buffer);
      if (n > 0) {
        terminal.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (code != -1) break;  // EIO: the child and its terminal are gone
    }
    if (code == -1) code = child.wait(0ms);
    else break;
  }
  if (code == -1) code = child.wait(5s);
  ::close(master);
  return terminal;
}

TEST(Experiment, ProgressLineOnATerminalOnly) {
  TempDir dir;
  write_file(dir / "sweep.yaml", tiny_sweep("  workers: [1, 2]\n", "10"));
  int code = -1;
  const std::string terminal =
      stderr_on_terminal({"experiment", (dir / "sweep.yaml").string(), "--out", (dir / "tty").string()}, code);
  EXPECT_EQ(code, 0) << terminal;
  EXPECT_NE(terminal.find("\r\x1b[K["), std::string::npos) << "a bar, redrawn in place\n" << terminal;
  EXPECT_NE(terminal.find("2/2 runs"), std::string::npos) << terminal;
  EXPECT_NE(terminal.find("| workers 2"), std::string::npos) << "the run going on\n" << terminal;

  // The same with stderr a pipe (a FIFO): no progress line at all.
  const auto fifo = dir / "stderr.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  Child child({zpipe_binary(), "experiment", (dir / "sweep.yaml").string(), "--out", (dir / "pipe").string()},
              dir / "out", fifo);
  std::string piped;
  int piped_code = -1;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{reader, POLLIN, 0};
    ::poll(&p, 1, 50);
    char buffer[4096];
    const ssize_t n = ::read(reader, buffer, sizeof buffer);
    if (n > 0) {
      piped.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (piped_code != -1) break;
    piped_code = child.wait(0ms);
  }
  ::close(reader);
  EXPECT_EQ(piped_code, 0) << piped;
  EXPECT_EQ(piped.find('\r'), std::string::npos) << piped;
  EXPECT_EQ(piped.find(" runs,"), std::string::npos) << piped;
  EXPECT_NE(piped.find("experiment 'tiny': 2 runs (0 failed)"), std::string::npos) << piped;
}

// The pids whose parent is `parent` (from /proc/PID/stat's 4th field).
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::istringstream stat(read_file(entry.path() / "stat"));
    std::string pid, comm, state, ppid;
    stat >> pid >> comm >> state >> ppid;
    if (!ppid.empty() && std::stoi(ppid) == parent) out.push_back(std::stoi(pid));
  }
  return out;
}

TEST(Experiment, SigtermKillsTheRunAndLeavesNoProcess) {
  TempDir dir;
  // Runs of 100 x 50 ms on one worker: 5 s each, far longer than the test waits.
  write_file(dir / "sweep.yaml", tiny_sweep("  workers: [1, 2]\n  task_ms: 50\n", "100"));
  Child child({zpipe_binary(), "experiment", (dir / "sweep.yaml").string(), "--out", (dir / "out").string()},
              dir / "stdout", dir / "stderr");
  std::vector<pid_t> roles;
  ASSERT_TRUE(wait_until([&] { return (roles = children_of(child.pid())).size() >= 3; }, 20s))
      << "the first run's sink, ventilator and worker started";
  child.signal(SIGTERM);
  EXPECT_EQ(child.wait(20s), 143) << read_file(dir / "stderr");
  for (pid_t pid : roles) EXPECT_EQ(process_state(pid), 0) << "role process " << pid << " is still there";
  EXPECT_NE(read_file(dir / "stderr").find("interrupted after 0 of 2 runs"), std::string::npos) << read_file(dir / "stderr");
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "runs.csv"));
}

}  // namespace
}  // namespace zpipe
