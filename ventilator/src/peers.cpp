// The ventilator's peers: hello and welcome, the sink's inventory, workers leaving,
// strangers, and liveness (heartbeats out, silent peers presumed dead).
#include <algorithm>

#include <spdlog/spdlog.h>

#include "state.hpp"

namespace zpipe::ventilator {

void Ventilator::State::on_hello(const std::string& id, const core::Hello& hello) {
  if (hello.fingerprint != fingerprint) {
    const std::string reason = fmt::format(
        "pipeline mismatch: {} '{}' runs a different task definition (fingerprint {:016x}, ventilator has "
        "{:016x} for pipeline '{}'); start every role from the same pipeline file",
        role_name(hello.role), hello.name, hello.fingerprint, fingerprint, pipeline.name);
    spdlog::error("ventilator: refused {}", reason);
    send_to(id, core::Refuse{reason});
    return;
  }
  if (hello.role == core::Role::sink && !admit_sink(id, hello.name)) return;
  auto [it, fresh] = peers.try_emplace(id);
  Peer& peer = it->second;
  peer.role = hello.role;
  peer.name = hello.name;
  peer.credit = std::min(hello.credit, kMaxCredit);
  peer.prefetch = hello.prefetch.value_or(0);
  peer.leaving = false;
  peer.last_seen = Clock::now();
  if (hello.role == core::Role::sink) {
    if (sink == id) lose_sink();  // its inventory follows: no dispatch until it is complete
    inventory = {};
    recorded = 0;
    leases.forget_ahead();
  } else if (fresh) {
    workers.push_back(id);
    spdlog::info("ventilator: worker '{}' joined with credit {}", hello.name, peer.credit);
  }
  send_to(id, core::Welcome{static_cast<std::uint32_t>(pipeline.ventilator.heartbeat.count()),
                            pipeline.ventilator.liveness});
}

// One sink per batch. The same sink process on a new connection (its name, "sink:" and a
// random incarnation, is the same) replaces its old one. Another sink, while the known one
// is alive, would take the batch over (its records elsewhere, everything in flight run
// again): it is told to wait until the known one is presumed dead, as a restarted sink is.
bool Ventilator::State::admit_sink(const std::string& id, const std::string& incarnation) {
  const auto known = std::find_if(peers.begin(), peers.end(), [&](const auto& entry) {
    return entry.first != id && entry.second.role == core::Role::sink;
  });
  if (known == peers.end()) return true;
  if (known->second.name == incarnation) {
    if (sink == known->first) lose_sink();
    peers.erase(known);
    return true;
  }
  const auto ms = [](Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  const std::string reason = fmt::format(
      "wait: another sink ({}) is live (heard {} ms ago); a second sink would take the batch over. Stop one "
      "of them; a restarted sink is let in once the old one is presumed dead ({} ms of silence)",
      known->second.name, ms(Clock::now() - known->second.last_seen), ms(silence_limit));
  if (strangers.insert(id).second) {  // once per heartbeat
    spdlog::error("ventilator: refused a second sink, {}: {}", incarnation, reason.substr(6));
    send_to(id, core::Refuse{reason});
  }
  return false;
}

void Ventilator::State::on_have(const std::string& id, const core::Have& have) {
  report.failed = std::max(report.failed, have.failed_total);
  for (const auto& range : have.ranges) {
    leases.done(range);
    recorded += range.count;
    for (std::uint64_t n = 0; n < range.count; ++n) inventory.insert(range.first + n);
  }
  if (!have.final) return;
  const bool resumed = inventory.count() > 0;
  restore_lost_records();
  // Results pushed to an earlier sink may have died with it: run what workers hold again.
  const std::uint64_t again = leases.release_all_held();
  report.redelivered += again;
  if (again > 0) spdlog::warn("ventilator: sink (re)joined; {} tasks in flight will run again", again);
  sink = id;
  total_sent = false;  // a (re)started sink must learn the total
  // A sink that resumed a whole batch: the source is read past what it has, so the batch
  // ends now, without waiting for a worker to ask for a task that does not exist. (Not for
  // a fresh sink: a batch of nothing still ends when a worker first asks, so the workers
  // already on their way learn it from `done`.)
  if (resumed) leases.skip_done();
  waiting_for_sink.over(sink_missing_since);
  spdlog::info("ventilator: sink '{}' joined", peers.at(id).name);
}

// A sink may lack records an earlier one acknowledged: its journal was mended with --repair
// (a cut or foreign line removed), or replaced. Those tasks run again; if the source cannot
// give their inputs back (a pipe), the batch cannot complete and halts, saying why.
void Ventilator::State::restore_lost_records() {
  const std::vector<core::TaskId> lost = leases.lost(inventory);
  inventory = {};
  if (lost.empty()) return;
  const std::string which = fmt::format("{} tasks acknowledged before (id {}{})", lost.size(), lost.front(),
                                        lost.size() > 1 ? ", ..." : "");
  std::string why = "the source cannot read their inputs again";
  try {
    if (leases.restore(lost)) {
      report.redelivered += lost.size();
      spdlog::warn("ventilator: the sink has no record of {}: they run again", which);
      return;
    }
  } catch (const std::runtime_error& e) {
    why = e.what();
  }
  if (draining) return;
  draining = fmt::format("halted: the sink has no record of {}, and {}", which, why);
  spdlog::error("ventilator: {}", *draining);
}

void Ventilator::State::on_bye(const std::string& id, const Peer& peer, const core::Bye& bye) {
  for (TaskId task : bye.returned) leases.give_back(task, id);
  if (bye.final) {
    // Gone, but the results of the tasks it finished last may still be on their way to
    // the sink: their acks release those leases. Whatever is unacknowledged one silence
    // period later (tasks killed at the end of its grace) runs again, as for a dead
    // worker (expire_silent_peers). Forgetting it now would run finished tasks twice.
    spdlog::info("ventilator: worker '{}' gone", peer.name);
  } else {
    spdlog::info("ventilator: worker '{}' leaving, handed back {} tasks", peer.name, bye.returned.size());
  }
}

// A worker without a pipeline file learns the task here, then says hello with its
// fingerprint like any other (docs/protocol.md, ask_task).
void Ventilator::State::answer_ask_task(const std::string& id) {
  const config::TaskSpec& task = pipeline.task;
  send_to(id, core::TaskDefinition{config::task_fingerprint(task), task.use_shell == config::UseShell::always,
                                   config::task_canonical_bytes(task)});
}

void Ventilator::State::handle(const core::Received& in) {
  if (ended) return after_end(in);
  if (const auto* hello = std::get_if<core::Hello>(&in.message)) return on_hello(in.routing_id, *hello);
  if (std::holds_alternative<core::AskTask>(in.message)) return answer_ask_task(in.routing_id);
  auto it = peers.find(in.routing_id);
  if (it == peers.end()) return on_stranger(in.routing_id);
  Peer& peer = it->second;
  peer.last_seen = Clock::now();
  const bool from_sink = peer.role == core::Role::sink;
  if (const auto* credit = std::get_if<core::Credit>(&in.message)) {
    if (from_sink) return faults.count("credit from a sink");
    if (!peer.leaving) {
      peer.credit = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{peer.credit} + credit->credit, kMaxCredit));
      peer.prefetch = credit->prefetch.value_or(0);
    }
  } else if (const auto* ack = std::get_if<core::Ack>(&in.message)) {
    if (!from_sink) return faults.count("ack from a worker");
    report.failed = std::max(report.failed, ack->failed_total);
    for (const auto& range : ack->ranges) {
      leases.done(range);
      recorded += range.count;
    }
  } else if (const auto* have = std::get_if<core::Have>(&in.message)) {
    if (!from_sink) return faults.count("have from a worker");
    on_have(in.routing_id, *have);
  } else if (const auto* unsent = std::get_if<core::Unsent>(&in.message)) {
    if (from_sink) return faults.count("unsent from a sink");
    const std::uint64_t again = leases.run_again(unsent->ids, in.routing_id);
    report.redelivered += again;
    if (again > 0)
      spdlog::warn("ventilator: worker '{}' lost its sink connection; {} of its results not acknowledged will run again",
                   peer.name, again);
  } else if (const auto* bye = std::get_if<core::Bye>(&in.message)) {
    if (from_sink) {
      // A sink stopping (a signal): gone now, not one silence period later, so that its
      // successor is let in at once (see admit_sink).
      if (!bye->final) return faults.count("bye{final=0} from a sink");
      return forget_peer(in.routing_id, "left");
    }
    peer.leaving = true;
    peer.credit = 0;
    on_bye(in.routing_id, peer, *bye);
  } else if (!std::holds_alternative<core::Heartbeat>(in.message)) {
    faults.count("unexpected message type");
  }
}

// A message from a peer that never said hello (or did, to a ventilator that restarted):
// tell it so, once per heartbeat, so it introduces itself instead of being ignored.
void Ventilator::State::on_stranger(const std::string& id) {
  faults.count("message before hello");
  tell_stranger(id, "hello first: this ventilator does not know you; send hello");
}

// A peer of another protocol version: its messages are dropped (and counted), but it is
// told why, in a refuse, whose layout no version changes (docs/protocol.md).
void Ventilator::State::on_other_version(const std::string& id) {
  tell_stranger(id, fmt::format("unsupported protocol version: this ventilator speaks version {}",
                                core::kProtocolVersion));
}

// At most once per peer per heartbeat, for a bounded number of peers.
void Ventilator::State::tell_stranger(const std::string& id, const std::string& reason) {
  if (id.empty() || strangers.size() >= kMaxStrangers || !strangers.insert(id).second) return;
  send_to(id, core::Refuse{reason});
}

void Ventilator::State::forget_peer(const std::string& id, const char* why) {
  const Peer& peer = peers.at(id);
  const std::uint64_t again = leases.release_holder(id);
  report.redelivered += again;
  if (std::string_view(why) == "left") {
    spdlog::info("ventilator: {} '{}' left; {} unfinished tasks will run again", role_name(peer.role), peer.name,
                 again);
  } else {
    spdlog::warn("ventilator: {} '{}' silent for {} ms, presumed dead; {} tasks will run again",
                 role_name(peer.role), peer.name,
                 std::chrono::duration_cast<std::chrono::milliseconds>(silence_limit).count(), again);
  }
  if (sink == id) lose_sink();
  std::erase(workers, id);
  peers.erase(id);
}

void Ventilator::State::lose_sink() {
  sink.reset();
  sink_missing_since = Clock::now();
  sink_timer->at(sink_missing_since + kFirstSinkWarning);
}

// While no sink is here nothing is dispatched: say so, with backoff; give up after the
// connect timeout if one is set.
void Ventilator::State::check_sink() {
  if (!sink) sink_timer->at(waiting_for_sink.check(sink_missing_since, kFirstSinkWarning));
}

void Ventilator::State::expire_silent_peers() {
  const auto now = Clock::now();
  std::vector<std::string> dead;
  for (const auto& [id, peer] : peers)
    if (now - peer.last_seen > silence_limit) dead.push_back(id);
  for (const auto& id : dead) forget_peer(id, peers.at(id).leaving ? "left" : "silent");
}

void Ventilator::State::beat() {
  for (const auto& [id, peer] : peers) send_to(id, core::Heartbeat{});
  // A beat later than a whole silence limit means this process did not run (SIGSTOP, a
  // VM paused, a starved CPU): its peers' messages wait unread in its socket, so their
  // silence is its own. Each gets a fresh silence limit to be heard instead of being
  // presumed dead, which would drop what they said meanwhile (a sink's last acks) as
  // "message before hello" and leave the batch waiting for a sink that already finished.
  const Clock::time_point now = Clock::now();
  if (last_beat != Clock::time_point{} && now - last_beat > silence_limit) {
    spdlog::warn("ventilator: did not run for {} ms (stopped or starved); its peers get a new silence limit",
                 std::chrono::duration_cast<std::chrono::milliseconds>(now - last_beat).count());
    for (auto& [id, peer] : peers) peer.last_seen = now;
  }
  last_beat = now;
  expire_silent_peers();
  strangers.clear();
  beat_timer->after(heartbeat);
}

// After the end, a bye{final} is a peer's goodbye; anything else from a worker or a
// stranger is answered with `done` (the sink's late acks need no answer).
void Ventilator::State::after_end(const core::Received& in) {
  const auto* bye = std::get_if<core::Bye>(&in.message);
  if (bye && bye->final) {
    std::erase(awaiting_goodbye, in.routing_id);
    if (awaiting_goodbye.empty()) loop.quit();
  } else if (sink != in.routing_id) {
    send_to(in.routing_id, core::Done{});
  }
}

}  // namespace zpipe::ventilator
