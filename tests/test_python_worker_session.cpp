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
#include "scripted_ventilator.hpp"
#include "zpipe/core/messaging.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::read_file;
using test::TempDir;

using test::ScriptedVentilator;

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
