// Hostile peers: a rogue client on the real sockets of a running batch (garbage, bad
// versions, wrong frame counts, impossible ids, forged duplicates). Nothing may crash, and
// the batch must still write every record exactly once, correctly. Forged results around
// the batch's total are in test_hostile_results.cpp; hostile task output and inputs in
// test_hostile_inputs.cpp.
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

// --- 9. a rogue peer during a real batch ---------------------------------------------------

TEST(Hostile, RoguePeerCannotBreakARunningBatch) {
  CapturedLog log;
  TempDir dir;
  const auto out = dir / "out.jsonl";
  constexpr std::uint64_t kTasks = 3000;
  config::Pipeline p;
  p.name = "hostile";
  p.source = config::RangeSource{1, kTasks};
  p.task.kind = config::TaskKind::builtin;
  p.task.builtin = config::Builtin::echo;
  p.ventilator.heartbeat = 100ms;
  p.ventilator.liveness = 5;
  p.ventilator.window = 500;
  p.workers.slots = 4;
  const std::uint64_t fingerprint = config::task_fingerprint(p.task);
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));

  test::Harness batch(p, out);
  zmq::context_t context;
  auto connect = [&](zmq::socket_type type, const std::string& endpoint) {
    zmq::socket_t s(context, type);
    s.set(zmq::sockopt::linger, 0);
    s.connect(endpoint);
    return s;
  };
  // Connected and never a word.
  zmq::socket_t mute_dealer = connect(zmq::socket_type::dealer, batch.vent_endpoint());
  zmq::socket_t mute_push = connect(zmq::socket_type::push, batch.sink_endpoint());
  RawConnection mute_vent(batch.vent_endpoint()), mute_sink(batch.sink_endpoint());
  EXPECT_TRUE(mute_vent.connected() && mute_sink.connected());

  // A worker with the right fingerprint takes tasks 1, 2 and 3 and sits on them.
  RogueWorker rogue(context, batch.vent_endpoint(), fingerprint);
  ASSERT_TRUE(wait_until([&] { return rogue.tasks().size() >= 3; }, 10s)) << log.text();
  const auto held = rogue.tasks();
  ASSERT_EQ(held.size(), 3u);

  zmq::socket_t to_vent = connect(zmq::socket_type::dealer, batch.vent_endpoint());
  zmq::socket_t to_sink = connect(zmq::socket_type::push, batch.sink_endpoint());
  std::uint64_t vent_junk = 0, sink_junk = 0;
  auto junk_to_vent = [&](const Frames& f) { send_frames(to_vent, f), ++vent_junk; };
  auto junk_to_sink = [&](const Frames& f) { send_frames(to_sink, f), ++sink_junk; };
  // A hello with another task definition is refused, by name. Sent after junk on the same
  // socket, its refusal also proves the ventilator has read all that junk.
  // Junk sent before any hello is answered "hello first", junk of another version with
  // "unsupported protocol version": those refusals of a stranger are skipped.
  auto refused = [&](const std::string& name) {
    send_frames(to_vent, frames_of(core::Hello{core::Role::worker, fingerprint ^ 1, 4, name}));
    for (;;) {
      zmq::pollitem_t item[] = {{to_vent.handle(), 0, ZMQ_POLLIN, 0}};
      if (zmq::poll(item, 1, 5s) != 1) return false;
      std::vector<zmq::message_t> reply;
      if (!zmq::recv_multipart(to_vent, std::back_inserter(reply)) || reply.size() != 2) return false;
      const core::Decoded d = core::decode(reply[0].to_string_view(), reply[1].to_string_view());
      if (!d.message || !std::holds_alternative<core::Refuse>(*d.message)) return false;
      const std::string& reason = std::get<core::Refuse>(*d.message).reason;
      if (reason.starts_with("hello first") || reason.starts_with("unsupported protocol version")) continue;
      return reason.find("pipeline mismatch: worker '" + name + "'") != std::string::npos;
    }
  };
  // A correct result for one of the rogue's tasks, after junk on the same socket: once its
  // record is in the file, the sink has read all that junk.
  auto honest = [&](const core::TaskItem& task) {
    send_frames(to_sink, results_message({result_for(task.id, task.input, task.input)}));
    return wait_until(
        [&] {
          for (const auto& r : test::read_whole_records(out))
            if (r["id"] == task.id) return true;
          return false;
        },
        10s);
  };

  // Phase A, before any real worker: junk to both sockets.
  EXPECT_TRUE(refused("stranger"));

  const Frames hello = frames_of(core::Hello{core::Role::worker, fingerprint, 1, "x"});
  for (const auto& f : malformed(rng, hello, 1)) junk_to_vent(f);
  // Well-formed, but before any hello from this peer: none may be obeyed.
  junk_to_vent(frames_of(core::Credit{1000}));
  junk_to_vent(frames_of(core::Heartbeat{}));
  junk_to_vent(frames_of(core::Ack{0, {{1, 3000}}}));
  junk_to_vent(frames_of(core::Have{true, 0, {{1, 3000}}}));
  junk_to_vent(frames_of(core::Bye{true, {1, 2, 3}}));
  junk_to_vent(frames_of(core::Results{"rogue", {result_for(5, "5", "evil")}}));
  junk_to_vent(frames_of(core::Tasks{{core::TaskItem{1, 1, "1"}}}));
  // Counts larger than the body, lengths beyond the bytes, bad fields.
  junk_to_vent({header(1, 4), le64(0) + le32(0xffffffffu)});                      // ack: 4G ranges
  junk_to_vent({header(1, 5), std::string(1, '\7') + le64(0) + le32(0)});         // have: flag 7
  junk_to_vent({header(1, 6), std::string(1, '\0') + le32(1u << 30) + le64(1)});  // bye: 1G ids
  junk_to_vent({header(1, 1), std::string(1, '\1') + le64(fingerprint) + le32(1) + le32(0xfffffff0u)});  // name
  junk_to_vent({header(1, 1), std::string(1, '\7') + le64(fingerprint) + le32(1) + le32(0)});  // role 7
  junk_to_vent({header(1, 4), le64(0) + le32(1) + le64(0) + le32(1)});            // ack: id 0

  const Frames results = results_message({result_for(3, "3", "3")});
  for (const auto& f : malformed(rng, results, 32)) junk_to_sink(f);
  {
    std::string body = le32(5) + "rogue" + le32(1000000);  // 1 M results in a few bytes
    junk_to_sink({header(1, 32), body + std::string(64, '\0')});
    core::TaskResult r = result_for(4, "4", "evil");
    Frames huge_input = results_message({r});
    const std::size_t at = 4 + 5 + 4 + 8 + 4 + 1 + 1 + 4 + 8;  // the input's length field
    huge_input[1].replace(at, 4, le32(0xfffffff0u));
    junk_to_sink(huge_input);
    junk_to_sink(results_message({result_for(0, "0", "evil")}));  // id 0
    Frames bad_status = results_message({r});
    bad_status[1][4 + 5 + 4 + 8 + 4] = 9;
    junk_to_sink(bad_status);
    Frames bad_flags = results_message({r});
    bad_flags[1][4 + 5 + 4 + 8 + 4 + 1] = '\x80';
    junk_to_sink(bad_flags);
  }
  // Messages of the task channel, on the result channel: a halt or total here means nothing.
  junk_to_sink(frames_of(core::Halt{"rogue says stop"}));
  junk_to_sink(frames_of(core::Total{10}));
  junk_to_sink(frames_of(core::Hello{core::Role::sink, fingerprint, 0, "rogue"}));
  // Ids no ventilator can have sent yet (beyond records-so-far + window): dropped per result.
  std::uint64_t impossible = 0;
  for (core::TaskId id : {core::TaskId{1} << 60, ~core::TaskId{0}, kTasks + 1, kTasks + 2}) {
    send_frames(to_sink, results_message({result_for(id, std::to_string(id), "evil")}));
    ++impossible;
  }
  // Not ZeroMQ at all, and ZeroMQ with a frame of 2^40 bytes.
  RawConnection http_vent(batch.vent_endpoint()), http_sink(batch.sink_endpoint());
  http_vent.send("GET / HTTP/1.1\r\nHost: zpipe\r\n\r\n");
  http_sink.send(std::string(4096, '\xff'));
  RawConnection big_vent(batch.vent_endpoint()), big_sink(batch.sink_endpoint());
  big_vent.send(zmtp_oversized_message("DEALER"));
  big_sink.send(zmtp_oversized_message("PUSH"));
  EXPECT_TRUE(refused("sync-a"));
  ASSERT_TRUE(honest(held[2]));

  // Phase B: real workers; duplicates of written records with a wrong output.
  batch.add_worker("w1");
  batch.add_worker("w2");
  ASSERT_TRUE(wait_until([&] { return test::count_lines(out) >= 1000; }, 20s));
  std::uint64_t duplicates = 0;
  for (const auto& r : test::read_whole_records(out)) {
    if (duplicates == 100) break;
    const auto id = r["id"].get<core::TaskId>();
    send_frames(to_sink, results_message({result_for(id, "evil input", "evil output")}));
    ++duplicates;
  }
  for (const auto& f : malformed(rng, hello, 1)) junk_to_vent(f);
  for (const auto& f : malformed(rng, results, 32)) junk_to_sink(f);
  EXPECT_TRUE(refused("sync-b"));

  // Phase C: the total is known and every task but the rogue's is written.
  ASSERT_TRUE(wait_until([&] { return log.contains("sink: batch total 3000"); }, 20s)) << log.text();
  ASSERT_TRUE(wait_until([&] { return test::count_lines(out) >= kTasks - 2; }, 20s));  // all but 2 held
  for (core::TaskId id : {kTasks + 1, kTasks + 2, kTasks + 400}) {  // within the window, beyond the total
    send_frames(to_sink, results_message({result_for(id, std::to_string(id), "evil")}));
    ++impossible;
  }
  for (const auto& r : test::read_whole_records(out)) {
    if (r["id"].get<core::TaskId>() % 500 != 0) continue;
    send_frames(to_sink, results_message({result_for(r["id"].get<core::TaskId>(), "evil", "evil")}));
    ++duplicates;
  }
  // The rogue reports one more of its tasks and abandons the last one.
  ASSERT_TRUE(honest(held[1]));
  rogue.go_silent();
  batch.finish();

  // Every record exactly once, each the echo of its input: nothing the rogue sent replaced one.
  const auto records = test::read_jsonl(out);
  ASSERT_EQ(records.size(), kTasks);
  std::set<core::TaskId> ids;
  for (const auto& r : records) {
    const auto id = r["id"].get<core::TaskId>();
    EXPECT_TRUE(ids.insert(id).second) << r.dump();
    EXPECT_EQ(r["input"], std::to_string(id)) << r.dump();
    EXPECT_EQ(r["output"], std::to_string(id)) << r.dump();
    EXPECT_EQ(r["status"], "ok") << r.dump();
    if (id == held[0].id) {
      EXPECT_EQ(r["attempts"], 2) << "abandoned by the rogue, run again: " << r.dump();
    }
    if (id == held[1].id || id == held[2].id) {
      EXPECT_EQ(r["worker"], "rogue") << r.dump();
    }
  }
  EXPECT_EQ(*ids.begin(), 1u);
  EXPECT_EQ(*ids.rbegin(), kTasks);

  const sink::Summary& s = batch.summary();
  EXPECT_TRUE(s.completed);
  EXPECT_TRUE(s.halted.empty()) << s.halted;
  EXPECT_EQ(s.ok, kTasks);
  EXPECT_EQ(s.duplicates, duplicates);
  EXPECT_EQ(s.dropped, sink_junk + impossible);
  const auto summary_json = nlohmann::json::parse(sink::summary_json(s));
  EXPECT_EQ(summary_json["dropped"], sink_junk + impossible);
  EXPECT_EQ(summary_json["duplicates"], duplicates);
  const ventilator::Report& v = batch.ventilator_report();
  EXPECT_TRUE(v.completed);
  EXPECT_EQ(v.dropped, vent_junk);
  EXPECT_GE(v.redelivered, 1u);
  EXPECT_NE(log.text().find("dropped malformed message"), std::string::npos);

  std::cout << "[ rogue peer ] sink dropped " << s.dropped << " (" << sink_junk << " malformed messages + "
            << impossible << " results for impossible ids), " << s.duplicates
            << " duplicate results ignored; ventilator dropped " << v.dropped << ", redelivered "
            << v.redelivered << "\n";
  for (const auto& [kind, n] : drops_by_kind(log.text())) std::cout << "    " << kind << ": " << n << "\n";
  RecordProperty("sink_dropped", std::to_string(s.dropped));
  RecordProperty("ventilator_dropped", std::to_string(v.dropped));
  RecordProperty("duplicates", std::to_string(s.duplicates));
}

}  // namespace
}  // namespace zpipe

namespace zpipe {
namespace {

}  // namespace
}  // namespace zpipe
