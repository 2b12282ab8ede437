// `--http ADDR`: every role's /healthz and /readyz (docs/http.md), on the real binary over
// loopback HTTP: readiness as a role binds, joins its ventilator and drains; liveness as a
// loop gets stuck; the routes; a port in use.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <httplib.h>

#include "reliability_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;

struct Reply {
  int status = 0;  // 0: nothing answered
  std::string body;
};

Reply request(int port, const std::string& method, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1s);
  client.set_read_timeout(2s);
  httplib::Result result = method == "HEAD" ? client.Head(path.c_str())
                           : method == "POST" ? client.Post(path.c_str())
                                              : client.Get(path.c_str());
  if (!result) return {};
  return {result->status, result->body};
}

Reply get(int port, const std::string& path) { return request(port, "GET", path); }

// Waits until GET `path` answers `status`; the last reply either way.
Reply await(int port, const std::string& path, int status, std::chrono::milliseconds limit = 10s) {
  Reply last;
  wait_until([&] { return (last = get(port, path)).status == status; }, limit);
  return last;
}

// The port of "http: listening on 127.0.0.1:PORT" in dir/TAG.err; 0 if not logged in 10 s.
int logged_http_port(const TempDir& dir, const std::string& tag) {
  const std::string marker = "http: listening on 127.0.0.1:";
  int port = 0;
  wait_until(
      [&] {
        const std::string log = read_file(dir / (tag + ".err"));
        const std::size_t at = log.find(marker);
        if (at == std::string::npos) return false;
        port = std::atoi(log.c_str() + at + marker.size());
        return port > 0;
      },
      10s);
  return port;
}

Child start_role(const std::string& role, const std::string& file, const TempDir& dir) {
  return start_zpipe({role, "-c", file, "--http", "127.0.0.1:0"}, dir, role);
}

// A ventilator is serving once it has bound its endpoint; before, it is starting (here: its
// source, a FIFO, is not open yet, and binding comes after).
TEST(HttpProbes, VentilatorIsReadyOnceItHasBound) {
  TempDir dir;
  const auto fifo = dir / "inputs";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Batch b;
  b.source = "{ lines: \"" + fifo.string() + "\" }";
  Child vent = start_role("ventilator", b.write(dir), dir);
  const int port = logged_http_port(dir, "ventilator");
  ASSERT_GT(port, 0) << read_file(dir / "ventilator.err");

  const Reply starting = get(port, "/readyz");
  EXPECT_EQ(starting.status, 503);
  EXPECT_EQ(starting.body, "starting (zpipe)\n");
  EXPECT_EQ(get(port, "/healthz").status, 200);  // starting is not stuck
  EXPECT_FALSE(port_bound(b.vent_port));

  const int writer = ::open(fifo.c_str(), O_WRONLY);  // the ventilator opens its source, then binds
  ASSERT_GE(writer, 0);
  ASSERT_EQ(::write(writer, "1\n2\n", 4), 4);
  ::close(writer);
  const Reply ready = await(port, "/readyz", 200);
  EXPECT_EQ(ready.status, 200) << ready.body << read_file(dir / "ventilator.err");
  EXPECT_EQ(ready.body, "ready\n");
  EXPECT_TRUE(port_bound(b.vent_port));
  const Reply alive = get(port, "/healthz");
  EXPECT_EQ(alive.status, 200);
  EXPECT_EQ(alive.body, "ok\n");
}

TEST(HttpProbes, OnlyGetAndHeadOnTheProbePaths) {
  TempDir dir;
  Batch b;
  Child vent = start_role("ventilator", b.write(dir), dir);
  const int port = logged_http_port(dir, "ventilator");
  ASSERT_GT(port, 0) << read_file(dir / "ventilator.err");
  ASSERT_EQ(await(port, "/readyz", 200).status, 200);

  const Reply unknown = get(port, "/metric");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, "not found: /metric\n");
  EXPECT_EQ(get(port, "/").status, 404);
  EXPECT_EQ(get(port, "/healthz/").status, 404);
  EXPECT_EQ(request(port, "POST", "/healthz").status, 405);
  const Reply head = request(port, "HEAD", "/readyz");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
}

// A worker and a sink are ready once in session with the ventilator, not before.
TEST(HttpProbes, WorkerAndSinkAreReadyOnceTheyJoinTheVentilator) {
  TempDir dir;
  Batch b;
  b.count = 2;
  b.command = "sleep 30";
  b.workers = "{ count: 1, slots: 1, grace: 1s }";
  const std::string file = b.write(dir);
  Child worker = start_role("worker", file, dir);
  Child sink = start_role("sink", file, dir);
  const int worker_port = logged_http_port(dir, "worker");
  const int sink_port = logged_http_port(dir, "sink");
  ASSERT_GT(worker_port, 0) << read_file(dir / "worker.err");
  ASSERT_GT(sink_port, 0) << read_file(dir / "sink.err");

  for (const int port : {worker_port, sink_port}) {
    // "starting (zpipe)" comes first, until the role's object is built (slow on a busy host).
    Reply waiting;
    wait_until([&] { return (waiting = get(port, "/readyz")).body != "starting (zpipe)\n"; }, 10s);
    EXPECT_EQ(waiting.status, 503);
    EXPECT_NE(waiting.body.find("waiting for the ventilator"), std::string::npos) << waiting.body;
    EXPECT_EQ(get(port, "/healthz").status, 200);
  }

  Child vent = start_role("ventilator", file, dir);
  const Reply worker_ready = await(worker_port, "/readyz", 200);
  EXPECT_EQ(worker_ready.status, 200) << worker_ready.body << read_file(dir / "worker.err");
  const Reply sink_ready = await(sink_port, "/readyz", 200);
  EXPECT_EQ(sink_ready.status, 200) << sink_ready.body << read_file(dir / "sink.err");
  worker.signal(SIGTERM);
  worker.signal(SIGTERM);  // its task is killed at once, not left behind
  EXPECT_EQ(worker.wait(5s), 143);
}

// After SIGTERM a role drains: not ready (peers and Services should stop counting on it),
// still alive until it exits.
TEST(HttpProbes, ReadyzSaysDrainingAfterSigterm) {
  TempDir dir;
  Batch b;
  b.count = 2;
  b.command = logged(dir, "sleep 30");
  b.workers = "{ count: 1, slots: 1, grace: 30s }";
  const std::string file = b.write(dir);
  Child sink = start_role("sink", file, dir);
  Child vent = start_role("ventilator", file, dir);
  Child worker = start_role("worker", file, dir);
  const int vent_port = logged_http_port(dir, "ventilator");
  const int worker_port = logged_http_port(dir, "worker");
  ASSERT_GT(vent_port, 0);
  ASSERT_GT(worker_port, 0);
  ASSERT_TRUE(wait_until([&] { return !executions(dir).empty(); }, 10s)) << read_file(dir / "worker.err");
  EXPECT_EQ(get(worker_port, "/readyz").status, 200);
  EXPECT_EQ(get(vent_port, "/readyz").status, 200);

  // The worker finishes its running task within its grace (30 s): it drains meanwhile.
  worker.signal(SIGTERM);
  const Reply worker_draining = await(worker_port, "/readyz", 503);
  EXPECT_EQ(worker_draining.body, "draining (worker)\n");
  EXPECT_EQ(get(worker_port, "/healthz").status, 200);
  // The ventilator waits for the task the worker holds.
  vent.signal(SIGTERM);
  const Reply vent_draining = await(vent_port, "/readyz", 503);
  EXPECT_EQ(vent_draining.body, "draining (ventilator)\n");
  EXPECT_EQ(get(vent_port, "/healthz").status, 200);

  worker.signal(SIGTERM);  // the second: its task is killed, it leaves now
  EXPECT_EQ(worker.wait(5s), 143);
}

// A loop that stops turning: zpipe run writes its records to standard output, a pipe here
// that nobody reads, so the sink's loop blocks in a write once the pipe is full, while the
// HTTP thread still answers. Read, and the loop turns again and the batch completes.
TEST(HttpProbes, HealthzSaysStuckWhileALoopIsBlocked) {
  TempDir dir;
  const auto fifo = dir / "records";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // opened first: the child's open succeeds
  ASSERT_GE(reader, 0);
  const int count = 5000;  // ~90 bytes a record: several times what the pipe holds
  write_file(dir / "p.yaml", "version: 1\nname: stuck\nsource: { range: { start: 1, count: " + std::to_string(count) +
                                 " } }\ntask: { builtin: echo }\nventilator: { heartbeat: 200ms, liveness: 3 }\n"
                                 "workers: { count: 1, slots: 1 }\n");
  const int port = free_port();
  Child run = Child({zpipe_binary(), "run", (dir / "p.yaml").string(), "--http", "127.0.0.1:" + std::to_string(port)},
                    fifo, dir / "run.err");

  const Reply stuck = await(port, "/healthz", 503, 20s);
  EXPECT_EQ(stuck.status, 503) << read_file(dir / "run.err");
  EXPECT_NE(stuck.body.find("stuck: the sink loop has not turned for"), std::string::npos) << stuck.body;

  ASSERT_EQ(::fcntl(reader, F_SETFL, 0), 0);  // blocking reads from now on, until the run ends
  std::string records;
  char buffer[65536];
  for (ssize_t n; (n = ::read(reader, buffer, sizeof buffer)) != 0;)
    if (n > 0) records.append(buffer, static_cast<std::size_t>(n));
  ::close(reader);
  EXPECT_EQ(run.wait(30s), 0) << read_file(dir / "run.err");
  EXPECT_EQ(std::count(records.begin(), records.end(), '\n'), count);
}

TEST(HttpProbes, APortInUseExitsTwoNamingTheFlag) {
  TempDir dir;
  Batch b;
  const int busy = free_port();
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(busy));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(holder, 1), 0);

  const std::string file = b.write(dir);
  for (const std::string role : {"ventilator", "worker", "sink"}) {
    const Outcome o = run_zpipe({role, "-c", file, "--http", "127.0.0.1:" + std::to_string(busy)}, dir, {}, 20s);
    EXPECT_EQ(o.code, 2) << role << ": " << o.err;
    EXPECT_NE(o.err.find("--http 127.0.0.1:" + std::to_string(busy) + ": Address already in use"), std::string::npos)
        << role << ": " << o.err;
  }
  ::close(holder);
  const Outcome bad = run_zpipe({"ventilator", "-c", file, "--http", "8080"}, dir, {}, 20s);
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--http 8080: no port"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace zpipe
