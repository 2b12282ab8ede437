#include "zpipe/sink/sink.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>

#include "journal.hpp"
#include "journal_fingerprint.hpp"
#include "output_lock.hpp"
#include "record_writer.hpp"
#include "sink_helpers.hpp"
#include "task_files.hpp"
#include "zpipe/core/done_set.hpp"
#include "zpipe/core/histogram.hpp"
#include "zpipe/core/loop.hpp"
#include "zpipe/core/messaging.hpp"
#include "zpipe/core/session.hpp"

namespace zpipe::sink {
namespace {

using core::Clock;
using core::TaskId;

// Messages handled per wake-up before the loop flushes, acks and checks its timers.
constexpr int kMaxDrain = 1024;
constexpr int kDrainStep = 64;  // between two looks at the clock
constexpr auto kMaxDrainTime = std::chrono::milliseconds(100);
// Id ranges per `have` message: keeps each far below the socket's message size limit.
constexpr std::size_t kRangesPerHave = 1u << 20;
constexpr auto kFsyncInterval = std::chrono::seconds(1);
// The longest wait for the ventilator's `done` once every record is written.
constexpr auto kMaxDoneWait = std::chrono::seconds(2);

// A result as it arrived, with what its worker spilled (taken at once: an ordered sink may
// hold it a while).
struct Arrived {
  core::TaskResult result;
  std::string worker;
  std::optional<core::SpilledStreams> spilled;
};

}  // namespace

struct Sink::State {
  State(zmq::context_t& context, const config::Pipeline& p, Options o)
      : pipeline(p),
        options(std::move(o)),
        pull(context, zmq::socket_type::pull),
        session(context, loop, faults,
                {options.ventilator, "sink", p.ventilator.heartbeat, p.ventilator.liveness, options.connect_timeout},
                [this](core::VentilatorSession& s) { hello(s); }, [this](core::Message&& m) { on_control(std::move(m)); }) {
    // In this order: a sink that cannot bind, or whose output another sink holds, must not
    // have read, cut or truncated that output.
    core::configure_socket(pull);
    core::bind(pull, options.bind);
    lock.emplace(options.output);
    // Before the journal is read (and maybe rewritten): records of another task are refused.
    const std::uint64_t fingerprint = journal_fingerprint(p.task);
    if (options.resume && !options.output.empty()) check_journal_fingerprint(options.output, fingerprint, options.resume_failed);
    if (!options.resume && !options.fresh && !options.output.empty()) refuse_existing_output(options.output, fingerprint);
    JournalScan scan = open_journal(options, p);
    journal_max_id = scan.max_id;
    journal_born = scan.born;
    received = std::move(scan.ids);
    written = received.count();
    summary.resumed = written;
    summary.ok = scan.ok;
    summary.failed = scan.failed;
    summary.timeout = scan.timeout;
    publish_progress();
    // A new batch gets a new file, not the old one emptied: its birth time is the batch's
    // start, which a resumed run's summary counts from.
    // (A symlink is kept, and its file truncated: the link is the user's.)
    if (!options.resume && !options.output.empty() &&
        std::filesystem::is_regular_file(std::filesystem::symlink_status(options.output)))
      std::filesystem::remove(options.output);
    writer = open_writer(options.format, options.output, options.resume, options.tag);
    if (!options.output.empty()) write_journal_fingerprint(options.output, fingerprint);
    if (!options.joblog.empty()) joblog.emplace(options.joblog, options.resume, options.command_line);
    advance_order();
  }

  const config::Pipeline& pipeline;
  Options options;
  zmq::socket_t pull;
  core::Loop loop;
  Metrics metrics;  // before `faults`, which counts into it
  core::FaultCounter faults{"sink", &metrics.wire};
  core::VentilatorSession session;
  std::atomic<bool> stop_requested{false};
  std::optional<OutputLock> lock;  // before the writer: released after the file is closed
  // "sink:" and 16 random hex digits, the name of this process in its hello: the
  // ventilator tells a restarted sink from a second one by it.
  const std::string incarnation = fmt::format("sink:{:016x}", random_u64());
  bool ventilator_done = false;  // the ventilator has every ack: the batch is over
  bool closing = false;          // every record written: waiting for `done`
  std::atomic<core::Readiness> readiness{core::Readiness::starting};  // for Sink::health()
  core::Loop::Timer* closing_timer = nullptr;
  std::unique_ptr<RecordWriter> writer;
  std::optional<JobLog> joblog;

  core::DoneSet received;           // ids with a record, or (ordered) waiting for their turn
  std::uint64_t written = 0;        // ids with a record in the file
  core::TaskId journal_max_id = 0;  // the largest id the journal held at start
  std::optional<std::chrono::system_clock::time_point> journal_born;  // the batch's first start
  std::optional<std::uint64_t> total;
  std::atomic<std::uint64_t> shown_recorded{0}, shown_failed{0}, shown_total{0};  // see publish_progress
  // Records for ids beyond the total, written before it was known (a hostile or confused
  // peer, or a journal of a larger batch): they do not count towards the batch's end.
  std::uint64_t beyond_total = 0;
  std::vector<TaskId> unacked;      // written, not yet acknowledged
  std::map<TaskId, Arrived> waiting;  // ordered mode: out of turn
  TaskId next_in_order = 1;
  core::Histogram latency_us;
  Summary summary;
  std::optional<Clock::time_point> started;  // when the ventilator first answered
  Clock::time_point last_sync = Clock::now();

  // Introduces the sink and lists every id it already has a record of, so a (re)started
  // ventilator neither waits for those nor sends them again.
  void hello(core::VentilatorSession& session) {
    session.say(core::Hello{core::Role::sink, config::task_fingerprint(pipeline.task), 0, incarnation});
    core::DoneSet have = received;
    for (const auto& [id, entry] : waiting) have.erase(id);
    const std::vector<core::IdRange> ranges = have.ranges();
    const std::uint64_t failed_total = summary.failed + summary.timeout;
    std::size_t at = 0;
    do {
      const std::size_t n = std::min(kRangesPerHave, ranges.size() - at);
      core::Have message{at + n == ranges.size(), failed_total, {}};
      message.ranges.assign(ranges.begin() + static_cast<std::ptrdiff_t>(at),
                            ranges.begin() + static_cast<std::ptrdiff_t>(at + n));
      session.say(std::move(message));
      at += n;
    } while (at < ranges.size());
  }

  void write(const Arrived& arrived) {
    const core::TaskResult& r = arrived.result;
    const RecordExtras extras = record_extras(r, arrived.spilled ? &*arrived.spilled : nullptr,
                                              pipeline.task.max_output, !options.results.empty());
    writer->write(r, arrived.worker, extras);
    report_cut(r.id, extras);  // after the output, as a failure's line
    if (!options.results.empty()) write_results(options.results, r, extras.spilled);
    ++written;
    unacked.push_back(r.id);
    latency_us.record(r.duration_us);
    metrics.duration.observe_us(r.duration_us);
    metrics.completed.add();
    switch (r.status) {
      case core::TaskStatus::ok: ++summary.ok; break;
      case core::TaskStatus::failed: ++summary.failed; metrics.failed.add(); break;
      case core::TaskStatus::timeout: ++summary.timeout; metrics.timed_out.add(); break;
    }
    publish_progress();
  }

  // For Sink::progress() and metrics(), read by other threads.
  void publish_progress() {
    shown_recorded.store(written, std::memory_order_relaxed);
    shown_failed.store(summary.failed + summary.timeout, std::memory_order_relaxed);
    shown_total.store(total.value_or(0), std::memory_order_relaxed);
    metrics.recorded.set(written);
    metrics.batch_tasks.set(total.value_or(0));
  }

  // "zpipe: task 7: output cut at 10 MiB (--max-output)", in command mode.
  void report_cut(TaskId id, const RecordExtras& extras) const {
    if (options.cut_limit_name.empty()) return;
    for (const auto& [cut, stream] : {std::pair{extras.output_cut, "output"}, std::pair{extras.stderr_cut, "stderr"}})
      if (cut)
        std::fprintf(stderr, "zpipe: task %llu: %s cut at %s (%s)\n", static_cast<unsigned long long>(id), stream,
                     size_text(pipeline.task.max_output).c_str(), options.cut_limit_name.c_str());
  }

  // Ordered mode: writes waiting records whose turn has come, skipping ids the journal had.
  void advance_order() {
    for (;;) {
      auto it = waiting.find(next_in_order);
      if (it != waiting.end()) {
        write(it->second);
        waiting.erase(it);
      } else if (!received.contains(next_in_order)) {
        return;
      }
      ++next_in_order;
    }
  }

  // An id no ventilator can have dispatched yet: beyond the total, or beyond what the
  // window allows past the results already here.
  bool impossible_id(TaskId id) const {
    if (total) return id > *total;
    return id > received.count() + pipeline.ventilator.window;
  }

  void on_results(core::Results&& results) {
    for (auto& r : results.items) {
      if (impossible_id(r.id)) {
        faults.count("result for unknown id");
        continue;
      }
      std::optional<core::SpilledStreams> spilled = options.spills ? options.spills->take(r.id) : std::nullopt;
      if (!received.insert(r.id)) {
        // A redelivered task's second result. Ack it again if its record is written: the
        // ventilator may hold a lease that an ack lost with a crashed sink never released.
        ++summary.duplicates;
        metrics.duplicates.add();
        if (!options.ordered || r.id < next_in_order) unacked.push_back(r.id);
        continue;
      }
      // In the order tasks finished, as parallel's.
      if (joblog) joblog->record(r, spilled ? &*spilled : nullptr, std::chrono::system_clock::now());
      Arrived arrived{std::move(r), results.worker, std::move(spilled)};
      if (!options.ordered) {
        write(arrived);
        continue;
      }
      const TaskId id = arrived.result.id;
      waiting.emplace(id, std::move(arrived));
      advance_order();
    }
  }

  // Only what the writer has flushed is acknowledged: an ack is a promise the record exists.
  void flush_and_ack() {
    if (unacked.empty()) return;
    const auto now = Clock::now();
    if (options.fsync == Fsync::always || (options.fsync == Fsync::interval && now - last_sync >= kFsyncInterval)) {
      writer->sync();
      last_sync = now;
    } else {
      writer->flush();
    }
    if (joblog) joblog->flush();
    session.say(core::Ack{summary.failed + summary.timeout, core::to_ranges(unacked)});
    unacked.clear();
  }

  void on_control(core::Message&& m) {
    if (const auto* t = std::get_if<core::Total>(&m)) {
      total = t->total;
      publish_progress();
      if (journal_max_id > *total)
        throw std::runtime_error(fmt::format(
            "{}: the journal holds a record of id {}, beyond the batch's {} tasks (the journal of another batch?); "
            "move the file away, or start the sink with --fresh",
            options.output, journal_max_id, *total));
      count_beyond_total();
      spdlog::debug("sink: batch total {}", t->total);
    } else if (std::holds_alternative<core::Done>(m)) {
      ventilator_done = true;
    } else if (auto* halt = std::get_if<core::Halt>(&m)) {
      summary.halted = halt->reason.empty() ? "halted by the ventilator" : halt->reason;
    } else if (const auto* refuse = std::get_if<core::Refuse>(&m)) {
      throw std::runtime_error("sink refused by the ventilator: " + refuse->reason);
    } else {
      faults.count("unexpected message type");
    }
  }

  // Bounded by count and by time: big results must not keep the sink from its heartbeat,
  // or the ventilator would presume it dead while it is only busy.
  void receive_results() {
    const auto until = Clock::now() + kMaxDrainTime;
    bool more = true;
    for (int taken = 0; more && taken < kMaxDrain && Clock::now() < until; taken += kDrainStep) {
      more = core::receive_waiting(pull, false, faults, kDrainStep, [this](core::Received&& in) {
        if (auto* results = std::get_if<core::Results>(&in.message)) {
          on_results(std::move(*results));
        } else {
          faults.count("unexpected message type");
        }
      });
    }
  }

  // After every turn, for Sink::health(). The stuck limit follows the session's silence
  // limit, which the ventilator's welcome may have changed.
  void publish_health() {
    using core::Readiness;
    const Readiness now = stop_requested.load()                                    ? Readiness::draining
                          : closing || ventilator_done || !summary.halted.empty() ? Readiness::finished
                          : session.in_session()                                   ? Readiness::ready
                                                                                   : Readiness::waiting_for_ventilator;
    readiness.store(now, std::memory_order_relaxed);
    loop.pulse().set_limit(core::stuck_limit(session.silence_limit()));
  }

  // After every wake-up: acknowledge what was written, and decide whether we are done.
  void turn() {
    if (!started && session.welcomed()) started = Clock::now();
    flush_and_ack();
    if (stop_requested.load()) {
      session.say(core::Bye{true, {}});  // gone: a successor need not wait for our silence
      return loop.quit();
    }
    if (!summary.halted.empty() || ventilator_done) {
      session.say(core::Bye{true, {}});  // the ventilator waits for it: `done` arrived
      return loop.quit();
    }
    // Every record is written: stay until the ventilator's `done` says our last acks
    // arrived (a process that exits right after a send can have its last bytes reset away
    // by TCP), but not forever: a ventilator may be gone.
    if (all_written() && !closing) {
      closing = true;
      closing_timer->after(std::min<Clock::duration>(session.silence_limit(), kMaxDoneWait));
    }
  }

  // Ordered mode: results waiting beyond the total will never be written. Then counts the
  // records written beyond it (later ones are dropped as impossible ids).
  void count_beyond_total() {
    for (auto it = waiting.upper_bound(*total); it != waiting.end();) {
      received.erase(it->first);
      it = waiting.erase(it);
    }
    beyond_total = 0;
    for (const core::IdRange& range : received.ranges()) {
      const TaskId end = range.first + range.count;
      if (end > *total + 1) beyond_total += end - std::max(range.first, *total + 1);
    }
    if (beyond_total > 0)
      spdlog::warn("sink: {} records have ids beyond the batch total {}", beyond_total, *total);
  }

  // Every id 1..total has its record.
  bool all_written() const { return total && written - beyond_total >= *total; }
};

Sink::Sink(zmq::context_t& context, const config::Pipeline& pipeline, Options options)
    : state_(std::make_unique<State>(context, pipeline, std::move(options))) {}

Sink::~Sink() = default;

std::string Sink::endpoint() const { return state_->pull.get(zmq::sockopt::last_endpoint); }

void Sink::also_bind(const std::string& endpoint) { core::bind(state_->pull, endpoint); }

Progress Sink::progress() const {
  const State& s = *state_;
  return {s.shown_recorded.load(std::memory_order_relaxed), s.shown_failed.load(std::memory_order_relaxed),
          s.shown_total.load(std::memory_order_relaxed)};
}

const Metrics& Sink::metrics() const { return state_->metrics; }

core::Health Sink::health() const {
  const core::LoopPulse& pulse = state_->loop.pulse();
  return {state_->readiness.load(std::memory_order_relaxed), pulse.stuck_for(core::Clock::now()), pulse.limit()};
}

void Sink::stop() {
  state_->stop_requested.store(true);
  state_->loop.wake();
}

Summary Sink::run() {
  State& s = *state_;
  s.loop.watch(s.pull, [&s] { s.receive_results(); });
  s.loop.on_turn([&s] {
    s.turn();
    s.publish_health();
  });
  s.closing_timer = &s.loop.timer([&s] { s.loop.quit(); });
  s.session.start();
  s.publish_health();
  s.loop.run();
  s.readiness.store(core::Readiness::finished);
  s.flush_and_ack();
  s.writer->sync();

  Summary& sum = s.summary;
  sum.total = s.total.value_or(s.written);
  sum.completed = s.all_written();
  sum.dropped = s.faults.total();
  if (s.started) sum.wall_seconds = std::chrono::duration<double>(Clock::now() - *s.started).count();
  if (sum.resumed > 0 && s.journal_born)
    sum.batch_seconds = std::chrono::duration<double>(std::chrono::system_clock::now() - *s.journal_born).count();
  sum.p50_ms = static_cast<double>(s.latency_us.quantile(0.50)) / 1000.0;
  sum.p95_ms = static_cast<double>(s.latency_us.quantile(0.95)) / 1000.0;
  sum.p99_ms = static_cast<double>(s.latency_us.quantile(0.99)) / 1000.0;
  sum.max_ms = static_cast<double>(s.latency_us.max()) / 1000.0;
  return sum;
}

}  // namespace zpipe::sink
