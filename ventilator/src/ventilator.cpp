#include "zpipe/ventilator/ventilator.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>

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
  Clock::time_point last_seen;
};

// A dispatched task the sink has not acknowledged yet. holder empty = waiting for redelivery.
struct Lease {
  std::string input;
  std::uint32_t attempt = 1;
  std::string holder;
};

}  // namespace

struct Ventilator::State {
  State(zmq::context_t& context, const config::Pipeline& p)
      : pipeline(p),
        router(context, zmq::socket_type::router),
        source(open_source(p.source)),
        fingerprint(config::task_fingerprint(p.task)),
        heartbeat(p.ventilator.heartbeat),
        silence_limit(p.ventilator.heartbeat * p.ventilator.liveness) {}

  const config::Pipeline& pipeline;
  zmq::socket_t router;
  std::unique_ptr<TaskSource> source;
  std::uint64_t fingerprint;
  Clock::duration heartbeat;
  Clock::duration silence_limit;

  std::unordered_map<std::string, Peer> peers;
  std::vector<std::string> workers;  // dispatch order
  std::optional<std::string> sink;
  std::unordered_map<TaskId, Lease> inflight;
  std::deque<TaskId> redeliver;
  TaskId next_id = 1;
  bool exhausted = false;
  bool total_sent = false;
  Report report;
  core::FaultCounter faults{"ventilator"};

  // Sends to a peer; false if the peer is gone or its queue is full (ROUTER_MANDATORY).
  bool send_to(const std::string& peer, const core::Message& message) {
    try {
      return core::try_send(router, core::encode(message), peer);
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
          hello.role == core::Role::sink ? "sink" : "worker", hello.name, hello.fingerprint, fingerprint,
          pipeline.name);
      spdlog::error("ventilator: refused {}", reason);
      send_to(id, core::Refuse{reason});
      return;
    }
    auto [it, fresh] = peers.try_emplace(id);
    Peer& peer = it->second;
    peer.role = hello.role;
    peer.name = hello.name;
    peer.credit = std::min(hello.credit, kMaxCredit);
    peer.last_seen = Clock::now();
    if (hello.role == core::Role::sink) {
      sink = id;
      total_sent = false;  // a (re)started sink must learn the total
      spdlog::info("ventilator: sink '{}' joined", hello.name);
    } else if (fresh) {
      workers.push_back(id);
      spdlog::info("ventilator: worker '{}' joined with credit {}", hello.name, peer.credit);
    }
    send_to(id, core::Welcome{static_cast<std::uint32_t>(pipeline.ventilator.heartbeat.count()),
                              pipeline.ventilator.liveness});
  }

  void on_ack(const core::Ack& ack) {
    report.failed = std::max(report.failed, ack.failed_total);
    for (const auto& range : ack.ranges) {
      for (std::uint32_t i = 0; i < range.count; ++i) inflight.erase(range.first + i);
    }
  }

  void handle(const core::Received& in) {
    if (const auto* hello = std::get_if<core::Hello>(&in.message)) return on_hello(in.routing_id, *hello);
    auto it = peers.find(in.routing_id);
    if (it == peers.end()) return faults.count("message before hello");
    Peer& peer = it->second;
    peer.last_seen = Clock::now();
    if (const auto* credit = std::get_if<core::Credit>(&in.message)) {
      if (peer.role != core::Role::worker) return faults.count("credit from a sink");
      peer.credit = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{peer.credit} + credit->credit, kMaxCredit));
    } else if (const auto* ack = std::get_if<core::Ack>(&in.message)) {
      if (peer.role != core::Role::sink) return faults.count("ack from a worker");
      on_ack(*ack);
    } else if (!std::holds_alternative<core::Heartbeat>(in.message)) {
      faults.count("unexpected message type");
    }
  }

  void forget_peer(const std::string& id) {
    const Peer& peer = peers.at(id);
    spdlog::warn("ventilator: {} '{}' silent for {} ms, presumed dead", peer.role == core::Role::sink ? "sink" : "worker",
                 peer.name, std::chrono::duration_cast<std::chrono::milliseconds>(silence_limit).count());
    if (sink == id) sink.reset();
    std::erase(workers, id);
    peers.erase(id);
    for (auto& [task, lease] : inflight) {
      if (lease.holder != id) continue;
      lease.holder.clear();
      ++lease.attempt;
      ++report.redelivered;
      redeliver.push_back(task);
    }
  }

  void expire_silent_peers() {
    const auto now = Clock::now();
    std::vector<std::string> dead;
    for (const auto& [id, peer] : peers)
      if (now - peer.last_seen > silence_limit) dead.push_back(id);
    for (const auto& id : dead) forget_peer(id);
  }

  // Next task to hand out: redeliveries first, then new inputs while the window allows.
  std::optional<TaskId> next_task() {
    while (!redeliver.empty()) {
      const TaskId id = redeliver.front();
      redeliver.pop_front();
      auto it = inflight.find(id);
      if (it != inflight.end() && it->second.holder.empty()) return id;  // else acked meanwhile
    }
    if (exhausted || inflight.size() >= pipeline.ventilator.window) return std::nullopt;
    std::optional<std::string> input = source->next();
    if (!input) {
      exhausted = true;
      report.total = next_id - 1;
      spdlog::info("ventilator: source exhausted, {} tasks", report.total);
      return std::nullopt;
    }
    const TaskId id = next_id++;
    inflight.emplace(id, Lease{std::move(*input), 1, {}});
    return id;
  }

  void dispatch() {
    if (!sink) return;  // results would have nowhere to go
    bool progress = true;
    while (progress) {
      progress = false;
      for (const auto& id : workers) {
        Peer& peer = peers.at(id);
        if (peer.credit == 0) continue;
        core::Tasks batch;
        const std::uint32_t want = std::min(peer.credit, kMaxBatch);
        while (batch.items.size() < want) {
          const std::optional<TaskId> task = next_task();
          if (!task) break;
          Lease& lease = inflight.at(*task);
          lease.holder = id;
          batch.items.push_back(core::TaskItem{*task, lease.attempt, lease.input});
        }
        if (batch.items.empty()) return;
        if (!send_to(id, batch)) {
          for (const auto& item : batch.items) {  // peer gone or full: hand these to someone else
            inflight.at(item.id).holder.clear();
            redeliver.push_front(item.id);
          }
          continue;
        }
        peer.credit -= static_cast<std::uint32_t>(batch.items.size());
        report.dispatched += batch.items.size();
        progress = true;
      }
    }
  }

  void announce_total() {
    if (!exhausted || !sink || total_sent) return;
    total_sent = send_to(*sink, core::Total{report.total});
  }

  bool batch_done() const { return exhausted && total_sent && inflight.empty(); }

  void heartbeat_all() {
    for (const auto& [id, peer] : peers) send_to(id, core::Heartbeat{});
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
    zmq::poll(items, 1, std::max(wait, std::chrono::milliseconds(0)));
    // Bounded drain so timers keep running under a flood.
    for (int i = 0; i < 10000; ++i) {
      std::optional<core::Received> in = core::try_receive(s.router, true, s.faults);
      if (!in) {
        if (!(s.router.get(zmq::sockopt::events) & ZMQ_POLLIN)) break;
        continue;  // a malformed message was dropped; more may be waiting
      }
      s.handle(*in);
    }
    s.dispatch();
    s.announce_total();
    if (s.batch_done()) {
      for (const auto& id : s.workers) s.send_to(id, core::Done{});
      s.report.completed = true;
      spdlog::info("ventilator: batch done, {} tasks ({} redelivered)", s.report.total, s.report.redelivered);
      break;
    }
  }
  s.report.dropped = s.faults.total();
  return s.report;
}

}  // namespace zpipe::ventilator
