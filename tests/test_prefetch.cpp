// Prefetch: a worker may hold tasks beyond its slots, so that a slot starts its next task
// without a round trip to the ventilator; the ventilator fills that prefetch only while
// more tasks wait than workers hold, and `auto` asks for it only once tasks are short.
#include <gtest/gtest.h>

#include "pipeline_harness.hpp"
#include "scripted_ventilator.hpp"
#include "zpipe/core/protocol.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::read_file;
using test::ScriptedVentilator;
using test::TempDir;

config::Pipeline sleeps(std::vector<std::string> ms, std::optional<std::uint32_t> prefetch) {
  config::Pipeline p = test::sleep_pipeline(std::move(ms));
  p.workers.prefetch = prefetch;
  return p;
}

// The last tasks of a batch are not prefetched: with 2 tasks left and 1 running, the
// second waits at the ventilator, not behind the long one, and a worker that joins takes it.
TEST(Prefetch, IsNotFilledAtTheBatchEnd) {
  TempDir dir;
  const auto out = dir / "out.jsonl";
  test::Harness h(sleeps({"1500", "10"}, 1), out);
  h.add_worker("first");
  // "first" (credit 2) holds task 1; task 2 would have gone out in the same dispatch.
  ASSERT_TRUE(test::wait_until([&] { return h.vent_in_flight() >= 1; }, 5s));
  EXPECT_EQ(h.vent_in_flight(), 1u) << "task 2 was sent behind task 1";
  h.add_worker("second");
  h.finish();
  const auto records = test::read_jsonl(out);
  test::expect_exactly_once(records, 2);
  for (const auto& r : records) {
    if (r["id"] == 2) { EXPECT_EQ(r["worker"], "second") << "task 2 was prefetched behind the long task 1"; }
  }
}

// While the queue is deep a worker holds its next task: "first" takes a prefetched task
// besides the long one, and a worker joining later does not get it.
TEST(Prefetch, IsFilledWhileTheQueueIsDeep) {
  TempDir dir;
  const auto out = dir / "out.jsonl";
  test::Harness h(sleeps({"1000", "10", "10", "10", "10", "10"}, 1), out);
  h.add_worker("first");
  ASSERT_TRUE(test::wait_until([&] { return h.vent_in_flight() >= 2; }, 5s))
      << "with 5 tasks waiting, the first worker holds a second one";
  h.add_worker("second");
  h.finish();
  const auto records = test::read_jsonl(out);
  test::expect_exactly_once(records, 6);
  for (const auto& r : records) {
    if (r["id"] == 2) { EXPECT_EQ(r["worker"], "first") << "with 5 tasks waiting, task 2 is held by the first worker"; }
  }
}

// `auto`: no prefetch before the worker has seen a task end, one task once its tasks take
// under 100 ms, none again once they take longer; every credit message says so.
TEST(Prefetch, AutoAsksForOneOnceTasksAreShortAndNoneWhenTheyAreLong) {
  TempDir dir;
  ScriptedVentilator vent;
  const std::string file = vent.write_pipeline(dir, "{ builtin: sleep }", ", heartbeat: 1s");
  Child worker = test::start_zpipe({"worker", "-c", file, "--name", "w"}, dir, "worker");
  const auto hello = vent.next_of<core::Hello>(10s);
  ASSERT_TRUE(hello) << read_file(dir / "worker.err");
  EXPECT_EQ(hello->credit, 1u) << "no prefetch before a task ended";
  EXPECT_EQ(hello->prefetch, std::optional<std::uint32_t>(0)) << "zpipe's worker always says it";
  vent.send(core::Welcome{1000, 5});

  // Short tasks, one at a time as credit comes back.
  auto credit_after = [&](core::TaskId id, const std::string& ms) {
    core::Tasks t;
    t.items.push_back({id, 1, ms});
    vent.send(t);
    EXPECT_TRUE(vent.result(5s)) << "no result for task " << id << "\n" << read_file(dir / "worker.err");
    return vent.next_of<core::Credit>(5s);
  };
  const auto short_credit = credit_after(1, "5");
  ASSERT_TRUE(short_credit) << read_file(dir / "worker.err");
  EXPECT_EQ(short_credit->credit, 2u) << "its slot back, and one task of prefetch";
  EXPECT_EQ(short_credit->prefetch, std::optional<std::uint32_t>(1));

  // A long task: the average goes above 100 ms and the prefetch is withheld: the slot's
  // credit pays for it, so no credit message at all.
  core::Tasks long_task;
  long_task.items.push_back({2, 1, "900"});
  vent.send(long_task);
  ASSERT_TRUE(vent.result(5s)) << read_file(dir / "worker.err");
  EXPECT_FALSE(vent.next_of<core::Credit>(300ms)) << "a credit after the long task";
  const auto after_long = credit_after(3, "5");  // the average is still above 100 ms
  ASSERT_TRUE(after_long) << read_file(dir / "worker.err");
  EXPECT_EQ(after_long->credit, 1u) << "its slot only";
  EXPECT_EQ(after_long->prefetch, std::optional<std::uint32_t>(0));
}

TEST(Prefetch, IsAnOptionalLastFieldOfHelloAndCredit) {
  const core::Encoded hello = core::encode(core::Hello{core::Role::worker, 7, 3, "w", 2});
  const auto decoded = core::decode(std::string(reinterpret_cast<const char*>(hello.header), 2), hello.body);
  ASSERT_TRUE(decoded.message);
  EXPECT_EQ(std::get<core::Hello>(*decoded.message).prefetch, std::optional<std::uint32_t>(2));
  // A worker that ends its hello at the name (the Python worker) has no prefetch.
  const std::string older = hello.body.substr(0, hello.body.size() - 4);
  const auto old_decoded = core::decode(std::string(reinterpret_cast<const char*>(hello.header), 2), older);
  ASSERT_TRUE(old_decoded.message);
  EXPECT_FALSE(std::get<core::Hello>(*old_decoded.message).prefetch.has_value());
  EXPECT_EQ(core::encode(std::get<core::Hello>(*old_decoded.message)).body, older) << "re-encodes to its own bytes";
  EXPECT_FALSE(core::decode(std::string(reinterpret_cast<const char*>(hello.header), 2), older + "xy").message)
      << "a field cut short is malformed";

  const core::Encoded credit = core::encode(core::Credit{5, 1});
  const std::string header(reinterpret_cast<const char*>(credit.header), 2);
  EXPECT_EQ(std::get<core::Credit>(*core::decode(header, credit.body).message).prefetch, std::optional<std::uint32_t>(1));
  const auto old_credit = std::get<core::Credit>(*core::decode(header, credit.body.substr(0, 4)).message);
  EXPECT_FALSE(old_credit.prefetch.has_value());
  EXPECT_EQ(core::encode(old_credit).body, credit.body.substr(0, 4)) << "re-encodes to its own bytes";
  EXPECT_FALSE(core::decode(header, credit.body + "x").message) << "trailing bytes";
}

}  // namespace
}  // namespace zpipe
