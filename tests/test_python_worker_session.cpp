// The session rules of docs/protocol.md that zpipe's own ventilator does not exercise yet,
// checked on the Python worker against a scripted ventilator (a ROUTER socket in the test)
// and a scripted sink (a PULL socket): `welcome` sets the heartbeat and the silence limit,
// a `hello first` refusal makes it say hello again while any other refusal ends it, and
// tasks that arrive after its `bye{final=0}` are handed back at once.
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>

#include <zmq.hpp>

#include "python_worker_support.hpp"
#include "zpipe/core/messaging.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::read_file;
using test::TempDir;

class ScriptedVentilator {
public:
  ScriptedVentilator() : router_(context_, zmq::socket_type::router), pull_(context_, zmq::socket_type::pull) {
    core::configure_socket(router_);
    core::configure_socket(pull_);
    router_.bind("tcp://127.0.0.1:*");
    pull_.bind("tcp://127.0.0.1:*");
  }

  // A pipeline file whose endpoints are these sockets.
  std::string write_pipeline(const TempDir& dir, const std::string& task, const std::string& ventilator_keys,
                             const std::string& workers = "{ slots: 1 }") {
    const auto file = dir / "p.yaml";
    test::write_file(file, "version: 1\nname: session\nsource: { range: { count: 10 } }\ntask: " + task +
                               "\nventilator: { endpoint: \"" + router_.get(zmq::sockopt::last_endpoint) + "\"" +
                               ventilator_keys + " }\nsink: { endpoint: \"" +
                               pull_.get(zmq::sockopt::last_endpoint) + "\" }\nworkers: " + workers + "\n");
    return file.string();
  }

  // The next message from the worker within `limit`, heartbeats included.
  std::optional<core::Received> next(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      core::Receive in = core::try_receive(router_, true, faults_);
      if (in.outcome == core::Receive::Outcome::message) {
        peer_ = in.received.routing_id;
        return std::move(in.received);
      }
      zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, 20ms);
    }
    return std::nullopt;
  }

  // The next message of type T within `limit`, skipping heartbeats (and credit, unless T is).
  template <typename T>
  std::optional<T> next_of(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return std::nullopt;
      auto in = next(left);
      if (!in) return std::nullopt;
      if (auto* m = std::get_if<T>(&in->message)) return *m;
      if (!std::holds_alternative<core::Heartbeat>(in->message) && !std::holds_alternative<core::Credit>(in->message))
        ADD_FAILURE() << "unexpected message type " << static_cast<int>(core::type_byte(in->message));
      if (std::holds_alternative<core::Credit>(in->message)) ++credits_seen;
    }
  }

  void send(const core::Message& m) { ASSERT_TRUE(core::try_send(router_, m, peer_)); }
  void send(const core::Tasks& m) { ASSERT_TRUE(core::try_send(router_, m, peer_)); }

  std::optional<core::Results> result(std::chrono::milliseconds limit) {
    zmq::pollitem_t items[] = {{pull_.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, limit);
    core::Receive in = core::try_receive(pull_, false, faults_);
    if (in.outcome != core::Receive::Outcome::message) return std::nullopt;
    if (auto* r = std::get_if<core::Results>(&in.received.message)) return *r;
    return std::nullopt;
  }

  int credits_seen = 0;

private:
  zmq::context_t context_;
  zmq::socket_t router_;
  zmq::socket_t pull_;
  core::FaultCounter faults_{"scripted ventilator"};
  std::string peer_;
};

TEST(PythonWorkerSession, HelloFirstRefusalMeansHelloAgainAnyOtherMeansExit2) {
  TempDir dir;
  ScriptedVentilator vent;
  // Silence limit 1s x 10: a hello by silence alone would take 10 s.
  const std::string file = vent.write_pipeline(dir, "{ shell: \"echo {}\" }", ", heartbeat: 1s, liveness: 10");
  Child py = test::start_python_worker({"-c", file, "--name", "py"}, dir, "py");
  const auto hello = vent.next_of<core::Hello>(10s);
  ASSERT_TRUE(hello) << read_file(dir / "py.err");
  EXPECT_EQ(hello->name, "py");
  EXPECT_EQ(hello->credit, 1u);
  vent.send(core::Refuse{"hello first: this ventilator restarted"});
  ASSERT_TRUE(vent.next_of<core::Hello>(5s)) << "a 'hello first' refusal is answered with hello\n"
                                               << read_file(dir / "py.err");
  EXPECT_EQ(py.wait(0ms), -1) << "still running";
  vent.send(core::Refuse{"pipeline mismatch: a test"});
  EXPECT_EQ(py.wait(10s), 2) << read_file(dir / "py.err");
}

TEST(PythonWorkerSession, WelcomeSetsTheHeartbeatAndTheSilenceLimit) {
  TempDir dir;
  ScriptedVentilator vent;
  // The file's pace: a heartbeat every 5 s, a hello after 25 s of silence.
  const std::string file = vent.write_pipeline(dir, "{ shell: \"echo {}\" }", ", heartbeat: 5s, liveness: 5");
  Child py = test::start_python_worker({"-c", file, "--name", "py"}, dir, "py");
  ASSERT_TRUE(vent.next_of<core::Hello>(10s)) << read_file(dir / "py.err");
  vent.send(core::Welcome{50, 20});
  int heartbeats = 0;
  while (heartbeats < 3) {
    auto in = vent.next(4s);
    ASSERT_TRUE(in) << "heartbeats come at welcome's pace, not the file's\n" << read_file(dir / "py.err");
    ASSERT_TRUE(std::holds_alternative<core::Heartbeat>(in->message));
    ++heartbeats;
  }
  // Silent from here: 20 x 50 ms later it says hello again (the file would wait 25 s).
  ASSERT_TRUE(vent.next_of<core::Hello>(4s)) << read_file(dir / "py.err");
  vent.send(core::Done{});
  EXPECT_EQ(py.wait(10s), 0) << "done and holding nothing: exit 0\n" << read_file(dir / "py.err");
}

TEST(PythonWorkerSession, TasksArrivingWhileLeavingAreHandedBackAtOnce) {
  TempDir dir;
  ScriptedVentilator vent;
  const std::string marker = (dir / "started-").string();
  const std::string file =
      vent.write_pipeline(dir, "{ shell: \"touch " + marker + "{}; sleep 0.5; echo {}\" }", "", "{ slots: 1, grace: 30s }");
  Child py = test::start_python_worker({"-c", file, "--name", "py"}, dir, "py");
  ASSERT_TRUE(vent.next_of<core::Hello>(10s)) << read_file(dir / "py.err");
  vent.send(core::Welcome{1000, 5});
  vent.send(core::Tasks{{{1, 1, "a"}, {2, 1, "b"}}});
  ASSERT_TRUE(test::wait_until([&] { return std::filesystem::exists(marker + "a"); }, 10s));
  py.signal(SIGTERM);
  const auto first = vent.next_of<core::Bye>(5s);
  ASSERT_TRUE(first) << read_file(dir / "py.err");
  EXPECT_FALSE(first->final);
  EXPECT_EQ(first->returned, std::vector<core::TaskId>{2}) << "the queued task, not the running one";
  vent.send(core::Tasks{{{3, 1, "c"}}});
  const auto second = vent.next_of<core::Bye>(5s);
  ASSERT_TRUE(second) << read_file(dir / "py.err");
  EXPECT_FALSE(second->final);
  EXPECT_EQ(second->returned, std::vector<core::TaskId>{3});
  const auto results = vent.result(10s);
  ASSERT_TRUE(results) << read_file(dir / "py.err");
  ASSERT_EQ(results->items.size(), 1u);
  EXPECT_EQ(results->items[0].id, 1u);
  EXPECT_EQ(results->items[0].output, "a\n");
  const auto last = vent.next_of<core::Bye>(5s);
  ASSERT_TRUE(last) << read_file(dir / "py.err");
  EXPECT_TRUE(last->final);
  EXPECT_EQ(vent.credits_seen, 0) << "a leaving worker asks for nothing more";
  EXPECT_EQ(py.wait(10s), 128 + SIGTERM) << read_file(dir / "py.err");
  EXPECT_FALSE(std::filesystem::exists(marker + "b"));
  EXPECT_FALSE(std::filesystem::exists(marker + "c"));
}

TEST(PythonWorkerSession, ArgumentListTasksComeBackAsArgResults) {
  TempDir dir;
  ScriptedVentilator vent;
  const std::string file = vent.write_pipeline(dir, "{ shell: \"printf '%s|' {2} {1} {-1} {%} {#}; echo {}\" }", "",
                                               "{ slots: 2 }");
  Child py = test::start_python_worker({"-c", file, "--name", "py"}, dir, "py");
  ASSERT_TRUE(vent.next_of<core::Hello>(10s)) << read_file(dir / "py.err");
  vent.send(core::Welcome{1000, 5});
  vent.send(core::Tasks{{{7, 1, "", {"a b", "it's", ""}}}});
  const auto results = vent.result(10s);
  ASSERT_TRUE(results) << read_file(dir / "py.err");
  ASSERT_EQ(results->items.size(), 1u);
  const core::TaskResult& r = results->items[0];
  EXPECT_EQ(r.id, 7u);
  EXPECT_EQ(r.args, (std::vector<std::string>{"a b", "it's", ""})) << "the arguments come back exactly";
  EXPECT_EQ(r.input, "a b it's ");
  EXPECT_EQ(r.output, "it's|a b||1|7|a b it's \n");
  vent.send(core::Done{});
  EXPECT_EQ(py.wait(10s), 0) << read_file(dir / "py.err");
}

}  // namespace
}  // namespace zpipe
