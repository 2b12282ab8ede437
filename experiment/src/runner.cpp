// One run: a temporary folder with the run's pipeline file, the roles as fresh processes of
// this binary, their exits and what they wrote.
//
// Start sync: the ventilator's source is a FIFO that stays empty until every worker process
// and the sink have joined (the ventilator says so on its stderr, which the runner reads
// through a pipe); only then are the inputs written. The makespan runs from that moment to
// the sink's exit, so it measures the pipeline, not how long N processes take to start
// (that is `startup_s`, apart).

#include "zpipe/experiment/runner.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <set>
#include <system_error>

#include "collect.hpp"
#include "inputs.hpp"
#include "pipeline_yaml.hpp"
#include "process_group.hpp"
#include "zpipe/experiment/virtual_hosts.hpp"

namespace zpipe::experiment {
namespace {

using Clock = std::chrono::steady_clock;
using detail::ProcessGroup;

// How long workers may take to leave once the batch is over (they leave within milliseconds
// of the ventilator's `done`; one still there after this never joined the batch).
constexpr auto kLateWorkerGrace = std::chrono::seconds(2);
constexpr std::size_t kWriteChunk = 64 * 1024;

[[noreturn]] void throw_errno(const std::string& what) { throw std::system_error(errno, std::system_category(), what); }

// A fresh folder for one run, removed with everything in it at scope exit.
class RunDir {
public:
  RunDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "zpipe-experiment-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp");
    path_ = pattern;
  }
  ~RunDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
  std::filesystem::path path_;
};

// A file descriptor, closed at scope exit.
class Fd {
public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int* out() { return &fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_;
};

// Free TCP ports on 127.0.0.1, as the kernel hands them out for port 0; the sockets stay
// open until all are chosen, so the ports differ. Another program may take one before the
// role binds it: the run then fails ("Address already in use") and says so in its row.
std::vector<int> free_ports(std::size_t count) {
  std::vector<Fd> sockets(count);
  std::vector<int> ports;
  for (std::size_t i = 0; i < count; ++i) {
    *sockets[i].out() = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (sockets[i].get() < 0 || ::bind(sockets[i].get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(sockets[i].get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw_errno("no free TCP port");
    ports.push_back(ntohs(address.sin_port));
  }
  return ports;
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
  if (!out.flush()) throw_errno("cannot write " + file.string());
}

struct Role {
  std::string name;  // "sink", "ventilator", "worker 3", "run"
  std::filesystem::path err;
};

// The ventilator's log lines that say a peer joined ("ventilator: worker 'NAME' joined with
// credit N", "ventilator: sink 'NAME' joined"), read from its stderr pipe; everything read is
// kept in its err file too.
class JoinWatch {
public:
  explicit JoinWatch(const std::filesystem::path& err) : log_(err, std::ios::binary) {}
  // Reads what the pipe holds; false at its end.
  bool read(int fd) {
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n > 0) {
        log_.write(buffer, n);
        log_.flush();
        pending_.append(buffer, static_cast<std::size_t>(n));
        scan();
        continue;
      }
      return n < 0 && (errno == EAGAIN || errno == EINTR);
    }
  }
  std::size_t workers() const { return workers_.size(); }
  bool sink() const { return sink_; }

private:
  void scan() {
    for (std::size_t end; (end = pending_.find('\n')) != std::string::npos; pending_.erase(0, end + 1)) {
      const std::string line = pending_.substr(0, end);
      for (const bool worker : {true, false}) {
        const std::string role = worker ? "ventilator: worker '" : "ventilator: sink '";
        const std::size_t at = line.find(role);
        if (at == std::string::npos) continue;
        const std::size_t name = at + role.size();
        const std::size_t close = line.find("' joined", name);
        if (close == std::string::npos) continue;
        if (worker) workers_.insert(line.substr(name, close - name));
        else sink_ = true;
      }
    }
  }
  std::ofstream log_;
  std::string pending_;
  std::set<std::string> workers_;  // a worker that joins again (a reconnect) counts once
  bool sink_ = false;
};

}  // namespace

Runner::Runner(std::filesystem::path zpipe, std::filesystem::path logs) : zpipe_(std::move(zpipe)), logs_(std::move(logs)) {}

void Runner::stop() {
  stopped_ = true;
  stop_.notify();
}

RunResult Runner::run(const Sweep& sweep, const RunPlan& plan, std::size_t number) {
  RunResult result;
  result.plan = plan;
  result.number = number;
  result.tasks = sweep.tasks;
  if (stopped_) {
    result.error = "interrupted";
    return result;
  }
  const Parameters& p = plan.parameters;
  if (p.hosts > 1) {
    if (!hosts_unavailable_) hosts_unavailable_ = VirtualHosts::unavailable();
    if (!hosts_unavailable_->empty()) {
      result.skipped = true;
      result.error = "skipped: " + *hosts_unavailable_;
      return result;
    }
  }
  RunDir dir;
  config::Pipeline pipeline = pipeline_for(sweep, p);
  detail::Inputs inputs(pipeline.source, sweep.tasks, p.payload);  // keeps a copy of the source
  const std::string fifo = (dir / "inputs.fifo").string();
  if (::mkfifo(fifo.c_str(), 0600) != 0) throw_errno("mkfifo " + fifo);
  // Read-write: the ventilator's open for reading returns at once, and the FIFO's buffer
  // lives while we hold it. Closing it after the last input is the source's end.
  Fd feed(::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (feed.get() < 0) throw_errno("open " + fifo);
  pipeline.source = config::LinesSource{fifo};
  pipeline.sink.output = (dir / "out.jsonl").string();
  pipeline.sink.summary = (dir / "sink.json").string();
  // More than one host: the sink and the ventilator on "head", the worker processes round
  // robin on h1..hN, each a network namespace behind one virtual switch.
  std::optional<VirtualHosts> machines;
  if (p.hosts > 1) {
    std::vector<std::string> names{"head"};
    for (std::uint32_t i = 1; i <= p.hosts; ++i) names.push_back("h" + std::to_string(i));
    try {
      machines.emplace(names);
    } catch (const std::exception& e) {
      result.error = std::string("cannot make the hosts: ") + e.what();
      return result;
    }
    pipeline.ventilator.address = {"tcp://" + machines->address("head") + ":5557", ""};
    pipeline.sink.address = {"tcp://" + machines->address("head") + ":5558", ""};
  } else if (p.transport == Transport::tcp) {
    const std::vector<int> ports = free_ports(2);
    pipeline.ventilator.address = {"tcp://127.0.0.1:" + std::to_string(ports[0]), ""};
    pipeline.sink.address = {"tcp://127.0.0.1:" + std::to_string(ports[1]), ""};
  } else if (p.transport == Transport::ipc) {
    pipeline.ventilator.address = {"ipc://" + (dir / "ventilator.ipc").string(), ""};
    pipeline.sink.address = {"ipc://" + (dir / "sink.ipc").string(), ""};
  } else {
    // zpipe run uses inproc endpoints of its own and binds these only when `bind` is set.
    pipeline.ventilator.address.bind.clear();
    pipeline.sink.address.bind.clear();
  }
  const std::string file = (dir / "pipeline.yaml").string();
  write_text(file, detail::pipeline_yaml(pipeline));

  ProcessGroup group;
  // The roles take their endpoints from the generated file and their log level from their
  // flags: a user's $ZPIPE_VENTILATOR would send them elsewhere, a $SPDLOG_LEVEL of warn
  // would hide the joins the start sync waits for.
  group.unset_environment({"ZPIPE_VENTILATOR", "ZPIPE_SINK", "SPDLOG_LEVEL"});
  std::vector<Role> roles;  // index == the ProcessGroup's
  Fd joins_fd;              // the ventilator's (or zpipe run's) stderr
  // In a namespace, `ip netns exec` runs the binary: /proc/self/exe would be ip itself, so
  // the sweep's own binary is named by the sweep's pid.
  const std::string zpipe = machines ? "/proc/" + std::to_string(::getpid()) + "/exe" : zpipe_.string();
  // The process whose log tells the joins runs at info level; the others quietly.
  auto start = [&](const std::string& name, std::vector<std::string> argv, bool watched, const std::string& host) {
    const std::string tag = std::to_string(roles.size());
    std::vector<std::string> head = machines ? machines->exec_on(host) : std::vector<std::string>{};
    head.push_back(zpipe);
    if (!watched) head.push_back("-q");
    argv.insert(argv.begin(), head.begin(), head.end());
    roles.push_back(Role{name, dir / (tag + ".err")});
    group.spawn(argv, dir / (tag + ".out"), roles.back().err, watched ? joins_fd.out() : nullptr);
  };
  const bool inproc = p.transport == Transport::inproc;
  const std::size_t joiners = inproc ? pipeline.workers.count : (p.mode == WorkerMode::processes ? p.workers : 1);
  const auto started = Clock::now();
  if (inproc) {
    start("run", {"run", file}, true, "");
  } else {
    start("sink", {"sink", "-c", file}, false, "head");
    start("ventilator", {"ventilator", "-c", file, "--summary", (dir / "ventilator.json").string()}, true, "head");
    for (std::size_t i = 1; i <= joiners; ++i)
      start("worker " + std::to_string(i), {"worker", "-c", file}, false, "h" + std::to_string((i - 1) % p.hosts + 1));
  }
  JoinWatch joins(roles.at(inproc ? 0 : 1).err);

  // Phases: joining (until every worker and the sink joined), running (inputs flow in; until
  // the sink, or zpipe run, ends), over (workers leave). A role that fails leaves the others
  // waiting for it: the first failure ends the run.
  enum class Phase { joining, running, over } phase = Phase::joining;
  std::string failure;
  std::string pending;  // inputs read, not yet written into the FIFO
  Clock::time_point fed{}, finished{};
  auto on_exit = [&](std::size_t index) {
    const Role& role = roles.at(index);
    const int code = group.exit_of(index).code;
    const bool ends_batch = role.name == "sink" || role.name == "run";
    if (code != 0 || phase == Phase::joining) {
      const std::string line = detail::first_line(role.err);
      failure = role.name + " exited " + std::to_string(code) + (line.empty() ? "" : ": " + line);
      if (phase == Phase::joining && code == 0) failure += " before the batch began";
      return false;
    }
    if (ends_batch) {
      finished = Clock::now();
      phase = Phase::over;
    }
    return true;
  };
  auto watches = [&] {
    std::vector<ProcessGroup::Watch> w;
    w.push_back({stop_.fd(), POLLIN, [&](short) { return false; }});
    w.push_back({joins_fd.get(), POLLIN, [&](short) {
                   if (!joins.read(joins_fd.get())) joins_fd.reset();
                   if (phase == Phase::joining && joins.workers() >= joiners && joins.sink()) {
                     phase = Phase::running;
                     fed = Clock::now();
                   }
                   return true;
                 }});
    const bool feeding = phase != Phase::joining && feed.get() >= 0;
    w.push_back({feed.get(), static_cast<short>(feeding ? POLLOUT : 0), [&](short) {
                   if (pending.empty()) inputs.fill(pending, kWriteChunk);
                   const ssize_t n = ::write(feed.get(), pending.data(), pending.size());
                   if (n > 0) pending.erase(0, static_cast<std::size_t>(n));
                   if (pending.empty() && inputs.exhausted()) feed.reset();  // the source's end
                   return true;
                 }});
    return w;
  };
  // Until the batch is over (the sink ended), then a grace for the workers to leave.
  ProcessGroup::Waited waited = ProcessGroup::Waited::all_ended;
  for (;;) {
    const auto deadline = phase == Phase::over ? std::min(finished + kLateWorkerGrace, started + sweep.timeout)
                                               : started + sweep.timeout;
    const Phase before = phase;
    waited = group.wait(deadline, watches, [&](std::size_t index) { return on_exit(index) && phase == before; });
    if (waited != ProcessGroup::Waited::stopped_early || !failure.empty() || stopped_ || phase == before) break;
  }
  if (stopped_) failure = "interrupted";
  else if (waited == ProcessGroup::Waited::deadline && phase != Phase::over)
    failure = "timed out after " + std::to_string(sweep.timeout.count() / 1000) + " s (the sweep's timeout)" +
              (phase == Phase::joining ? ": " + std::to_string(joins.workers()) + " of " + std::to_string(joiners) +
                                             " workers joined"
                                       : "");
  for (std::size_t i = 0; i < roles.size(); ++i)
    if (phase == Phase::over && failure.empty() && !group.exit_of(i).ended && roles[i].name.rfind("worker", 0) == 0)
      ++result.late_workers;
  group.kill_all();
  if (joins_fd.get() >= 0) joins.read(joins_fd.get());
  if (fed != Clock::time_point{}) result.startup_seconds = std::chrono::duration<double>(fed - started).count();
  if (phase == Phase::over) {
    result.wall_seconds = std::chrono::duration<double>(finished - started).count();
    result.makespan_seconds = std::chrono::duration<double>(finished - fed).count();
  }

  // Figures of every process, whatever happened.
  for (std::size_t i = 0; i < roles.size(); ++i) {
    const std::string& name = roles[i].name;
    const detail::ChildExit& exit = group.exit_of(i);
    const RoleUsage usage{exit.cpu_seconds, exit.max_rss_kb};
    result.total.cpu_seconds += usage.cpu_seconds;
    result.total.max_rss_kb += usage.max_rss_kb;
    if (name == "sink") result.sink = usage;
    else if (name == "ventilator") result.ventilator = usage;
    else if (name != "run") {
      if (!result.workers_sum) result.workers_sum = RoleUsage{};
      result.workers_sum->cpu_seconds += usage.cpu_seconds;
      result.workers_sum->max_rss_kb += usage.max_rss_kb;
      result.workers_max_rss_kb = std::max(result.workers_max_rss_kb.value_or(0), usage.max_rss_kb);
    }
  }

  if (failure.empty()) {
    const detail::Records records = detail::read_records(dir / "out.jsonl", sweep.tasks);
    result.records = records.lines;
    result.ids_complete = records.ids_complete;
    result.latencies_ms = records.ms;
    std::string problem = records.problem;
    if (problem.empty() && records.not_ok > 0) problem = std::to_string(records.not_ok) + " tasks failed or timed out";
    if (const auto sink = detail::read_sink_summary(dir / "sink.json", problem)) result.dropped += sink->dropped;
    if (!inproc) {
      if (const auto vent = detail::read_ventilator_summary(dir / "ventilator.json", problem)) {
        result.redeliveries = vent->redelivered;
        result.dropped += vent->dropped;
      }
    }
    failure = problem;
  }
  result.error = failure;
  if (!result.ok() && !logs_.empty() && !stopped_) {
    // The roles' stderr, for a look at what went wrong (the run's folder is removed).
    std::error_code ec;
    std::filesystem::create_directories(logs_, ec);
    for (const Role& role : roles) {
      std::string name = role.name;
      for (char& c : name) c = c == ' ' ? '-' : c;
      std::filesystem::copy_file(role.err, logs_ / ("run-" + std::to_string(number) + "-" + name + ".err"),
                                 std::filesystem::copy_options::overwrite_existing, ec);
    }
  }
  return result;
}

}  // namespace zpipe::experiment
