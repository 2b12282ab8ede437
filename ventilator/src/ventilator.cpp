#include "zpipe/ventilator/ventilator.hpp"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>

#include "lease_table.hpp"
#include "zpipe/core/messaging.hpp"
#include "zpipe/ventilator/source.hpp"

namespace zpipe::ventilator {
namespace {

using Clock = std::chrono::steady_clock;
using core::TaskId;

// Most tasks one message carries: enough to amortise a send over many tiny tasks,
// small enough that a message stays far below the socket's size limit.
constexpr std::uint32_t kMaxBatch = 256;
// A hostile or buggy peer cannot make us believe it can hold more than this.
constexpr std::uint32_t kMaxCredit = 1u << 20;

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
  State(zmq::context_t& context, const config::Pipeline& p)
      : pipeline(p),
        router(context, zmq::socket_type::router),
        leases(open_source(p.source), p.ventilator.window),
        fingerprint(config::task_fingerprint(p.task)),
        heartbeat(p.ventilator.heartbeat),
        silence_limit(p.ventilator.heartbeat * p.ventilator.liveness) {}

  const config::Pipeline& pipeline;
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
      if (sink == id) sink.reset();  // its inventory follows: no dispatch until it is complete
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
    if (const auto* hello = std::get_if<core::Hello>(&in.message)) return on_hello(in.routing_id, *hello);
    auto it = peers.find(in.routing_id);
    if (it == peers.end()) return faults.count("message before hello");
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
    if (sink == id) sink.reset();
    std::erase(workers, id);
    peers.erase(id);
  }

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
  bool drained() const { return draining && !leases.any_held(); }

  void heartbeat_all() {
    for (const auto& [id, peer] : peers) send_to(id, core::Heartbeat{});
  }

  void finish_workers() {
    for (const auto& id : workers) send_to(id, core::Done{});
  }
};

Ventilator::Ventilator(zmq::context_t& context, const config::Pipeline& pipeline,
                       const std::string& bind_endpoint)
    : state_(std::make_unique<State>(context, pipeline)) {
  core::configure_socket(state_->router, std::chrono::milliseconds(2000));
  state_->router.set(zmq::sockopt::router_mandatory, 1);
  core::bind(state_->router, bind_endpoint);
}

Ventilator::~Ventilator() = default;

std::string Ventilator::endpoint() const { return state_->router.get(zmq::sockopt::last_endpoint); }

void Ventilator::stop() { stop_.store(true); }

void Ventilator::drain(const std::string& reason) {
  if (drain_.load()) return;
  drain_reason_ = reason;
  drain_.store(true);
}

Report Ventilator::run() {
  State& s = *state_;
  auto next_heartbeat = Clock::now();
  while (!stop_.load()) {
    const auto now = Clock::now();
    if (now >= next_heartbeat) {
      s.heartbeat_all();
      s.expire_silent_peers();
      next_heartbeat = now + s.heartbeat;
    }
    zmq::pollitem_t items[] = {{s.router.handle(), 0, ZMQ_POLLIN, 0}};
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_heartbeat - Clock::now());
    zmq::poll(items, 1, std::clamp(wait, std::chrono::milliseconds(0), std::chrono::milliseconds(100)));
    // Bounded drain so timers keep running under a flood.
    for (int i = 0; i < 10000; ++i) {
      std::optional<core::Received> in = core::try_receive(s.router, true, s.faults);
      if (!in) {
        if (!(s.router.get(zmq::sockopt::events) & ZMQ_POLLIN)) break;
        continue;  // a malformed message was dropped; more may be waiting
      }
      s.handle(*in);
    }
    if (drain_.load() && !s.draining) {
      s.draining = drain_reason_;
      spdlog::warn("ventilator: {}: no more dispatch; waiting for tasks in flight", drain_reason_);
    }
    s.check_halt_policy();
    s.dispatch();
    s.announce_total();
    if (s.batch_done()) {
      s.finish_workers();
      s.report.completed = true;
      spdlog::info("ventilator: batch done, {} tasks ({} redelivered)", s.report.total, s.report.redelivered);
      break;
    }
    if (s.drained() && s.sink) {
      s.send_to(*s.sink, core::Halt{*s.draining});
      s.finish_workers();
      s.report.halted = *s.draining;
      break;
    }
  }
  s.report.dropped = s.faults.total();
  return s.report;
}

}  // namespace zpipe::ventilator
