// A forged result for an id beyond the batch, sent before the ventilator announced the
// total: it must not end the batch early, and every real record must still be written.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <set>
#include <thread>

#include "hostile_peer.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;

// A result for an id beyond the (not yet known) total, within the window, is written: the
// sink cannot tell it from a real one yet. It must not count towards the batch's end.
TEST(Hostile, ResultBeyondTheTotalBeforeItIsKnownDoesNotEndTheBatchEarly) {
  TempDir dir;
  const auto out = dir / "out.jsonl";
  constexpr std::uint64_t kTasks = 20;
  config::Pipeline p;
  p.name = "early";
  // Sleep builtin, input in ms: the last task is still running when the total is known.
  std::vector<std::string> inputs(kTasks, "20");
  inputs.back() = "800";
  p.source = config::ItemsSource{inputs};
  p.task.kind = config::TaskKind::builtin;
  p.task.builtin = config::Builtin::sleep;
  p.ventilator.heartbeat = 100ms;
  p.ventilator.liveness = 3;
  p.workers.slots = 2;
  test::Harness batch(p, out);
  zmq::context_t context;
  zmq::socket_t to_sink(context, zmq::socket_type::push);
  to_sink.set(zmq::sockopt::linger, 0);
  to_sink.connect(batch.sink_endpoint());
  batch.add_worker("w");
  ASSERT_TRUE(wait_until([&] { return test::count_lines(out) >= 2; }, 10s));
  send_frames(to_sink, results_message({result_for(kTasks + 3, "bogus", "bogus")}));
  ASSERT_TRUE(batch.ventilator_ended(10s)) << "the sink ended before the last record; output:\n"
                                           << test::read_file(out);
  batch.finish();
  EXPECT_TRUE(batch.ventilator_report().completed);
  EXPECT_TRUE(batch.summary().completed);
  std::set<std::uint64_t> ids;
  for (const auto& r : test::read_jsonl(out)) {
    const auto id = r["id"].get<std::uint64_t>();
    EXPECT_TRUE(ids.insert(id).second) << r.dump();
    if (id <= kTasks) {
      EXPECT_EQ(r["worker"], "w") << r.dump();
      EXPECT_EQ(r["input"], inputs[id - 1]) << r.dump();
    }
  }
  for (std::uint64_t id = 1; id <= kTasks; ++id) EXPECT_TRUE(ids.contains(id)) << id;
  // The rogue's record for id 23 is in the file: while the total is unknown the sink cannot
  // tell a forged result from a real one (a limitation: the result channel must be trusted).
  std::cout << "[ result beyond the unknown total ] " << ids.size() - kTasks << " forged record(s) written\n";
}

}  // namespace
}  // namespace zpipe
