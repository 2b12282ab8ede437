// Baseline: the ZeroMQ guide's taskvent/taskwork/tasksink shape, minus its faults that
// would flatter or break a measurement. Ventilator PUSH -> N worker processes (PULL, then
// PUSH the same message on) -> sink PULL, over tcp://127.0.0.1 on ephemeral ports. One
// 8-byte id per task; workers do nothing but forward it; the sink counts to N (and sums
// the ids, so a lost or doubled message is an error rather than a fast figure).
//
// Start sync without sleeps: the ventilator watches its socket's monitor and sends nothing
// until every worker's connection has completed the ZMTP handshake, so PUSH round-robins
// over all N workers from the first task (no slow-joiner flood onto the first worker).
// The clock runs from the first send to the sink's N-th receive.
//
//   bare_pipeline [--workers N] [--count N]
//   {"bench":"bare_pipeline","workers":2,"count":1000000,"seconds":0.8,"tasks_per_second":1.2e6}
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "args.hpp"

extern char** environ;

namespace {

constexpr const char* kUsage = "bare_pipeline [--workers N] [--count N]";
using Clock = std::chrono::steady_clock;

// Worker process: forward every message from the ventilator to the sink, until killed.
int run_worker(const std::string& vent_endpoint, const std::string& sink_endpoint) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the driver
  if (::getppid() == 1) return 1;
  zmq::context_t context;
  zmq::socket_t tasks(context, zmq::socket_type::pull);
  zmq::socket_t results(context, zmq::socket_type::push);
  tasks.set(zmq::sockopt::linger, 0);
  results.set(zmq::sockopt::linger, 0);
  tasks.connect(vent_endpoint);
  results.connect(sink_endpoint);
  zmq::message_t message;
  for (;;) {
    if (!tasks.recv(message)) continue;
    results.send(message, zmq::send_flags::none);
  }
}

struct Children {
  std::vector<pid_t> pids;
  ~Children() {
    for (pid_t pid : pids) ::kill(pid, SIGTERM);
    for (pid_t pid : pids) ::waitpid(pid, nullptr, 0);
  }
  bool any_exited() {
    for (pid_t pid : pids) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) return true;
    }
    return false;
  }
};

pid_t spawn_worker(const std::string& vent_endpoint, const std::string& sink_endpoint) {
  std::string self = "/proc/self/exe";
  std::string flag = "--worker";
  std::string vent = vent_endpoint;
  std::string sink = sink_endpoint;
  char* args[] = {self.data(), flag.data(), vent.data(), sink.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, args, environ);
  if (rc != 0) throw std::runtime_error(std::string("cannot start a worker: ") + std::strerror(rc));
  return pid;
}

// Blocks until `n` peers completed the handshake on the monitored socket.
void wait_for_handshakes(zmq::socket_t& monitor, std::uint64_t n, Children& children) {
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(30);
  std::uint64_t seen = 0;
  while (seen < n) {
    if (Clock::now() > deadline) throw std::runtime_error("workers did not connect within 30 s");
    if (children.any_exited()) throw std::runtime_error("a worker exited before the batch started");
    zmq::message_t event;
    if (!monitor.recv(event)) continue;  // receive timeout: check again
    zmq::message_t address;
    (void)monitor.recv(address);
    std::uint16_t id = 0;
    if (event.size() >= sizeof id) std::memcpy(&id, event.data(), sizeof id);
    if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) ++seen;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--worker") return run_worker(argv[2], argv[3]);

  std::uint64_t workers = 2;
  std::uint64_t count = 1'000'000;
  zpipe::bench::parse_counts(argc, argv, kUsage, {{"--workers", &workers}, {"--count", &count}});

  try {
    zmq::context_t context;
    zmq::socket_t vent(context, zmq::socket_type::push);
    zmq::socket_t sink(context, zmq::socket_type::pull);
    vent.set(zmq::sockopt::linger, 0);
    sink.set(zmq::sockopt::linger, 0);
    vent.bind("tcp://127.0.0.1:*");
    sink.bind("tcp://127.0.0.1:*");
    const std::string vent_endpoint = vent.get(zmq::sockopt::last_endpoint);
    const std::string sink_endpoint = sink.get(zmq::sockopt::last_endpoint);

    if (zmq_socket_monitor(vent.handle(), "inproc://bare-vent-monitor", ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0) {
      throw zmq::error_t();
    }
    zmq::socket_t monitor(context, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::rcvtimeo, 100);
    monitor.connect("inproc://bare-vent-monitor");

    Children children;
    for (std::uint64_t i = 0; i < workers; ++i) children.pids.push_back(spawn_worker(vent_endpoint, sink_endpoint));
    wait_for_handshakes(monitor, workers, children);

    Clock::time_point received_all;
    std::uint64_t received = 0;
    std::uint64_t id_sum = 0;
    std::thread sink_thread([&] {
      zmq::message_t message;
      sink.set(zmq::sockopt::rcvtimeo, 30'000);  // a lost message ends the run instead of hanging
      while (received < count) {
        if (!sink.recv(message)) break;
        std::uint64_t id = 0;
        if (message.size() == sizeof id) std::memcpy(&id, message.data(), sizeof id);
        id_sum += id;
        ++received;
      }
      received_all = Clock::now();
    });

    const Clock::time_point start = Clock::now();
    for (std::uint64_t id = 1; id <= count; ++id) {
      vent.send(zmq::buffer(&id, sizeof id), zmq::send_flags::none);
    }
    sink_thread.join();

    // 1 + ... + count, modulo 2^64 like id_sum.
    const std::uint64_t expected = count % 2 == 0 ? (count / 2) * (count + 1) : count * ((count + 1) / 2);
    if (received != count || id_sum != expected) {
      std::fprintf(stderr, "bare_pipeline: sink received %llu of %llu tasks (or wrong ids)\n",
                   static_cast<unsigned long long>(received), static_cast<unsigned long long>(count));
      return 1;
    }
    const double seconds = std::chrono::duration<double>(received_all - start).count();
    std::printf("{\"bench\":\"bare_pipeline\",\"workers\":%llu,\"count\":%llu,\"seconds\":%.6f,\"tasks_per_second\":%.1f}\n",
                static_cast<unsigned long long>(workers), static_cast<unsigned long long>(count), seconds,
                static_cast<double>(count) / seconds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bare_pipeline: %s\n", e.what());
    return 3;
  }
  return 0;
}
