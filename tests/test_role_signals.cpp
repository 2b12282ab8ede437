// Issue 9, "one role loop, never wedged": every role answers SIGTERM and SIGINT in every
// state, alone, with its peers killed, with its peers frozen, and ends within 2 s with
// 128 + the signal (143, 130). A second signal stops a worker at once, its tasks killed.
// The real binary, real signals, real TCP ports.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>
#include <thread>

#include "reliability_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;  // reliability_support.hpp and test_support.hpp

// From the signal to the exit. The slowest honest path it must cover: a peer frozen
// mid-batch is presumed dead after 600 ms (heartbeat 200 ms x liveness 3), and a running
// task is killed after the worker's grace (1 s).
constexpr auto kPrompt = 2s;

enum class Role { ventilator, sink, worker };
enum class Fate { killed, frozen };

const char* name(Role role) {
  switch (role) {
    case Role::ventilator: return "ventilator";
    case Role::sink: return "sink";
    case Role::worker: return "worker";
  }
  return "?";
}

std::string logs(const TempDir& dir) {
  std::string all;
  for (Role r : {Role::ventilator, Role::sink, Role::worker})
    all += std::string("--- ") + name(r) + " ---\n" + read_file(dir / (std::string(name(r)) + ".err"));
  return all;
}

// The role's loop is running: the ventilator and the sink listen on their ports; a worker,
// which binds nothing, has logged its start (or 3 s passed: a signal that lands before
// the loop must work as well, it is only the less interesting case).
void wait_until_up(Role role, const Batch& b, const TempDir& dir) {
  switch (role) {
    case Role::ventilator:
      ASSERT_TRUE(wait_until([&] { return port_bound(b.vent_port); }, 10s)) << logs(dir);
      break;
    case Role::sink:
      ASSERT_TRUE(wait_until([&] { return port_bound(b.sink_port); }, 10s)) << logs(dir);
      break;
    case Role::worker:
      wait_until([&] { return !read_file(dir / "worker.err").empty(); }, 3s);
      break;
  }
}

// (a) The role alone, no peer ever started.
void expect_alone_ends(Role role, int sig) {
  TempDir dir;
  Batch b;
  b.count = 5;
  b.workers = "{ slots: 1, grace: 1s }";
  const std::string file = b.write(dir);
  Child child = start_zpipe({name(role), "-c", file}, dir, name(role));
  ASSERT_NO_FATAL_FAILURE(wait_until_up(role, b, dir));
  const Ended ended = signal_and_wait(child, sig, kPrompt);
  EXPECT_EQ(ended.code, 128 + sig) << name(role) << " alone, " << strsignal(sig) << ": " << describe(ended) << "\n"
                                   << logs(dir);
}

TEST(RoleSignals, VentilatorAloneEndsOnSigterm) { expect_alone_ends(Role::ventilator, SIGTERM); }
TEST(RoleSignals, SinkAloneEndsOnSigterm) { expect_alone_ends(Role::sink, SIGTERM); }
TEST(RoleSignals, WorkerAloneEndsOnSigterm) { expect_alone_ends(Role::worker, SIGTERM); }
TEST(RoleSignals, VentilatorAloneEndsOnSigint) { expect_alone_ends(Role::ventilator, SIGINT); }
TEST(RoleSignals, SinkAloneEndsOnSigint) { expect_alone_ends(Role::sink, SIGINT); }
TEST(RoleSignals, WorkerAloneEndsOnSigint) { expect_alone_ends(Role::worker, SIGINT); }

// The wedge as reported: a sink alone says hello again after each silence period; with
// heartbeat 1 ms x liveness 1 its queue to the absent ventilator is full within a second
// (500 hellos), and a blocking send there made it deaf to every signal but SIGKILL.
TEST(RoleSignals, SinkAloneWithAOneMillisecondHeartbeatEndsOnSigterm) {
  TempDir dir;
  Batch b;
  b.vent_keys = "heartbeat: 1ms, liveness: 1";
  const std::string file = b.write(dir);
  Child sink = start_zpipe({"sink", "-c", file}, dir, "sink");
  ASSERT_TRUE(wait_until([&] { return port_bound(b.sink_port); }, 10s)) << logs(dir);
  std::this_thread::sleep_for(1500ms);  // the point is time passing: 3 x what filling the queue takes
  const Ended ended = signal_and_wait(sink, SIGTERM, kPrompt);
  EXPECT_EQ(ended.code, 143) << "sink alone for 1.5 s with a 1 ms heartbeat, SIGTERM: " << describe(ended) << "\n"
                             << logs(dir);
}

// (b), (c) The three roles run a batch of sleep tasks; mid-batch every peer of `role` is
// killed -9 or frozen (SIGSTOP), then `role` gets SIGTERM.
void expect_ends_after_peers(Role role, Fate fate) {
  TempDir dir;
  Batch b;
  b.count = 40;  // 2 slots x 0.3 s: the batch takes 6 s, the peers stop after 3 records
  b.command = "sleep 0.3; echo $(( {} * {} ))";
  b.workers = "{ slots: 2, grace: 1s }";
  const std::string file = b.write(dir);
  std::map<Role, Child> roles;
  for (Role r : {Role::sink, Role::ventilator, Role::worker})
    roles.emplace(r, start_zpipe({name(r), "-c", file}, dir, name(r)));
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.jsonl") >= 3; }, 20s)) << logs(dir);

  std::vector<std::unique_ptr<Frozen>> frozen;  // after `roles`: resumed before they are killed
  for (auto& [r, child] : roles) {
    if (r == role) continue;
    if (fate == Fate::killed) {
      child.signal(SIGKILL);
      ASSERT_EQ(child.wait(5s), 128 + SIGKILL) << name(r);
    } else {
      frozen.push_back(std::make_unique<Frozen>(child));
      ASSERT_TRUE(frozen.back()->stopped()) << name(r) << " did not stop";
    }
  }
  const std::size_t written = count_lines(dir / "out.jsonl");
  ASSERT_LT(written, static_cast<std::size_t>(b.count)) << "the peers must stop mid-batch";

  const Ended ended = signal_and_wait(roles.at(role), SIGTERM, kPrompt);
  EXPECT_EQ(ended.code, 143) << name(role) << " with its peers " << (fate == Fate::killed ? "killed" : "frozen")
                             << " after " << written << " of " << b.count << " records, SIGTERM: "
                             << describe(ended) << "\n"
                             << logs(dir);
}

TEST(RoleSignals, VentilatorEndsOnSigtermWhenItsPeersWereKilled) {
  expect_ends_after_peers(Role::ventilator, Fate::killed);
}
TEST(RoleSignals, SinkEndsOnSigtermWhenItsPeersWereKilled) { expect_ends_after_peers(Role::sink, Fate::killed); }
TEST(RoleSignals, WorkerEndsOnSigtermWhenItsPeersWereKilled) { expect_ends_after_peers(Role::worker, Fate::killed); }
TEST(RoleSignals, VentilatorEndsOnSigtermWhenItsPeersAreFrozen) {
  expect_ends_after_peers(Role::ventilator, Fate::frozen);
}
TEST(RoleSignals, SinkEndsOnSigtermWhenItsPeersAreFrozen) { expect_ends_after_peers(Role::sink, Fate::frozen); }
TEST(RoleSignals, WorkerEndsOnSigtermWhenItsPeersAreFrozen) { expect_ends_after_peers(Role::worker, Fate::frozen); }

// Kills a process group at scope exit: a task the test leaves behind never outlives it.
class GroupReaper {
public:
  explicit GroupReaper(pid_t pgid) : pgid_(pgid) {}
  ~GroupReaper() {
    if (pgid_ > 0 && process_group_alive(pgid_)) ::kill(-pgid_, SIGKILL);
  }
  GroupReaper(const GroupReaper&) = delete;
  GroupReaper& operator=(const GroupReaper&) = delete;

private:
  pid_t pgid_;
};

TEST(RoleSignals, SecondSigtermStopsAWorkerAtOnceAndKillsItsTask) {
  TempDir dir;
  Batch b;
  b.count = 1;
  // The task's shell leads its process group ($$ is its id) and waits for a child.
  const auto pidfile = dir / "task.pid";
  b.command = "sleep 30 & echo $$ > " + pidfile.string() + "; wait # task {}";
  b.workers = "{ slots: 1, grace: 30s }";
  const std::string file = b.write(dir);
  Child sink = start_zpipe({"sink", "-c", file}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "ventilator");
  Child worker = start_zpipe({"worker", "-c", file}, dir, "worker");
  ASSERT_TRUE(wait_until([&] { return read_file(pidfile).find('\n') != std::string::npos; }, 20s)) << logs(dir);
  const pid_t task = std::stoi(read_file(pidfile));
  GroupReaper reaper(task);
  ASSERT_TRUE(process_group_alive(task));

  worker.signal(SIGTERM);
  // The point is that nothing happens: grace is 30 s, the running task is let finish.
  EXPECT_EQ(worker.wait(1s), -1) << "the first SIGTERM must wait for the running task\n" << logs(dir);
  EXPECT_TRUE(process_group_alive(task)) << "the first SIGTERM must not kill the running task";

  const Ended ended = signal_and_wait(worker, SIGTERM, kPrompt);
  EXPECT_EQ(ended.code, 143) << "second SIGTERM: " << describe(ended) << "\n" << logs(dir);
  EXPECT_TRUE(wait_until([&] { return !process_group_alive(task); }, 1s))
      << "the task's process group " << task << " outlived the worker's second SIGTERM";
}

// `zpipe run` reading a pipe whose writer sends nothing more (a terminal, `tail -f`, a
// FIFO): the ventilator must not wait in read() for the next line, or no signal is
// answered. What arrived is run; SIGTERM ends it at once.
TEST(RoleSignals, RunEndsOnSigtermWhileItsInputPipeStaysOpenAndSilent) {
  TempDir dir;
  const auto fifo = dir / "in.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  const int writer = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);  // a writer that never closes
  ASSERT_GE(writer, 0) << std::strerror(errno);
  const std::string lines = "1\n2\npartial-line-without-newline";
  ASSERT_EQ(::write(writer, lines.data(), lines.size()), static_cast<ssize_t>(lines.size()));
  Child run({ZPIPE_BINARY, "run", "-k", "--", "echo", "line"}, dir / "run.out", dir / "run.err", fifo);
  EXPECT_TRUE(wait_until([&] { return read_file(dir / "run.out") == "line 1\nline 2\n"; }, 10s))
      << read_file(dir / "run.out") << read_file(dir / "run.err");
  const Ended ended = signal_and_wait(run, SIGTERM, kPrompt);
  ::close(writer);
  EXPECT_EQ(ended.code, 143) << describe(ended) << "\n" << read_file(dir / "run.err");
}

}  // namespace
}  // namespace zpipe
