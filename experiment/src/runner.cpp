// One run: a temporary folder with the run's pipeline file, the roles as fresh processes of
// this binary, their exits and what they wrote.

#include "zpipe/experiment/runner.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <system_error>

#include "collect.hpp"
#include "pipeline_yaml.hpp"
#include "process_group.hpp"

namespace zpipe::experiment {
namespace {

using Clock = std::chrono::steady_clock;

// A fresh folder for one run, removed with everything in it at scope exit.
class RunDir {
public:
  RunDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "zpipe-experiment-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::system_category(), "mkdtemp");
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

// Free TCP ports on 127.0.0.1, as the kernel hands them out for port 0; the sockets stay
// open until all are chosen, so the ports differ. Another program may take one before the
// role binds it: the run then fails ("Address already in use") and says so in its row.
std::vector<int> free_ports(std::size_t count) {
  std::vector<int> sockets, ports;
  for (std::size_t i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    sockets.push_back(fd);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      break;
    ports.push_back(ntohs(address.sin_port));
  }
  for (int fd : sockets) ::close(fd);
  if (ports.size() != count) throw std::system_error(errno, std::system_category(), "no free TCP port");
  return ports;
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
  if (!out.flush()) throw std::system_error(errno, std::system_category(), "cannot write " + file.string());
}

// `tasks` lines of `bytes` bytes each: every task's input is a payload of that size.
void write_payload(const std::filesystem::path& file, std::uint64_t tasks, std::uint64_t bytes) {
  std::ofstream out(file, std::ios::binary);
  const std::string line = std::string(bytes, 'x') + "\n";
  for (std::uint64_t i = 0; i < tasks; ++i) out << line;
  if (!out.flush()) throw std::system_error(errno, std::system_category(), "cannot write " + file.string());
}

struct Role {
  std::string name;  // "sink", "ventilator", "worker 3", "run"
  std::size_t index = 0;
  std::filesystem::path err;
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
  RunDir dir;
  config::Pipeline pipeline = pipeline_for(sweep, p);
  if (p.payload) {
    write_payload(dir / "inputs.txt", sweep.tasks, *p.payload);
    pipeline.source = config::LinesSource{(dir / "inputs.txt").string()};
  }
  pipeline.sink.output = (dir / "out.jsonl").string();
  pipeline.sink.summary = (dir / "sink.json").string();
  if (p.transport == Transport::tcp) {
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

  detail::ProcessGroup group;
  std::vector<Role> roles;
  const std::string zpipe = zpipe_.string();
  auto start = [&](const std::string& name, std::vector<std::string> argv) {
    const std::string tag = std::to_string(roles.size());
    const std::filesystem::path err = dir / (tag + ".err");
    argv.insert(argv.begin(), {zpipe, "-q"});
    roles.push_back(Role{name, group.spawn(argv, dir / (tag + ".out"), err), err});
  };
  const auto started = Clock::now();
  if (p.transport == Transport::inproc) {
    start("run", {"run", file});
  } else {
    // Sink and ventilator first, the workers after: the makespan (the sink's clock, from the
    // ventilator's first answer) then includes the workers' start-up, a real cost of N processes.
    start("sink", {"sink", "-c", file});
    start("ventilator", {"ventilator", "-c", file, "--summary", (dir / "ventilator.json").string()});
    const std::uint32_t processes = p.mode == WorkerMode::processes ? p.workers : 1;
    for (std::uint32_t i = 1; i <= processes; ++i) start("worker " + std::to_string(i), {"worker", "-c", file});
  }

  // A role that fails leaves the others waiting for it: the first failure ends the run.
  std::string failure;
  const auto waited = group.wait(started + sweep.timeout, stop_.fd(), [&](std::size_t index) {
    const detail::ChildExit& exit = group.exit_of(index);
    if (exit.code == 0) return true;
    for (const Role& role : roles) {
      if (role.index != index) continue;
      const std::string line = detail::first_line(role.err);
      failure = role.name + " exited " + std::to_string(exit.code) + (line.empty() ? "" : ": " + line);
    }
    return false;
  });
  const auto ended = Clock::now();
  if (waited == detail::ProcessGroup::Waited::deadline)
    failure = "timed out after " + std::to_string(sweep.timeout.count() / 1000.0) + " s";
  else if (waited == detail::ProcessGroup::Waited::interrupted)
    failure = "interrupted";
  group.kill_all();
  result.wall_seconds = std::chrono::duration<double>(ended - started).count();

  // Figures of every process, whatever happened.
  for (const Role& role : roles) {
    const detail::ChildExit& exit = group.exit_of(role.index);
    const RoleUsage usage{exit.cpu_seconds, exit.max_rss_kb};
    result.total.cpu_seconds += usage.cpu_seconds;
    result.total.max_rss_kb += usage.max_rss_kb;
    if (role.name == "sink") result.sink = usage;
    else if (role.name == "ventilator") result.ventilator = usage;
    else if (role.name != "run") {
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
    if (const auto sink = detail::read_sink_summary(dir / "sink.json", problem)) {
      result.makespan_seconds = sink->wall_seconds;
      result.dropped += sink->dropped;
    }
    if (p.transport != Transport::inproc) {
      if (const auto vent = detail::read_ventilator_summary(dir / "ventilator.json", problem)) {
        result.redeliveries = vent->redelivered;
        result.dropped += vent->dropped;
      }
    }
    failure = problem;
  }
  result.error = failure;
  if (!result.ok() && !logs_.empty() && failure != "interrupted") {
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
