// The ventilator role: dispatch against credit, the batch's end, and the loop that runs
// it all (peers.cpp keeps track of who is there).
#include "zpipe/ventilator/ventilator.hpp"

#include <spdlog/spdlog.h>

#include "state.hpp"
#include "zpipe/ventilator/source.hpp"

namespace zpipe::ventilator {

Ventilator::State::State(zmq::context_t& context, const config::Pipeline& p, const std::string& bind_endpoint,
                             std::optional<std::chrono::milliseconds> sink_timeout)
    : pipeline(p),
      router(context, zmq::socket_type::router),
      leases(open_source(p.source), p.ventilator.window),
      fingerprint(config::task_fingerprint(p.task)),
      heartbeat(p.ventilator.heartbeat),
      silence_limit(p.ventilator.heartbeat * p.ventilator.liveness),
      waiting_for_sink(fmt::format("ventilator: no sink has joined at {}", bind_endpoint),
                       "workers get no tasks until one does", "ventilator: a sink joined", sink_timeout) {}

void Ventilator::State::dispatch() {
  if (!sink || draining) return;  // without a sink results would have nowhere to go (could_dispatch)
  const Clock::duration delay = pipeline.ventilator.delay;
  if (delay.count() > 0) return dispatch_one_per_delay(delay);
  // Free slots first, then prefetch while the queue is deep (more tasks wait than workers
  // hold: every worker gets another task anyway, so holding it early costs no one). A task
  // sent beyond a worker's slots waits there: at the batch's end, while another idles.
  while (dispatch_round(false)) {
  }
  while (dispatch_round(true)) {
  }
}

// One pass over the workers, each sent what its credit allows (its slots only, or with its
// prefetch too); true if anything went out.
bool Ventilator::State::dispatch_round(bool prefetch) {
  bool progress = false;
  for (const auto& id : workers) {
    Peer& peer = peers.at(id);
    const std::uint32_t usable = prefetch ? peer.credit : peer.credit - std::min(peer.credit, peer.prefetch);
    if (usable == 0) continue;
    core::Tasks batch;
    const std::uint32_t want = std::min(usable, kMaxBatch);
    while (batch.items.size() < want && (!prefetch || queue_deep())) {
      const std::optional<TaskId> task = leases.next();
      if (!task) break;
      leases.hold(*task, id);
      Lease& lease = leases.at(*task);
      // Lent to the message and returned once encoded: inputs can be large.
      batch.items.push_back(core::TaskItem{*task, lease.attempt, std::move(lease.input), std::move(lease.args)});
    }
    if (batch.items.empty()) return progress;
    const bool sent = send_to(id, batch);
    for (auto& item : batch.items) {
      Lease& lease = leases.at(item.id);
      lease.input = std::move(item.input);
      lease.args = std::move(item.args);
    }
    if (!sent) {
      for (const auto& item : batch.items) leases.give_back(item.id, id);  // gone or full: someone else
      continue;
    }
    peer.credit -= static_cast<std::uint32_t>(batch.items.size());
    report.dispatched += batch.items.size();
    progress = true;
  }
  return progress;
}

// --delay: one task per delay, to the first worker with credit; the delay timer wakes the
// loop for the next.
void Ventilator::State::dispatch_one_per_delay(Clock::duration delay) {
  const auto now = Clock::now();
  if (now < next_start) return delay_timer->at(next_start);
  for (const auto& id : workers) {
    Peer& peer = peers.at(id);
    if (peer.credit == 0) continue;
    const std::optional<TaskId> task = leases.next();
    if (!task) return;
    leases.hold(*task, id);
    Lease& lease = leases.at(*task);
    core::Tasks batch;
    batch.items.push_back(core::TaskItem{*task, lease.attempt, lease.input, lease.args});
    if (!send_to(id, batch)) {
      leases.give_back(*task, id);
      continue;
    }
    --peer.credit;
    ++report.dispatched;
    next_start = now + delay;
    return delay_timer->at(next_start);
  }
}

void Ventilator::State::announce_total() {
  if (!leases.exhausted() || !sink || total_sent) return;
  report.total = leases.total();
  total_sent = send_to(*sink, core::Total{report.total});
  if (total_sent) spdlog::info("ventilator: source exhausted, {} tasks", report.total);
}

// GNU parallel's --halt: once enough tasks failed (or succeeded, or ended), no more dispatch;
// `soon` records what is in flight, `now` kills it. A percentage counts once the batch's
// size is known (the source read to its end).
void Ventilator::State::check_halt_policy() {
  using config::HaltSpec;
  const HaltSpec& halt = pipeline.halt;
  if (draining || !halt.enabled()) return;
  const std::uint64_t failed = std::min(report.failed, recorded);
  const std::uint64_t counted =
      halt.on == HaltSpec::On::failure ? failed : halt.on == HaltSpec::On::success ? recorded - failed : recorded;
  std::uint64_t limit = halt.after;
  if (halt.percent) {
    leases.read_ahead();
    if (!leases.exhausted()) return;
    limit = std::max<std::uint64_t>(1, (leases.total() * halt.after + 99) / 100);
  }
  if (counted < limit) return;
  const bool failure = halt.on == HaltSpec::On::failure;
  const char* what = failure ? "failed or timed out" : halt.on == HaltSpec::On::success ? "succeeded" : "ended";
  // "stopped early:" marks a halt that is no failure (docs/protocol.md, halt).
  draining = fmt::format("{}: {} {} {} (halt {})", failure ? "halted" : "stopped early", counted,
                         counted == 1 ? "task" : "tasks", what, halt.spelling());
  halt_now = halt.when == HaltSpec::When::now;
  if (failure) spdlog::error("ventilator: {}", *draining);
  else spdlog::info("ventilator: {}", *draining);
}

// After every wake-up: react to stop/drain, dispatch, and decide whether the batch ended.
void Ventilator::State::turn() {
  if (stop_requested.load()) return loop.quit();
  if (ended) return;
  if (drain_requested.load() && !draining) {
    draining = drain_reason;
    spdlog::warn("ventilator: {}: no more dispatch; waiting for tasks in flight", drain_reason);
  }
  check_halt_policy();
  if (size_wanted.load(std::memory_order_relaxed)) leases.read_ahead();
  dispatch();
  announce_total();
  shown_in_flight.store(leases.held(), std::memory_order_relaxed);
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
    // Workers told to halt kill what they run and record nothing more.
    if (halt_now)
      for (const auto& id : workers) send_to(id, core::Halt{*draining});
    end_batch();
  }
}

// After every turn, for Ventilator::metrics(): the loop's own counts, copied (a scrape
// reads them between two turns; the loop pays a few stores). The credit is a sum over the
// workers, redone at most every kCreditSumEvery: with 500 workers and thousands of turns a
// second, a sum per turn would cost more than the rest of the turn.
void Ventilator::State::publish_metrics(bool now) {
  metrics.dispatched.publish(report.dispatched);
  metrics.redelivered.publish(report.redelivered);
  metrics.in_flight.set(leases.held());
  metrics.queue_depth.set(leases.queued());
  metrics.workers.set(workers.size());
  const Clock::time_point at = Clock::now();
  if (!now && at < next_credit_sum) return;
  next_credit_sum = at + kCreditSumEvery;
  std::uint64_t credit = 0;
  for (const auto& id : workers) credit += peers.at(id).credit;
  metrics.credit.set(credit);
}

void Ventilator::State::publish_readiness() {
  using core::Readiness;
  const Readiness now = ended                                  ? Readiness::finished
                        : draining || drain_requested.load()   ? Readiness::draining
                                                               : Readiness::ready;
  readiness.store(now, std::memory_order_relaxed);
}

// The batch is over: `done` to every worker, then wait a little for their bye{final} and
// the sink's, so that `done` (or `halt`) is known to have arrived (a process that exits
// right after a send can have its last bytes reset away by TCP) and a worker that missed
// it learns it (after_end).
void Ventilator::State::end_batch() {
  ended = true;
  for (const auto& id : workers) send_to(id, core::Done{});
  awaiting_goodbye = workers;
  if (sink) awaiting_goodbye.push_back(*sink);  // it got `done` or `halt`
  if (awaiting_goodbye.empty()) return loop.quit();
  end_timer->after(std::min<Clock::duration>(silence_limit, kMaxEndWait));
}

Ventilator::Ventilator(zmq::context_t& context, const config::Pipeline& pipeline, const std::string& bind_endpoint,
                       std::optional<std::chrono::milliseconds> sink_timeout)
    : state_(std::make_unique<State>(context, pipeline, bind_endpoint, sink_timeout)) {
  state_->loop.pulse().set_limit(core::stuck_limit(state_->silence_limit));
  core::configure_socket(state_->router);
  state_->router.set(zmq::sockopt::router_mandatory, 1);
  core::bind(state_->router, bind_endpoint);
}

Ventilator::~Ventilator() = default;

std::string Ventilator::endpoint() const { return state_->endpoint(); }

void Ventilator::also_bind(const std::string& endpoint) { core::bind(state_->router, endpoint); }

void Ventilator::want_size() { state_->size_wanted.store(true); }

core::Health Ventilator::health() const {
  const core::LoopPulse& pulse = state_->loop.pulse();
  return {state_->readiness.load(std::memory_order_relaxed), pulse.stuck_for(core::Clock::now()), pulse.limit()};
}

const Metrics& Ventilator::metrics() const { return state_->metrics; }

std::uint64_t Ventilator::in_flight() const { return state_->shown_in_flight.load(std::memory_order_relaxed); }

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
  // A pipe or terminal source with no line yet: readable wakes the loop, turn() reads. Only
  // while dispatch could take an input, or unread data would wake the loop again and again.
  if (const int fd = s.leases.source_fd(); fd >= 0)
    s.loop.watch(
        fd, [&s] { return static_cast<short>(s.leases.waiting_for_source() && s.could_dispatch() ? ZMQ_POLLIN : 0); },
        [](short) {});
  s.beat_timer = &s.loop.timer([&s] { s.beat(); });
  s.sink_timer = &s.loop.timer([&s] { s.check_sink(); });
  s.end_timer = &s.loop.timer([&s] { s.loop.quit(); });
  s.delay_timer = &s.loop.timer([] {});  // its wake-up is the point: turn() dispatches
  s.loop.on_turn([&s] {
    s.turn();
    s.publish_readiness();
    s.publish_metrics(false);
  });
  s.beat_timer->after(s.heartbeat);
  s.lose_sink();  // none yet
  s.publish_readiness();  // bound, and serving from the loop's first poll
  s.loop.run();
  s.readiness.store(core::Readiness::finished);
  s.publish_metrics(true);  // the last turn may have been a timer's
  s.report.dropped = s.faults.total();
  return s.report;
}

}  // namespace zpipe::ventilator
