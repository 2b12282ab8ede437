#pragma once
// Tools of the fault-injection suite (`make test-faults`, tests/faults/): a pipeline of
// separate zpipe processes that can be frozen, killed and restarted one role at a time, two
// network namespaces joined by a link that loses packets, a relay that delays every byte, a
// tiny tmpfs, and the figures every scenario prints (and docs/reliability.md tabulates).
//
// Everything is real: processes, signals, sockets, namespaces, iptables rules, mounts. The
// scenarios that need root (namespaces, iptables, mount) skip, saying so, without it.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../reliability_support.hpp"

namespace zpipe::faults {

#define ZPIPE_FAULTS_NEED_ROOT()                                                                \
  do {                                                                                          \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: network namespaces, iptables or mount"; \
  } while (0)

// What one scenario saw. report() prints it as a row of the table in docs/reliability.md
// and appends the row to the file $ZPIPE_FAULTS_REPORT when that is set.
struct Figures {
  std::string scenario;
  std::string faults;             // what was done to the pipeline, e.g. "9 kills, gaps 100-600 ms"
  std::size_t records = 0;        // whole records in the output
  std::size_t reruns = 0;         // task executions beyond the first one per id (exec.log)
  std::uint64_t duplicates = 0;   // results the last sink dropped as duplicates (its summary)
  double seconds = 0;             // from the first process started to the last one ended
};
void report(const Figures& figures);

// `output` holds only whole records, each id 1..count once with the right output (squares);
// the figures: records, re-runs (dir/exec.log), duplicates dropped by the last sink
// (dir/summary.json), seconds since `started`.
Figures expect_exactly_once(const std::filesystem::path& output, int count, const test::TempDir& dir,
                            std::chrono::steady_clock::time_point started, std::string scenario, std::string faults);

// A batch of `count` squares whose tasks sleep `seconds` first (when given) and log their
// start to exec.log, from which re-runs are counted.
test::Batch logged_batch(const test::TempDir& dir, int count, const std::string& seconds = {});

enum class Role { ventilator, sink, worker };
const char* name_of(Role role);

// One batch (tests/reliability_support.hpp's Batch: squares, fast liveness) run by separate
// processes: a ventilator, a sink and `workers` workers, each started, frozen, killed and
// restarted on its own. Every incarnation keeps its stderr in TAG-N.err; every task's start
// is logged to exec.log, so re-runs can be counted.
class Roles {
public:
  Roles(const test::TempDir& dir, test::Batch batch, int workers);
  Roles(const Roles&) = delete;
  Roles& operator=(const Roles&) = delete;

  // Run `role`'s processes under `prefix` (e.g. `ip netns exec NS`), with more flags.
  void place(Role role, std::vector<std::string> prefix, std::vector<std::string> flags = {});
  // The sink writes to `file` (--output) instead of dir/out.jsonl.
  void output_to(const std::filesystem::path& file);
  void start_all();
  // start_all(), then waits (up to 20 s) until `records` are written; false if they never are.
  bool start_all_until(std::size_t records);
  void start(Role role, int index = 0, std::vector<std::string> flags = {});
  test::Child& child(Role role, int index = 0);
  bool running(Role role, int index = 0) const;
  // SIGKILL, and reap.
  void kill(Role role, int index = 0);
  int workers() const { return static_cast<int>(workers_.size()); }
  const test::Batch& batch() const { return batch_; }
  const std::string& file() const { return file_; }
  std::size_t records_written() const;
  // Every incarnation's stderr of a role, one after the other.
  std::string log(Role role, int index = 0) const;
  // Each running process ends by itself within `limit` with exit code `code` (0 by default);
  // a failure names the process and shows its log.
  void expect_all_end(std::chrono::milliseconds limit, int code = 0);
  // faults::expect_exactly_once for this batch, timed from the Roles' creation.
  Figures expect_exactly_once(std::string scenario, std::string faults) const;

private:
  struct Slot {
    std::optional<test::Child> child;
    int incarnations = 0;
  };
  Slot& slot(Role role, int index);
  const Slot& slot(Role role, int index) const;
  std::string tag(Role role, int index, int incarnation) const;

  const test::TempDir& dir_;
  test::Batch batch_;
  std::filesystem::path output_;
  std::string file_;
  Slot ventilator_, sink_;
  std::vector<Slot> workers_;
  std::map<Role, std::vector<std::string>> prefix_, flags_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// Two network namespaces joined by a veth link: a (10.77.0.1) and b (10.77.0.2), each with
// its loopback up; removed with everything in them at scope exit. Names are unique per
// process and instance, so scenarios run in parallel.
class NetworkPair {
public:
  NetworkPair();
  ~NetworkPair();
  NetworkPair(const NetworkPair&) = delete;
  NetworkPair& operator=(const NetworkPair&) = delete;

  static constexpr const char* a_address = "10.77.0.1";
  static constexpr const char* b_address = "10.77.0.2";
  const std::string& a() const { return a_; }
  const std::string& b() const { return b_; }
  // `ip netns exec NS`: the prefix that runs a program in namespace `ns`.
  static std::vector<std::string> exec_in(const std::string& ns);
  // Drops packets entering and leaving b at random (iptables' statistic match; this kernel
  // has no netem).
  void lose_in_b(double probability);
  // Takes b's end of the link down or up.
  void link_b(bool up);

private:
  std::string a_, b_;
};

// A TCP relay inside network namespace `ns` (empty: this process's): listens on
// `listen_host`, connects each client to target_host:target_port, and hands on every byte
// `delay` after it arrived, both ways. Stopped and joined at scope exit.
class DelayRelay {
public:
  DelayRelay(const std::string& ns, const std::string& listen_host, const std::string& target_host, int target_port,
             std::chrono::milliseconds delay);
  ~DelayRelay();
  DelayRelay(const DelayRelay&) = delete;
  DelayRelay& operator=(const DelayRelay&) = delete;
  int port() const;
  std::uint64_t connections() const;

private:
  struct State;
  std::unique_ptr<State> state_;
};

// A tmpfs of `size_kib` mounted on a new folder `at` (a disk that fills up); unmounted at
// scope exit.
class Tmpfs {
public:
  Tmpfs(std::filesystem::path at, std::size_t size_kib);
  ~Tmpfs();
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  void resize(std::size_t size_kib);
  const std::filesystem::path& path() const { return at_; }

private:
  std::filesystem::path at_;
};

// Runs a shell command of the test's own setup (ip, iptables); throws with its output when it
// fails.
void sh(const std::string& command);

}  // namespace zpipe::faults
