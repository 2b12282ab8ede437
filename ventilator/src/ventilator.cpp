#include "zpipe/ventilator/ventilator.hpp"

#include <algorithm>
#include <atomic>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <spdlog/spdlog.h>

#include "lease_table.hpp"
#include "zpipe/core/loop.hpp"
#include "zpipe/core/messaging.hpp"
#include "zpipe/core/wait_warnings.hpp"
#include "zpipe/ventilator/source.hpp"

namespace zpipe::ventilator {
namespace {

using core::Clock;
using core::TaskId;

// Most tasks one message carries: enough to amortise a send over many tiny tasks,
// small enough that a message stays far below the socket's size limit.
constexpr std::uint32_t kMaxBatch = 256;
// A hostile or buggy peer cannot make us believe it can hold more than this.
constexpr std::uint32_t kMaxCredit = 1u << 20;
// Messages handled per wake-up before timers and dispatch get their turn.
constexpr int kMaxReceive = 10000;
// Unknown peers answered with "hello first" per heartbeat, at most (a flood of strangers
// costs a bounded number of replies; the rest are only counted).
constexpr std::size_t kMaxStrangers = 1024;
// The longest wait for the workers' goodbyes once the batch is over.
constexpr auto kMaxEndWait = std::chrono::seconds(2);
// How long without a sink before the first warning that workers get nothing meanwhile.
constexpr auto kFirstSinkWarning = std::chrono::seconds(1);

struct Peer {
  core::Role role = core::Role::worker;
  std::string name;
  std::uint32_t credit = 0;
  bool leaving = false;  // a worker that said bye: it gets nothing more
  Clock::time_point last_seen;
};

const char* role_name(core::Role role) { return role == core::Role::sink ? "sink" : "worker"; }

}  // namespace

struct Ventilator::State {
  State(zmq::context_t& context, const config::Pipeline& p, const std::string& bind_endpoint,
        std::optional<std::chrono::milliseconds> sink_timeout)
      : pipeline(p),
        router(context, zmq::socket_type::router),
        leases(open_source(p.source), p.ventilator.window),
        fingerprint(config::task_fingerprint(p.task)),
        heartbeat(p.ventilator.heartbeat),
        silence_limit(p.ventilator.heartbeat * p.ventilator.liveness),
        waiting_for_sink(fmt::format("ventilator: no sink has joined at {}", bind_endpoint),
                         "workers get no tasks until one does", "ventilator: a sink joined", sink_timeout) {}

  const config::Pipeline& pipeline;
  core::Loop loop;
  zmq::socket_t router;
  LeaseTable leases;
  std::uint64_t fingerprint;
  Clock::duration heartbeat;
  Clock::duration silence_limit;

  std::unordered_map<std::string, Peer> peers;
  std::vector<std::string> workers;  // dispatch order
  std::optional<std::string> sink;   // the sink's routing id once its inventory is complete
  bool total_sent = false;
  std::optional<std::string> draining;  // the reason, once a drain began
  Report report;
  core::FaultCounter faults{"ventilator"};
  std::unordered_set<std::string> strangers;  // unknown peers told "hello first" this heartbeat
  core::WaitWarnings waiting_for_sink;
  Clock::time_point sink_missing_since = Clock::now();
  core::Loop::Timer* beat_timer = nullptr;
  core::Loop::Timer* sink_timer = nullptr;
  core::Loop::Timer* end_timer = nullptr;  // ends the wait for the workers' goodbyes
  bool ended = false;                      // done sent: only goodbyes are awaited
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> drain_requested{false};
  std::string drain_reason;  // written before drain_requested is set

  // Sends to a peer; false if the peer is gone or its queue is full (ROUTER_MANDATORY).
  template <typename M>  // a Message, or Tasks sent without wrapping (which would copy them)
  bool send_to(const std::string& peer, const M& message) {
    try {
      return core::try_send(router, message, peer);
    } catch (const zmq::error_t& e) {
      if (e.num() == EHOSTUNREACH) return false;
      throw;
    }
  }

  void on_hello(const std::string& id, const core::Hello& hello) {
    if (hello.fingerprint != fingerprint) {
      const std::string reason = fmt::format(
          "pipeline mismatch: {} '{}' runs a different task definition (fingerprint {:016x}, ventilator has "
          "{:016x} for pipeline '{}'); start every role from the same pipeline file",
          role_name(hello.role), hello.name, hello.fingerprint, fingerprint, pipeline.name);
      spdlog::error("ventilator: refused {}", reason);
      send_to(id, core::Refuse{reason});
      return;
    }
    auto [it, fresh] = peers.try_emplace(id);
    Peer& peer = it->second;
    peer.role = hello.role;
    peer.name = hello.name;
    peer.credit = std::min(hello.credit, kMaxCredit);
    peer.leaving = false;
    peer.last_seen = Clock::now();
    if (hello.role == core::Role::sink) {
      if (sink == id) lose_sink();  // its inventory follows: no dispatch until it is complete
    } else if (fresh) {
      workers.push_back(id);
      spdlog::info("ventilator: worker '{}' joined with credit {}", hello.name, peer.credit);
    }
    send_to(id, core::Welcome{static_cast<std::uint32_t>(pipeline.ventilator.heartbeat.count()),
                              pipeline.ventilator.liveness});
  }

  void on_have(const std::string& id, const core::Have& have) {
    report.failed = std::max(report.failed, have.failed_total);
    for (const auto& range : have.ranges) leases.done(range);
    if (!have.final) return;
    // Results pushed to an earlier sink may have died with it: run what workers hold again.
    const std::uint64_t again = leases.release_all_held();
    report.redelivered += again;
    if (again > 0) spdlog::warn("ventilator: sink (re)joined; {} tasks in flight will run again", again);
    sink = id;
    total_sent = false;  // a (re)started sink must learn the total
    waiting_for_sink.over(sink_missing_since);
    spdlog::info("ventilator: sink joined");
  }

  void on_bye(const std::string& id, const Peer& peer, const core::Bye& bye) {
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

  void handle(const core::Received& in) {
    if (ended) return after_end(in);
    if (const auto* hello = std::get_if<core::Hello>(&in.message)) return on_hello(in.routing_id, *hello);
    auto it = peers.find(in.routing_id);
    if (it == peers.end()) return on_stranger(in.routing_id);
    Peer& peer = it->second;
    peer.last_seen = Clock::now();
    const bool from_sink = peer.role == core::Role::sink;
    if (const auto* credit = std::get_if<core::Credit>(&in.message)) {
      if (from_sink) return faults.count("credit from a sink");
      if (!peer.leaving)
        peer.credit = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{peer.credit} + credit->credit, kMaxCredit));
    } else if (const auto* ack = std::get_if<core::Ack>(&in.message)) {
      if (!from_sink) return faults.count("ack from a worker");
      report.failed = std::max(report.failed, ack->failed_total);
      for (const auto& range : ack->ranges) leases.done(range);
    } else if (const auto* have = std::get_if<core::Have>(&in.message)) {
      if (!from_sink) return faults.count("have from a worker");
      on_have(in.routing_id, *have);
    } else if (const auto* bye = std::get_if<core::Bye>(&in.message)) {
      if (from_sink) return faults.count("bye from a sink");
      peer.leaving = true;
      peer.credit = 0;
      on_bye(in.routing_id, peer, *bye);
    } else if (!std::holds_alternative<core::Heartbeat>(in.message)) {
      faults.count("unexpected message type");
    }
  }

  // A message from a peer that never said hello (or did, to a ventilator that restarted):
  // tell it so, once per heartbeat, so it introduces itself instead of being ignored.
  void on_stranger(const std::string& id) {
    faults.count("message before hello");
    tell_stranger(id, "hello first: this ventilator does not know you; send hello");
  }

  // A peer of another protocol version: its messages are dropped (and counted), but it is
  // told why, in a refuse, whose layout no version changes (docs/protocol.md).
  void on_other_version(const std::string& id) {
    tell_stranger(id, fmt::format("unsupported protocol version: this ventilator speaks version {}",
                                  core::kProtocolVersion));
  }

  // At most once per peer per heartbeat, for a bounded number of peers.
  void tell_stranger(const std::string& id, const std::string& reason) {
    if (id.empty() || strangers.size() >= kMaxStrangers || !strangers.insert(id).second) return;
    send_to(id, core::Refuse{reason});
  }

  void forget_peer(const std::string& id, const char* why) {
    const Peer& peer = peers.at(id);
    const std::uint64_t again = leases.release_holder(id);
    report.redelivered += again;
    if (std::string_view(why) == "left") {
      spdlog::info("ventilator: worker '{}' left; {} unfinished tasks will run again", peer.name, again);
    } else {
      spdlog::warn("ventilator: {} '{}' silent for {} ms, presumed dead; {} tasks will run again",
                   role_name(peer.role), peer.name,
                   std::chrono::duration_cast<std::chrono::milliseconds>(silence_limit).count(), again);
    }
    if (sink == id) lose_sink();
    std::erase(workers, id);
    peers.erase(id);
  }

  void lose_sink() {
    sink.reset();
    sink_missing_since = Clock::now();
    sink_timer->at(sink_missing_since + kFirstSinkWarning);
  }

  // While no sink is here nothing is dispatched: say so, with backoff; give up after the
  // connect timeout if one is set.
  void check_sink() {
    if (!sink) sink_timer->at(waiting_for_sink.check(sink_missing_since, kFirstSinkWarning));
  }

  std::string endpoint() const { return router.get(zmq::sockopt::last_endpoint); }

  void expire_silent_peers() {
    const auto now = Clock::now();
    std::vector<std::string> dead;
    for (const auto& [id, peer] : peers)
      if (now - peer.last_seen > silence_limit) dead.push_back(id);
    for (const auto& id : dead) forget_peer(id, peers.at(id).leaving ? "left" : "silent");
  }

  void dispatch() {
    if (!sink || draining) return;  // without a sink results would have nowhere to go
    bool progress = true;
    while (progress) {
      progress = false;
      for (const auto& id : workers) {
        Peer& peer = peers.at(id);
        if (peer.credit == 0) continue;
        core::Tasks batch;
        const std::uint32_t want = std::min(peer.credit, kMaxBatch);
        while (batch.items.size() < want) {
          const std::optional<TaskId> task = leases.next();
          if (!task) break;
          leases.hold(*task, id);
          Lease& lease = leases.at(*task);
          // Lent to the message and returned once encoded: inputs can be large.
          batch.items.push_back(core::TaskItem{*task, lease.attempt, std::move(lease.input)});
        }
        if (batch.items.empty()) return;
        const bool sent = send_to(id, batch);
        for (auto& item : batch.items) leases.at(item.id).input = std::move(item.input);
        if (!sent) {
          for (const auto& item : batch.items) leases.give_back(item.id, id);  // gone or full: someone else
          continue;
        }
        peer.credit -= static_cast<std::uint32_t>(batch.items.size());
        report.dispatched += batch.items.size();
        progress = true;
      }
    }
  }

  void announce_total() {
    if (!leases.exhausted() || !sink || total_sent) return;
    report.total = leases.total();
    total_sent = send_to(*sink, core::Total{report.total});
    if (total_sent) spdlog::info("ventilator: source exhausted, {} tasks", report.total);
  }

  void check_halt_policy() {
    const std::uint64_t limit = pipeline.halt.after_failures;
    if (draining || limit == 0 || report.failed < limit) return;
    draining = fmt::format("halted: {} tasks failed (halt after {})", report.failed, limit);
    spdlog::error("ventilator: {}; waiting for tasks in flight", *draining);
  }

  bool batch_done() const { return leases.exhausted() && total_sent && leases.empty(); }
  // Draining, and nothing in flight can still be recorded: no worker holds a task, or no
  // sink is there to record it (then the sink's journal already says what is done).
  bool drained() const { return draining && (!leases.any_held() || !sink); }

  void beat() {
    for (const auto& [id, peer] : peers) send_to(id, core::Heartbeat{});
    expire_silent_peers();
    strangers.clear();
    beat_timer->after(heartbeat);
  }

  // After every wake-up: react to stop/drain, dispatch, and decide whether the batch ended.
  void turn() {
    if (stop_requested.load()) return loop.quit();
    if (ended) return;
    if (drain_requested.load() && !draining) {
      draining = drain_reason;
      spdlog::warn("ventilator: {}: no more dispatch; waiting for tasks in flight", drain_reason);
    }
    check_halt_policy();
    dispatch();
    announce_total();
    if (batch_done()) {
      report.completed = true;
      spdlog::info("ventilator: batch done, {} tasks ({} redelivered)", report.total, report.redelivered);
      if (sink) send_to(*sink, core::Done{});
      return end_batch();
    }
    if (drained()) {
      report.halted = *draining;
      spdlog::warn("ventilator: batch halted ({})", report.halted);
      if (sink) send_to(*sink, core::Halt{*draining});
      end_batch();
    }
  }

  // The batch is over: `done` to every worker, then wait a little for their bye{final}, so
  // that `done` is known to have arrived (a process that exits right after a send can have
  // its last bytes reset away by TCP) and a worker that missed it learns it (after_end).
  void end_batch() {
    ended = true;
    for (const auto& id : workers) send_to(id, core::Done{});
    if (workers.empty()) return loop.quit();
    end_timer->after(std::min<Clock::duration>(silence_limit, kMaxEndWait));
  }

  // After the end, a worker's bye{final} is its goodbye; anything else from a worker or a
  // stranger is answered with `done` (the sink's late acks need no answer).
  void after_end(const core::Received& in) {
    const auto* bye = std::get_if<core::Bye>(&in.message);
    if (bye && bye->final) {
      std::erase(workers, in.routing_id);
      if (workers.empty()) loop.quit();
    } else if (sink != in.routing_id) {
      send_to(in.routing_id, core::Done{});
    }
  }
};

Ventilator::Ventilator(zmq::context_t& context, const config::Pipeline& pipeline, const std::string& bind_endpoint,
                       std::optional<std::chrono::milliseconds> sink_timeout)
    : state_(std::make_unique<State>(context, pipeline, bind_endpoint, sink_timeout)) {
  core::configure_socket(state_->router);
  state_->router.set(zmq::sockopt::router_mandatory, 1);
  core::bind(state_->router, bind_endpoint);
}

Ventilator::~Ventilator() = default;

std::string Ventilator::endpoint() const { return state_->endpoint(); }

void Ventilator::stop() {
  state_->stop_requested.store(true);
  state_->loop.wake();
}

void Ventilator::drain(const std::string& reason) {
  State& s = *state_;
  if (s.drain_requested.load()) return;
  s.drain_reason = reason;
  s.drain_requested.store(true);
  s.loop.wake();
}

Report Ventilator::run() {
  State& s = *state_;
  s.loop.watch(s.router, [&s] {
    (void)core::receive_waiting(
        s.router, true, s.faults, kMaxReceive, [&s](core::Received&& in) { s.handle(in); },
        [&s](const core::Receive& bad) {
          if (bad.error && std::string_view(bad.error) == core::kUnsupportedVersion)
            s.on_other_version(bad.received.routing_id);
        });
  });
  s.beat_timer = &s.loop.timer([&s] { s.beat(); });
  s.sink_timer = &s.loop.timer([&s] { s.check_sink(); });
  s.end_timer = &s.loop.timer([&s] { s.loop.quit(); });
  s.loop.on_turn([&s] { s.turn(); });
  s.beat_timer->after(s.heartbeat);
  s.lose_sink();  // none yet
  s.loop.run();
  s.report.dropped = s.faults.total();
  return s.report;
}

}  // namespace zpipe::ventilator
