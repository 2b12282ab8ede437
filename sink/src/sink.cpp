#include "zpipe/sink/sink.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>

#include "journal.hpp"
#include "record_writer.hpp"
#include "zpipe/core/done_set.hpp"
#include "zpipe/core/histogram.hpp"
#include "zpipe/core/messaging.hpp"

namespace zpipe::sink {
namespace {

using Clock = std::chrono::steady_clock;
using core::TaskId;

// Messages handled per wake-up before the loop flushes, acks and checks its timers.
constexpr int kMaxDrain = 1024;
constexpr auto kMaxDrainTime = std::chrono::milliseconds(100);
// Id ranges per `have` message: keeps each far below the socket's message size limit.
constexpr std::size_t kRangesPerHave = 1u << 20;
constexpr auto kFsyncInterval = std::chrono::seconds(1);

JournalScan open_journal(const Options& o) {
  if (!o.resume || o.output.empty()) return {};
  JournalScan scan = scan_journal(o.output, o.resume_failed);
  if (scan.torn_bytes > 0)
    spdlog::warn("sink: {}: cut a torn last line ({} bytes) left by a crash", o.output, scan.torn_bytes);
  if (scan.dropped > 0) spdlog::info("sink: {}: removed {} failed records to run again", o.output, scan.dropped);
  spdlog::info("sink: {}: resuming with {} records already there", o.output, scan.ids.count());
  return scan;
}

}  // namespace

struct Sink::State {
  State(zmq::context_t& context, const config::Pipeline& p, Options o)
      : pipeline(p),
        options(std::move(o)),
        pull(context, zmq::socket_type::pull),
        dealer(context, zmq::socket_type::dealer),
        heartbeat(p.ventilator.heartbeat),
        silence_limit(p.ventilator.heartbeat * p.ventilator.liveness) {
    JournalScan scan = open_journal(options);
    received = std::move(scan.ids);
    written = received.count();
    summary.resumed = written;
    summary.ok = scan.ok;
    summary.failed = scan.failed;
    summary.timeout = scan.timeout;
    writer = open_writer(options.format, options.output, options.resume);
    advance_order();
  }

  const config::Pipeline& pipeline;
  Options options;
  zmq::socket_t pull;
  zmq::socket_t dealer;
  std::unique_ptr<RecordWriter> writer;
  Clock::duration heartbeat;
  Clock::duration silence_limit;
  core::FaultCounter faults{"sink"};

  core::DoneSet received;           // ids with a record, or (ordered) waiting for their turn
  std::uint64_t written = 0;        // ids with a record in the file
  std::optional<std::uint64_t> total;
  // Records for ids beyond the total, written before it was known (a hostile or confused
  // peer, or a journal of a larger batch): they do not count towards the batch's end.
  std::uint64_t beyond_total = 0;
  std::vector<TaskId> unacked;      // written, not yet acknowledged
  std::map<TaskId, std::pair<core::TaskResult, std::string>> waiting;  // ordered mode: out of turn
  TaskId next_in_order = 1;
  core::Histogram latency_us;
  Summary summary;
  std::optional<Clock::time_point> started;  // when the ventilator first answered
  Clock::time_point last_heard = Clock::now();
  Clock::time_point last_sync = Clock::now();

  void say(const core::Message& m) {
    if (!core::try_send(dealer, m)) spdlog::debug("sink: ventilator queue full");
  }

  // Introduces the sink and lists every id it already has a record of, so a (re)started
  // ventilator neither waits for those nor sends them again.
  void hello() {
    say(core::Hello{core::Role::sink, config::task_fingerprint(pipeline.task), 0, "sink"});
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
      core::send(dealer, message);
      at += n;
    } while (at < ranges.size());
  }

  void write(const core::TaskResult& r, const std::string& worker) {
    writer->write(r, worker);
    ++written;
    unacked.push_back(r.id);
    latency_us.record(r.duration_us);
    switch (r.status) {
      case core::TaskStatus::ok: ++summary.ok; break;
      case core::TaskStatus::failed: ++summary.failed; break;
      case core::TaskStatus::timeout: ++summary.timeout; break;
    }
  }

  // Ordered mode: writes waiting records whose turn has come, skipping ids the journal had.
  void advance_order() {
    for (;;) {
      auto it = waiting.find(next_in_order);
      if (it != waiting.end()) {
        write(it->second.first, it->second.second);
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
      if (!received.insert(r.id)) {
        // A redelivered task's second result. Ack it again if its record is written: the
        // ventilator may hold a lease that an ack lost with a crashed sink never released.
        ++summary.duplicates;
        if (!options.ordered || r.id < next_in_order) unacked.push_back(r.id);
        continue;
      }
      if (!options.ordered) {
        write(r, results.worker);
        continue;
      }
      waiting.emplace(r.id, std::make_pair(std::move(r), results.worker));
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
    say(core::Ack{summary.failed + summary.timeout, core::to_ranges(unacked)});
    unacked.clear();
  }

  void on_control(core::Received&& in) {
    last_heard = Clock::now();
    if (!started) started = last_heard;
    if (const auto* t = std::get_if<core::Total>(&in.message)) {
      total = t->total;
      count_beyond_total();
      spdlog::debug("sink: batch total {}", t->total);
    } else if (auto* halt = std::get_if<core::Halt>(&in.message)) {
      summary.halted = halt->reason.empty() ? "halted by the ventilator" : halt->reason;
    } else if (const auto* refuse = std::get_if<core::Refuse>(&in.message)) {
      throw std::runtime_error("sink refused by the ventilator: " + refuse->reason);
    } else if (!std::holds_alternative<core::Welcome>(in.message) &&
               !std::holds_alternative<core::Heartbeat>(in.message)) {
      faults.count("unexpected message type");
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
  bool done() const { return all_written() || !summary.halted.empty(); }
};

Sink::Sink(zmq::context_t& context, const config::Pipeline& pipeline, Options options)
    : state_(std::make_unique<State>(context, pipeline, std::move(options))) {
  State& s = *state_;
  core::configure_socket(s.pull, std::chrono::milliseconds(0));
  core::configure_socket(s.dealer, std::chrono::milliseconds(2000));
  core::bind(s.pull, s.options.bind);
  core::connect(s.dealer, s.options.ventilator);
}

Sink::~Sink() = default;

std::string Sink::endpoint() const { return state_->pull.get(zmq::sockopt::last_endpoint); }

void Sink::stop() { stop_.store(true); }

Summary Sink::run() {
  State& s = *state_;
  s.hello();
  auto next_heartbeat = Clock::now() + s.heartbeat;
  while (!stop_.load() && !s.done()) {
    zmq::pollitem_t items[] = {{s.pull.handle(), 0, ZMQ_POLLIN, 0}, {s.dealer.handle(), 0, ZMQ_POLLIN, 0}};
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_heartbeat - Clock::now());
    zmq::poll(items, 2, std::max(wait, std::chrono::milliseconds(0)));

    for (;;) {
      std::optional<core::Received> in = core::try_receive(s.dealer, false, s.faults);
      if (in) {
        s.on_control(std::move(*in));
      } else if (!(s.dealer.get(zmq::sockopt::events) & ZMQ_POLLIN)) {
        break;
      }
    }
    // Bounded by count and by time: big results must not keep the sink from its heartbeat,
    // or the ventilator would presume it dead while it is only busy.
    const auto drain_until = Clock::now() + kMaxDrainTime;
    for (int i = 0; i < kMaxDrain && Clock::now() < drain_until; ++i) {
      std::optional<core::Received> in = core::try_receive(s.pull, false, s.faults);
      if (!in) {
        if (!(s.pull.get(zmq::sockopt::events) & ZMQ_POLLIN)) break;
        continue;
      }
      if (auto* results = std::get_if<core::Results>(&in->message)) {
        s.on_results(std::move(*results));
      } else {
        s.faults.count("unexpected message type");
      }
    }
    s.flush_and_ack();

    const auto now = Clock::now();
    if (now >= next_heartbeat) {
      if (now - s.last_heard > s.silence_limit) {
        spdlog::debug("sink: ventilator silent, saying hello again");
        s.hello();
        s.last_heard = now;
      } else {
        s.say(core::Heartbeat{});
      }
      next_heartbeat = now + s.heartbeat;
    }
  }
  s.flush_and_ack();
  s.writer->sync();

  Summary& sum = s.summary;
  sum.total = s.total.value_or(s.written);
  sum.completed = s.all_written();
  sum.dropped = s.faults.total();
  if (s.started) sum.wall_seconds = std::chrono::duration<double>(Clock::now() - *s.started).count();
  sum.p50_ms = static_cast<double>(s.latency_us.quantile(0.50)) / 1000.0;
  sum.p95_ms = static_cast<double>(s.latency_us.quantile(0.95)) / 1000.0;
  sum.p99_ms = static_cast<double>(s.latency_us.quantile(0.99)) / 1000.0;
  sum.max_ms = static_cast<double>(s.latency_us.max()) / 1000.0;
  return sum;
}

}  // namespace zpipe::sink
