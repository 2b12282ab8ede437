// Issue 9, "honest liveness": peers take heartbeat and liveness from the ventilator's
// `welcome`, not from their own file; a role that cannot reach the ventilator says so
// (repeatedly, with backoff) and, with --connect-timeout, gives up with exit code 3; a peer
// that speaks before `hello` is told so. The real binary on real TCP ports.
#include <gtest/gtest.h>

#include <signal.h>

#include <thread>

#include "hostile_peer.hpp"
#include "reliability_support.hpp"
#include "zpipe/config/pipeline.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;  // reliability_support.hpp, hostile_peer.hpp and test_support.hpp

std::uint64_t fingerprint_of(const std::string& file) {
  return config::task_fingerprint(config::load_pipeline(file).task);
}

std::string ventilator_endpoint(const Batch& b) { return "tcp://127.0.0.1:" + std::to_string(b.vent_port); }

// --- heartbeat and liveness come from the welcome ----------------------------------------

TEST(Liveness, WorkerTakesHeartbeatFromTheWelcomeNotFromItsOwnFile) {
  TempDir dir;
  Batch b;
  b.count = 3;
  b.command = "sleep 1.5; echo $(( {} * {} ))";  // 1.5 s of work, longer than 200 ms x 3
  b.workers = "{ slots: 1 }";
  const std::string file = b.write(dir);
  Batch slow = b;  // the same pipeline, but this file says heartbeat 10 s
  slow.vent_keys = "heartbeat: 10s, liveness: 3";
  const std::string worker_file = slow.write(dir, "worker.yaml");
  ASSERT_EQ(fingerprint_of(file), fingerprint_of(worker_file)) << "the heartbeat must not change the fingerprint";

  Child sink = start_zpipe({"sink", "-c", file}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child worker = start_zpipe({"worker", "-c", worker_file, "--name", "slow"}, dir, "worker");
  EXPECT_EQ(vent.wait(10s), 0) << "3 x 1.5 s on one slot take 4.5 s\n--- ventilator ---\n" << read_file(dir / "vent.err")
                               << "--- worker ---\n" << read_file(dir / "worker.err");
  EXPECT_EQ(sink.wait(3s), 0) << read_file(dir / "sink.err");
  EXPECT_EQ(worker.wait(3s), 0) << read_file(dir / "worker.err");

  const auto records = read_whole_records(dir / "out.jsonl");
  expect_square_records(records, b.count);
  for (const auto& r : records) EXPECT_EQ(r["attempts"], 1) << "redelivered: " << r.dump();
  const std::string vent_log = read_file(dir / "vent.err");
  EXPECT_EQ(vent_log.find("presumed dead"), std::string::npos)
      << "a worker heartbeating as the welcome says is never presumed dead\n"
      << vent_log;
}

// --- a ventilator that cannot be reached -------------------------------------------------

// Lines of a role's stderr that warn about the `peer` ("ventilator", "sink") at `endpoint`:
// lines naming both, except info and debug lines (the start-up line names the endpoints too).
std::size_t warnings_about(const std::filesystem::path& err, const std::string& endpoint,
                           const std::string& peer = "ventilator") {
  std::size_t n = 0;
  for (const auto& line : lines_with(read_file(err), {endpoint, peer}))
    n += line.rfind("zpipe[I]", 0) != 0 && line.rfind("zpipe[D]", 0) != 0 && line.rfind("zpipe[T]", 0) != 0;
  return n;
}

// A role started by `args` cannot reach the ventilator at `endpoint`: it warns within 3 s,
// warns again within 7 s, but not a flood (at most 6 lines in 7 s), keeps waiting, and
// still ends on SIGTERM.
void expect_warns_while_unreachable(const TempDir& dir, const std::vector<std::string>& args,
                                    const std::string& endpoint, const std::string& peer = "ventilator") {
  const auto started = std::chrono::steady_clock::now();
  Child role = start_zpipe(args, dir, "role");
  const auto err = dir / "role.err";
  ASSERT_TRUE(wait_until([&] { return warnings_about(err, endpoint, peer) >= 1; }, 3s))
      << "no warning naming the " << peer << " " << endpoint << " within 3 s:\n"
      << read_file(err);
  const auto window_end = started + 7s;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(window_end - std::chrono::steady_clock::now());
  EXPECT_TRUE(wait_until([&] { return warnings_about(err, endpoint, peer) >= 2; }, left))
      << "the warning must be repeated while the " << peer << " stays unreachable:\n"
      << read_file(err);
  std::this_thread::sleep_until(window_end);  // the point: how many lines in 7 s
  EXPECT_LE(warnings_about(err, endpoint, peer), 6u) << "repeated with backoff, not a flood:\n" << read_file(err);
  EXPECT_EQ(role.wait(0ms), -1) << "without --connect-timeout it keeps waiting:\n" << read_file(err);
  const Ended ended = signal_and_wait(role, SIGTERM, 2s);
  EXPECT_EQ(ended.code, 143) << describe(ended) << "\n" << read_file(err);
}

TEST(Liveness, WorkerWarnsWhileNothingListensOnTheVentilatorPort) {
  TempDir dir;
  Batch b;  // nothing is started on its ports
  expect_warns_while_unreachable(dir, {"worker", "-c", b.write(dir)}, ventilator_endpoint(b));
}

TEST(Liveness, WorkerWarnsWhileTheVentilatorHostDoesNotResolve) {
  TempDir dir;
  Batch b;
  const std::string nowhere = "tcp://no-such-host.invalid:5557";
  expect_warns_while_unreachable(dir, {"worker", "-c", b.write(dir), "--ventilator", nowhere}, nowhere);
}

TEST(Liveness, SinkWarnsWhileNothingListensOnTheVentilatorPort) {
  TempDir dir;
  Batch b;
  expect_warns_while_unreachable(dir, {"sink", "-c", b.write(dir)}, ventilator_endpoint(b));
}

// --connect-timeout 1s: no ventilator within 1 s is a runtime error (exit 3) naming it.
void expect_connect_timeout(const std::string& role) {
  TempDir dir;
  Batch b;
  Child child = start_zpipe({role, "-c", b.write(dir), "--connect-timeout", "1s"}, dir, role);
  const auto err = dir / (role + ".err");
  EXPECT_EQ(child.wait(3s), 3) << role << " --connect-timeout 1s with nothing listening:\n" << read_file(err);
  EXPECT_GE(warnings_about(err, ventilator_endpoint(b)), 1u)
      << "the error must name the ventilator " << ventilator_endpoint(b) << ":\n"
      << read_file(err);
}

TEST(Liveness, WorkerConnectTimeoutExitsThreeNamingTheVentilator) { expect_connect_timeout("worker"); }
TEST(Liveness, SinkConnectTimeoutExitsThreeNamingTheVentilator) { expect_connect_timeout("sink"); }

// --- a sink that cannot be reached ---------------------------------------------------------

std::string sink_endpoint(const Batch& b) { return "tcp://127.0.0.1:" + std::to_string(b.sink_port); }

// A worker whose ventilator answers but whose sink is not there: its results would queue
// without a word, so it says so, naming the sink.
TEST(Liveness, WorkerWarnsWhileNothingListensOnTheSinkPort) {
  TempDir dir;
  Batch b;
  const std::string file = b.write(dir);
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  expect_warns_while_unreachable(dir, {"worker", "-c", file}, sink_endpoint(b), "sink");
  EXPECT_EQ(warnings_about(dir / "role.err", ventilator_endpoint(b)), 0u)
      << "the ventilator answered: no warning about it\n" << read_file(dir / "role.err");
}

TEST(Liveness, WorkerConnectTimeoutExitsThreeNamingTheSink) {
  TempDir dir;
  Batch b;
  const std::string file = b.write(dir);
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child worker = start_zpipe({"worker", "-c", file, "--connect-timeout", "1s"}, dir, "worker");
  EXPECT_EQ(worker.wait(3s), 3) << read_file(dir / "worker.err");
  EXPECT_GE(warnings_about(dir / "worker.err", sink_endpoint(b), "sink"), 1u) << read_file(dir / "worker.err");
}

// The ventilator dispatches nothing until a sink joins: it says so, and gives up when told.
TEST(Liveness, VentilatorWarnsWhileNoSinkJoinsAndGivesUpAfterItsConnectTimeout) {
  TempDir dir;
  Batch b;
  expect_warns_while_unreachable(dir, {"ventilator", "-c", b.write(dir)}, ventilator_endpoint(b), "no sink");
  Child vent = start_zpipe({"ventilator", "-c", b.write(dir), "--connect-timeout", "1s"}, dir, "vent");
  EXPECT_EQ(vent.wait(3s), 3) << read_file(dir / "vent.err");
  EXPECT_GE(warnings_about(dir / "vent.err", "connect timeout", "no sink"), 1u) << read_file(dir / "vent.err");
}

// --- orphans --------------------------------------------------------------------------------

// A worker frozen while the batch ended never heard `done`. Continued after the ventilator
// has gone, it finishes what it held, then, holding nothing and hearing nothing for its
// orphan period, says so and exits 0 (issue 10: it used to say hello forever, silently).
TEST(Liveness, WorkerFrozenWhileTheBatchEndedExitsAsAnOrphan) {
  TempDir dir;
  Batch b;
  b.count = 40;
  b.command = "sleep 0.05; echo $(( {} * {} ))";
  b.workers = "{ slots: 2, orphan_after: 1500ms }";
  const std::string file = b.write(dir);
  Child sink = start_zpipe({"sink", "-c", file}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child steady = start_zpipe({"worker", "-c", file, "--name", "steady"}, dir, "steady");
  Child frozen = start_zpipe({"worker", "-c", file, "--name", "frozen"}, dir, "frozen");
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.jsonl") >= 5; }, 20s)) << read_file(dir / "vent.err");
  {
    Frozen stop(frozen);
    ASSERT_TRUE(stop.stopped());
    EXPECT_EQ(vent.wait(20s), 0) << "the batch ends without the frozen worker\n" << read_file(dir / "vent.err");
    EXPECT_EQ(sink.wait(10s), 0) << read_file(dir / "sink.err");
  }  // SIGCONT: the ventilator is gone
  EXPECT_EQ(frozen.wait(10s), 0) << read_file(dir / "frozen.err");
  EXPECT_NE(read_file(dir / "frozen.err").find("the batch ended without this worker"), std::string::npos)
      << read_file(dir / "frozen.err");
  EXPECT_EQ(steady.wait(5s), 0) << read_file(dir / "steady.err");
  expect_square_records(read_whole_records(dir / "out.jsonl"), b.count);
}

// --- hello first ---------------------------------------------------------------------------

// A refuse whose reason starts with "hello first"; the reason, or what came instead.
::testing::AssertionResult refused_with(const std::optional<core::Message>& reply, const std::string& prefix) {
  if (!reply) return ::testing::AssertionFailure() << "no reply within 3 s";
  const auto* refuse = std::get_if<core::Refuse>(&*reply);
  if (!refuse) return ::testing::AssertionFailure() << "a reply of another type (variant index " << reply->index() << ")";
  if (refuse->reason.rfind(prefix, 0) != 0)
    return ::testing::AssertionFailure() << "refused, but with '" << refuse->reason << "'";
  return ::testing::AssertionSuccess() << refuse->reason;
}
::testing::AssertionResult told_hello_first(const std::optional<core::Message>& reply) {
  return refused_with(reply, "hello first");
}

TEST(Liveness, PeerThatSpeaksBeforeHelloIsRefusedThenWelcomedAfterHello) {
  TempDir dir;
  Batch b;
  const std::string file = b.write(dir);
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  ASSERT_TRUE(wait_until([&] { return port_bound(b.vent_port); }, 10s)) << read_file(dir / "vent.err");
  zmq::context_t context;
  auto dealer = [&] {
    zmq::socket_t s(context, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    s.connect(ventilator_endpoint(b));
    return s;
  };

  zmq::socket_t beating = dealer();
  send_frames(beating, frames_of(core::Heartbeat{}));
  EXPECT_TRUE(told_hello_first(next_message(beating, 3s))) << "a heartbeat before hello";
  send_frames(beating, frames_of(core::Hello{core::Role::worker, fingerprint_of(file), 0, "late"}));
  const std::optional<core::Message> welcome = next_message(beating, 3s);
  ASSERT_TRUE(welcome) << "no answer to a hello after the refusal\n" << read_file(dir / "vent.err");
  ASSERT_TRUE(std::holds_alternative<core::Welcome>(*welcome)) << "variant index " << welcome->index();
  EXPECT_EQ(std::get<core::Welcome>(*welcome).heartbeat_ms, 200u);
  EXPECT_EQ(std::get<core::Welcome>(*welcome).liveness, 3u);

  zmq::socket_t crediting = dealer();
  send_frames(crediting, frames_of(core::Credit{5}));
  EXPECT_TRUE(told_hello_first(next_message(crediting, 3s))) << "a credit before hello";

  // A peer of another protocol version is told so (in a refuse, whose layout every version
  // shares), instead of hearing nothing; its message is still dropped.
  zmq::socket_t newer = dealer();
  Frames hello_v2 = frames_of(core::Hello{core::Role::worker, fingerprint_of(file), 4, "from-the-future"});
  hello_v2[0][0] = 2;
  send_frames(newer, hello_v2);
  const std::optional<core::Message> told = next_message(newer, 3s);
  EXPECT_TRUE(refused_with(told, "unsupported protocol version: this ventilator speaks version 1"));
  EXPECT_EQ(vent.wait(0ms), -1) << read_file(dir / "vent.err");
  EXPECT_EQ(read_file(dir / "vent.err").find("from-the-future"), std::string::npos) << "its hello was dropped";
}

}  // namespace
}  // namespace zpipe
