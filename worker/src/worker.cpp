#include "zpipe/worker/worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include <spdlog/spdlog.h>

#include "credit_policy.hpp"
#include "executor.hpp"
#include "zpipe/core/messaging.hpp"
#include "zpipe/worker/process.hpp"

namespace zpipe::worker {
namespace {

using Clock = std::chrono::steady_clock;

// Results per message are capped by bytes too, so big outputs never make a message
// that the sink's size limit would reject.
constexpr std::size_t kMaxResultBatchBytes = 8u << 20;

}  // namespace

std::string default_worker_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "localhost") + ":" + std::to_string(::getpid());
}

struct Worker::State {
  State(zmq::context_t& context, const config::Pipeline& p, Options o)
      : pipeline(p),
        options(std::move(o)),
        fingerprint(config::task_fingerprint(p.task)),
        policy(p.workers.slots, p.workers.prefetch),
        capacity(policy.target()),
        dealer(context, zmq::socket_type::dealer),
        push(context, zmq::socket_type::push),
        heartbeat(p.ventilator.heartbeat),
        silence_limit(p.ventilator.heartbeat * p.ventilator.liveness),
        pool(make_executor(p.task, p.workers.slots)) {
    if (options.name.empty()) options.name = default_worker_name();
    pending.worker = options.name;
  }

  const config::Pipeline& pipeline;
  Options options;
  std::uint64_t fingerprint;
  CreditPolicy policy;
  std::uint32_t capacity;  // tasks we have asked for: held + credit the ventilator has
  zmq::socket_t dealer;
  zmq::socket_t push;
  Clock::duration heartbeat;
  Clock::duration silence_limit;
  core::FaultCounter faults{"worker"};

  std::uint32_t held = 0;            // tasks received and not finished
  std::uint32_t credit_to_return = 0;
  core::Results pending;                   // finished, not yet handed to the push socket
  std::size_t pending_bytes = 0;           // input + output + error bytes in `pending`
  std::vector<core::TaskResult> finished;  // scratch for SlotPool::take_results
  bool batch_done = false;
  std::optional<Clock::time_point> leaving_until;  // draining: the end of the grace period
  Clock::time_point last_heard = Clock::now();
  Report report;
  std::unique_ptr<Executor> pool;  // last: it is destroyed first (slot threads may still run)

  // Never blocks the loop: if the ventilator is unreachable long enough to fill the queue,
  // a lost heartbeat or credit is repaired by the hello sent after its silence.
  void say(const core::Message& m) {
    if (!core::try_send(dealer, m)) spdlog::debug("worker '{}': ventilator queue full", options.name);
  }

  void hello() {
    say(core::Hello{core::Role::worker, fingerprint, capacity - std::min(held, capacity), options.name});
    credit_to_return = 0;
  }

  // Returns false when the worker must stop (refused).
  bool handle(core::Received&& in) {
    last_heard = Clock::now();
    if (auto* tasks = std::get_if<core::Tasks>(&in.message)) {
      held += static_cast<std::uint32_t>(tasks->items.size());
      pool->submit(std::move(tasks->items));
    } else if (std::holds_alternative<core::Done>(in.message)) {
      batch_done = true;
    } else if (auto* refuse = std::get_if<core::Refuse>(&in.message)) {
      report.refused = true;
      report.refusal = refuse->reason;
      return false;
    } else if (!std::holds_alternative<core::Welcome>(in.message) &&
               !std::holds_alternative<core::Heartbeat>(in.message)) {
      faults.count("unexpected message type");
    }
    return true;
  }

  // Starts a graceful exit: unstarted tasks go back to the ventilator at once.
  void leave() {
    leaving_until = Clock::now() + pipeline.workers.grace;
    core::Bye bye;
    for (const auto& item : pool->take_queued()) bye.returned.push_back(item.id);
    held -= std::min(held, static_cast<std::uint32_t>(bye.returned.size()));
    say(bye);
    spdlog::info("worker '{}': leaving; handed back {} tasks, finishing {}", options.name, bye.returned.size(), held);
  }

  void collect_results() {
    pool->take_results(finished);
    const auto n = static_cast<std::uint32_t>(finished.size());
    for (const auto& r : finished) {
      policy.observe(r.duration_us);
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

  static std::size_t result_bytes(const core::TaskResult& r) { return r.input.size() + r.output.size() + r.error.size(); }

  // Hands pending results to the push socket without blocking; returns true if all went.
  bool flush_results() {
    if (pending.items.empty()) return true;
    if (pending_bytes <= kMaxResultBatchBytes) {  // the usual case: everything in one message
      if (!core::try_send(push, pending)) return false;
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
      if (!core::try_send(push, batch)) {
        std::move(batch.items.begin(), batch.items.end(), first);  // put back, retry later
        break;
      }
      pending_bytes -= bytes;
      sent = end;
    }
    pending.items.erase(pending.items.begin(), pending.items.begin() + static_cast<std::ptrdiff_t>(sent));
    return pending.items.empty();
  }
};

Worker::Worker(zmq::context_t& context, const config::Pipeline& pipeline, Options options)
    : state_(std::make_unique<State>(context, pipeline, std::move(options))) {
  State& s = *state_;
  core::configure_socket(s.dealer, std::chrono::milliseconds(1000));
  core::configure_socket(s.push, std::chrono::milliseconds(5000));
  core::connect(s.dealer, s.options.ventilator);
  core::connect(s.push, s.options.sink);
}

Worker::~Worker() = default;

void Worker::stop() { stop_.store(true); }

void Worker::drain() { drain_.store(true); }

Report Worker::run() {
  State& s = *state_;
  s.hello();
  auto next_heartbeat = Clock::now() + s.heartbeat;
  while (!stop_.load()) {
    zmq::pollitem_t items[] = {
        {s.dealer.handle(), 0, ZMQ_POLLIN, 0},
        {nullptr, s.pool->event_fd(), ZMQ_POLLIN, 0},
        {s.push.handle(), 0, static_cast<short>(s.pending.items.empty() ? 0 : ZMQ_POLLOUT), 0},
    };
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_heartbeat - Clock::now());
    zmq::poll(items, 3, std::clamp(wait, std::chrono::milliseconds(0), std::chrono::milliseconds(100)));

    for (;;) {
      std::optional<core::Received> in = core::try_receive(s.dealer, false, s.faults);
      if (!in) {
        if (!(s.dealer.get(zmq::sockopt::events) & ZMQ_POLLIN)) break;
        continue;
      }
      if (!s.handle(std::move(*in))) {
        spdlog::error("worker '{}': refused by the ventilator: {}", s.options.name, s.report.refusal);
        s.report.dropped = s.faults.total();
        return s.report;
      }
    }
    if (items[1].revents & ZMQ_POLLIN) s.collect_results();
    // Stopped: abandon what we hold. Checked after collecting, so the result of a task
    // killed by an abort (stop, then kill_running_processes) is never pushed as a failure.
    if (stop_.load()) break;
    s.flush_results();
    if (s.leaving_until) s.credit_to_return = 0;  // a leaving worker asks for nothing more
    if (s.credit_to_return > 0) {
      s.say(core::Credit{s.credit_to_return});
      s.credit_to_return = 0;
    }

    const auto now = Clock::now();
    if (now >= next_heartbeat) {
      if (now - s.last_heard > s.silence_limit) {
        // The ventilator is gone or restarted: introduce ourselves again (any start order works).
        spdlog::debug("worker '{}': ventilator silent, saying hello again", s.options.name);
        s.hello();
        s.last_heard = now;
      } else {
        s.say(core::Heartbeat{});
      }
      next_heartbeat = now + s.heartbeat;
    }
    if (drain_.load() && !s.leaving_until) s.leave();
    if (s.leaving_until && ((s.held == 0 && s.pending.items.empty()) || now >= *s.leaving_until)) {
      if (s.held > 0) {
        // Grace is over: what still runs is killed and, never recorded, runs again elsewhere.
        spdlog::warn("worker '{}': grace period over; killing {} running tasks", s.options.name, s.held);
        kill_running_processes();
      }
      s.say(core::Bye{true, {}});
      break;
    }
    if (s.batch_done && s.held == 0 && s.pending.items.empty()) {
      if (!s.options.keep_alive) break;
      s.batch_done = false;  // wait for the next batch's ventilator
    }
  }
  s.report.dropped = s.faults.total();
  return s.report;
}

}  // namespace zpipe::worker
