#include "zpipe/worker/worker.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>

#include "credit_policy.hpp"
#include "recent_pushes.hpp"
#include "result_fit.hpp"
#include "executor.hpp"
#include "zpipe/core/connection_monitor.hpp"
#include "zpipe/core/loop.hpp"
#include "zpipe/core/messaging.hpp"
#include "zpipe/core/session.hpp"
#include "zpipe/core/wait_warnings.hpp"
#include "zpipe/worker/process.hpp"

namespace zpipe::worker {
namespace {

// Results per message are capped by bytes too, so big outputs never make a message
// that the sink's size limit would reject.
constexpr std::size_t kMaxResultBatchBytes = 8u << 20;
// How long without a connection to the sink before the first warning.
constexpr auto kFirstSinkWarning = std::chrono::seconds(1);
using core::Clock;

}  // namespace

struct Worker::State {
  State(zmq::context_t& context, const config::Pipeline& p, Options o)
      : pipeline(p),
        options(with_default_name(std::move(o))),
        fingerprint(config::task_fingerprint(p.task)),
        policy(p.workers.slots, p.workers.prefetch),
        capacity(policy.target()),
        session(context, loop, faults, session_settings(p, options), [this](core::VentilatorSession& s) { hello(s); },
                [this](core::Message&& m) { on_message(std::move(m)); }),
        push(context, zmq::socket_type::push),
        waiting_for_sink(fmt::format("worker '{}': no connection to the sink at {}", options.name, options.sink),
                         "results wait for it",
                         fmt::format("worker '{}': connected to the sink at {}", options.name, options.sink),
                         options.connect_timeout),
        pool(make_executor(p.task, p.workers.slots, processes, options.output, &metrics.retried)) {
    pending.worker = options.name;
    core::configure_socket(push);
    // Results unacknowledged by the sink's host for a silence period end the connection: a
    // sink whose host vanished (a deleted pod, a dead node: no reset comes back) is then
    // seen gone, its name resolved again at the next connect, and what was pushed over the
    // dead connection is named to the ventilator (on_sink_connection).
    push.set(zmq::sockopt::tcp_maxrt, static_cast<int>(silence_limit().count()));
    // ZMTP pings find a dead connection within a silence period even when TCP's backoff
    // between retransmissions would take seconds longer, and when nothing is being pushed.
    // (A frozen sink's connection is dropped too: what it held is named as above, and the
    // sink drops what it already has.)
    push.set(zmq::sockopt::heartbeat_ivl, static_cast<int>(pipeline.ventilator.heartbeat.count()));
    push.set(zmq::sockopt::heartbeat_timeout, static_cast<int>(silence_limit().count()));
    sink_timer = &loop.timer([this] { check_sink(); });
    unsent_timer = &loop.timer([this] { report_unsent(); });
    if (core::ConnectionMonitor::applies_to(options.sink)) {
      sink_monitor.emplace(context, push, loop, [this](bool up) { on_sink_connection(up); });
      on_sink_connection(false);  // until the handshake says otherwise
    }
    core::connect(push, options.sink);
  }

  static Options with_default_name(Options o) {
    if (o.name.empty()) o.name = default_worker_name();
    return o;
  }
  static core::SessionSettings session_settings(const config::Pipeline& p, const Options& o) {
    return {o.ventilator, fmt::format("worker '{}'", o.name), p.ventilator.heartbeat, p.ventilator.liveness,
            o.connect_timeout};
  }

  const config::Pipeline& pipeline;
  Options options;
  std::uint64_t fingerprint;
  CreditPolicy policy;
  std::uint32_t capacity;  // tasks we have asked for: held + credit the ventilator has
  core::Loop loop;
  Metrics metrics;  // before `faults`, which counts into it
  core::FaultCounter faults{"worker", &metrics.wire};
  core::VentilatorSession session;
  zmq::socket_t push;
  ProcessGroups processes;  // this worker's running children, for abort() and the grace period
  std::optional<core::ConnectionMonitor> sink_monitor;  // for tcp:// and ipc:// sinks
  core::WaitWarnings waiting_for_sink;
  Clock::time_point sink_missing_since;
  core::Loop::Timer* sink_timer = nullptr;
  core::Loop::Timer* unsent_timer = nullptr;

  std::atomic<bool> drain_requested{false};
  std::atomic<bool> abort_requested{false};
  std::uint32_t held = 0;            // tasks received and not finished
  std::uint32_t credit_to_return = 0;
  core::Results pending;                   // finished, not yet handed to the push socket
  std::size_t pending_bytes = 0;           // input + output + error bytes in `pending`
  const bool in_process_sink = options.sink.starts_with("inproc://");  // no message size limit
  RecentPushes pushes;  // named to the ventilator (unsent) after the sink connection dropped
  bool sink_was_up = false;
  std::vector<core::TaskResult> finished;  // scratch for Executor::take_results
  bool batch_done = false;
  bool leaving = false;                    // draining: bye{final=0} sent
  core::Loop::Timer* grace_timer = nullptr;
  std::atomic<core::Readiness> readiness{core::Readiness::starting};  // for Worker::health()
  Report report;
  std::unique_ptr<Executor> pool;  // last: it is destroyed first (slot threads may still run)

  void hello(core::VentilatorSession& s) {
    const std::uint32_t free = leaving ? 0 : capacity - std::min(held, capacity);
    s.say(core::Hello{core::Role::worker, fingerprint, free, options.name, policy.prefetch()});
    credit_to_return = 0;  // the hello's credit counts it
  }

  void on_message(core::Message&& m) {
    if (auto* tasks = std::get_if<core::Tasks>(&m)) {
      if (leaving) return hand_back(std::move(tasks->items));
      held += static_cast<std::uint32_t>(tasks->items.size());
      pool->submit(std::move(tasks->items));
    } else if (std::holds_alternative<core::Done>(m)) {
      batch_done = true;
      pushes.forget();  // the batch is complete: the sink has every result
    } else if (auto* halt = std::get_if<core::Halt>(&m)) {
      halt_now(halt->reason);
    } else if (auto* refuse = std::get_if<core::Refuse>(&m)) {
      report.refused = true;
      report.refusal = refuse->reason;
      spdlog::error("worker '{}': refused by the ventilator: {}", options.name, refuse->reason);
      loop.quit();
    } else {
      faults.count("unexpected message type");
    }
  }

  // Nothing else would tell: PUSH queues results towards a sink that is not there.
  std::chrono::milliseconds silence_limit() const {
    return pipeline.ventilator.heartbeat * std::max(1u, pipeline.ventilator.liveness);
  }

  void remember_pushed(const std::vector<core::TaskResult>& items, std::size_t from, std::size_t to) {
    const Clock::time_point now = Clock::now();
    pushes.pushed(items, from, to, now, now - 2 * silence_limit() - std::chrono::seconds(1));
  }

  void on_sink_connection(bool up) {
    if (!up && sink_was_up && pushes.any_recent() && session.welcomed()) {
      // The data of a connection that dies is lost with it. The ventilator runs again what
      // the sink has not acknowledged; the sink drops what it did get after all. Said a
      // moment later: a sink that ends with its batch closes its connections just before
      // the ventilator's `done` arrives, and then there is nothing to say.
      pushes.connection_dropped();
      if (!unsent_timer->armed()) unsent_timer->after(std::min<Clock::duration>(pipeline.ventilator.heartbeat, RecentPushes::kNameAfter));
    }
    sink_was_up = up;
    if (up) {
      waiting_for_sink.over(sink_missing_since);
      sink_timer->cancel();
    } else {
      sink_missing_since = Clock::now();
      sink_timer->at(sink_missing_since + kFirstSinkWarning);
    }
  }
  void report_unsent() {
    if (!pushes.any_suspect() || batch_done) return;
    core::Unsent unsent = pushes.take_suspect();
    spdlog::warn("worker '{}': the connection to the sink dropped; naming {} results pushed lately to the ventilator",
                 options.name, unsent.ids.size());
    session.say(std::move(unsent));
  }

  // The wait for the sink counts from the ventilator's welcome: without a ventilator there
  // are no results to push, and its own warnings say what is wrong.
  void check_sink() {
    if (!session.welcomed()) sink_missing_since = Clock::now();
    sink_timer->at(waiting_for_sink.check(sink_missing_since, kFirstSinkWarning));
  }

  // Left over from a batch that ended without us (frozen or cut off when `done` went out):
  // nothing held, a ventilator we knew silent for long, and no connection to it. A frozen
  // or busy ventilator keeps its connection up: its workers wait for it. The session's beat
  // wakes the loop every heartbeat, so turn() sees it.
  bool orphaned() const {
    if (options.keep_alive || !session.welcomed()) return false;  // any start order; k8s waits
    const auto& configured = pipeline.workers.orphan_after;
    const Clock::duration limit = configured ? Clock::duration(*configured) : 3 * session.silence_limit();
    if (session.silence() < limit || session.connected()) return false;
    spdlog::warn("worker '{}': no answer from the ventilator at {} for {:.0f} s and no task held: the batch "
                 "ended without this worker; exiting",
                 options.name, options.ventilator, std::chrono::duration<double>(session.silence()).count());
    return true;
  }

  // The ventilator halts the batch now (--halt now,...): what finished is pushed, what runs
  // is killed and never recorded, and we leave.
  void halt_now(const std::string& reason) {
    spdlog::info("worker '{}': {}; killing {} running tasks", options.name, reason, held);
    collect_results();
    flush_results();
    abort_requested.store(true);  // turn() pushes nothing more: a killed task is no result
    processes.kill_all();
    finish();
  }

  // Tasks that reached a leaving worker (sent before its bye arrived): never started.
  void hand_back(std::vector<core::TaskItem>&& items) {
    core::Bye bye;
    for (const auto& item : items) bye.returned.push_back(item.id);
    session.say(std::move(bye));
  }

  // Starts a graceful exit: unstarted tasks go back to the ventilator at once.
  void leave() {
    leaving = true;
    grace_timer->after(pipeline.workers.grace);
    std::vector<core::TaskItem> queued = pool->take_queued();
    held -= std::min(held, static_cast<std::uint32_t>(queued.size()));
    spdlog::info("worker '{}': leaving; handed back {} tasks, finishing {}", options.name, queued.size(), held);
    hand_back(std::move(queued));
  }

  // Grace is over: what still runs is killed and, never recorded, runs again elsewhere.
  void on_grace_over() {
    flush_results();  // finished before the kill: theirs are real results
    if (held > 0) {
      spdlog::warn("worker '{}': grace period over; killing {} running tasks", options.name, held);
      processes.kill_all();
    }
    finish();
  }

  // Leaving for good: bye{final} tells the ventilator (which waits for it at the batch's
  // end) that nothing more comes from us.
  void finish() {
    session.say(core::Bye{true, {}});
    loop.quit();
  }

  void collect_results() {
    pool->take_results(finished);
    const auto n = static_cast<std::uint32_t>(finished.size());
    for (auto& r : finished) {
      policy.observe(r.duration_us);
      if (!in_process_sink) fit_in_one_message(r);
      pending_bytes += result_bytes(r);
    }
    held -= std::min(held, n);
    credit_to_return += n;
    // Grow or shrink what we hold by adjusting the credit we hand back.
    const std::uint32_t target = policy.target();
    if (target > capacity) {
      credit_to_return += target - capacity;
      capacity = target;
    } else if (target < capacity) {
      const std::uint32_t withheld = std::min(capacity - target, credit_to_return);
      credit_to_return -= withheld;
      capacity -= withheld;
    }
    report.tasks += n;
    if (pending.items.empty()) {
      pending.items.swap(finished);
    } else {
      std::move(finished.begin(), finished.end(), std::back_inserter(pending.items));
    }
  }

  void count_pushed(const std::vector<core::TaskResult>& items) {
    metrics.completed.add(items.size());
    for (const auto& r : items) {
      if (r.status == core::TaskStatus::failed) metrics.failed.add();
      if (r.status == core::TaskStatus::timeout) metrics.timed_out.add();
    }
  }

  static std::size_t result_bytes(const core::TaskResult& r) { return r.input.size() + r.output.size() + r.error.size(); }

  // Hands pending results to the push socket without blocking; returns true if all went.
  bool flush_results() {
    if (pending.items.empty()) return true;
    if (pending_bytes <= kMaxResultBatchBytes) {  // the usual case: everything in one message
      if (!core::try_send(push, pending, {}, &metrics.wire)) return false;
      count_pushed(pending.items);
      if (sink_monitor) remember_pushed(pending.items, 0, pending.items.size());
      pending.items.clear();
      pending_bytes = 0;
      return true;
    }
    // Big outputs: split so that no message exceeds the sink's size limit.
    std::size_t sent = 0;
    while (sent < pending.items.size()) {
      core::Results batch;
      batch.worker = options.name;
      std::size_t bytes = 0, end = sent;
      while (end < pending.items.size() && (end == sent || bytes < kMaxResultBatchBytes))
        bytes += result_bytes(pending.items[end++]);
      const auto first = pending.items.begin() + static_cast<std::ptrdiff_t>(sent);
      const auto last = pending.items.begin() + static_cast<std::ptrdiff_t>(end);
      batch.items.assign(std::make_move_iterator(first), std::make_move_iterator(last));
      if (!core::try_send(push, batch, {}, &metrics.wire)) {
        std::move(batch.items.begin(), batch.items.end(), first);  // put back, retry later
        break;
      }
      count_pushed(batch.items);
      if (sink_monitor) remember_pushed(batch.items, 0, batch.items.size());
      pending_bytes -= bytes;
      sent = end;
    }
    pending.items.erase(pending.items.begin(), pending.items.begin() + static_cast<std::ptrdiff_t>(sent));
    return pending.items.empty();
  }

  // After every turn, for Worker::health(). The stuck limit follows the session's silence
  // limit, which the ventilator's welcome may have changed.
  void publish_health() {
    using core::Readiness;
    const Readiness now = abort_requested.load() || (batch_done && !options.keep_alive) ? Readiness::finished
                          : leaving || drain_requested.load()                            ? Readiness::draining
                          : session.in_session()                                         ? Readiness::ready
                                                                                         : Readiness::waiting_for_ventilator;
    readiness.store(now, std::memory_order_relaxed);
    loop.pulse().set_limit(core::stuck_limit(session.silence_limit()));
    metrics.in_flight.set(held);
  }

  // After every wake-up: push results, return credit, and decide whether we are done.
  void turn() {
    // Checked after results were collected and before any is pushed: the result of a task
    // killed by abort() is never pushed as a failure.
    if (abort_requested.load()) return loop.quit();
    if (loop.quitting()) return;
    flush_results();
    if (leaving) credit_to_return = 0;  // a leaving worker asks for nothing more
    if (credit_to_return > 0) {
      session.say(core::Credit{credit_to_return, policy.prefetch()});
      credit_to_return = 0;
    }
    if (drain_requested.load() && !leaving) leave();
    const bool idle = held == 0 && pending.items.empty();
    if (leaving && idle) return finish();
    if (idle && orphaned()) return finish();
    if (batch_done && idle) {
      if (!options.keep_alive) return finish();
      session.say(core::Bye{true, {}});  // gone from this batch; the next ventilator gets a hello
      batch_done = false;
    }
  }
};

Worker::Worker(zmq::context_t& context, const config::Pipeline& pipeline, Options options)
    : state_(std::make_unique<State>(context, pipeline, std::move(options))) {}

Worker::~Worker() = default;

void Worker::drain() {
  state_->drain_requested.store(true);
  state_->loop.wake();
}

void Worker::abort() {
  // Stopped first: a task killed next must not be pushed as a failure (see turn()).
  state_->abort_requested.store(true);
  state_->loop.wake();
  state_->processes.kill_all();
}

const Metrics& Worker::metrics() const { return state_->metrics; }

core::Health Worker::health() const {
  const core::LoopPulse& pulse = state_->loop.pulse();
  return {state_->readiness.load(std::memory_order_relaxed), pulse.stuck_for(core::Clock::now()), pulse.limit()};
}

Report Worker::run() {
  State& s = *state_;
  s.loop.watch(s.pool->event_fd(), [&s] { s.collect_results(); });
  // Writable wakes the loop; turn() does the flushing, after its abort check.
  s.loop.watch(
      s.push, [&s] { return static_cast<short>(s.pending.items.empty() ? 0 : ZMQ_POLLOUT); }, [](short) {});
  s.grace_timer = &s.loop.timer([&s] { s.on_grace_over(); });
  s.loop.on_turn([&s] {
    s.turn();
    s.publish_health();
  });
  s.session.start();
  s.publish_health();
  s.loop.run();
  s.readiness.store(core::Readiness::finished);
  s.metrics.in_flight.set(0);  // what it held went back, or will run again elsewhere
  s.report.dropped = s.faults.total();
  return s.report;
}

}  // namespace zpipe::worker
