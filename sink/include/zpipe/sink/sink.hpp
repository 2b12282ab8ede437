#pragma once
// The sink role: fans results in from every worker, writes each task's record exactly
// once, acknowledges written ids to the ventilator, and ends when the batch total is in.
//
// Error style: exceptions. Construction throws std::runtime_error when the endpoint cannot
// be bound, when another sink holds the output ("FILE is in use by pid N (host H)"; one
// writer per output, see output_lock.hpp) or when it cannot be opened; run() throws
// std::runtime_error when the output cannot be written (nothing unwritten is acked).
// An existing, non-empty output given neither `resume` nor `fresh` throws OutputExists
// (a usage error: the caller must say which). Malformed messages are counted and dropped.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "zpipe/config/pipeline.hpp"
#include "zpipe/core/health.hpp"
#include "zpipe/core/metrics.hpp"
#include "zpipe/core/spill.hpp"
#include "zpipe/core/types.hpp"

namespace zpipe::sink {

// The output file already holds records and the caller said neither resume nor fresh:
// continuing it or replacing it silently could mix two batches or lose one.
class OutputExists : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

enum class Format {
  jsonl,  // one JSON record per task (docs/config.md lists the fields)
  text,   // each task's stdout as one block on stdout, its stderr on stderr (zpipe run -j)
};

// When the output file is fsync'ed. Records are always flushed to the operating system
// before their ids are acknowledged, which is safe against a crash of any zpipe process;
// fsync adds safety against a crash of the machine.
enum class Fsync {
  never,     // leave it to the kernel
  interval,  // at most once a second (acks do not wait for it)
  always,    // before every ack (acks wait for the disk)
};

struct Options {
  std::string bind;        // endpoint to bind for results
  std::string ventilator;  // endpoint to connect for the total and acks
  std::string output;      // file; empty = stdout
  Format format = Format::jsonl;
  bool ordered = false;    // records in input order
  std::string summary;     // optional JSON summary file ("-" = stdout, after the records)
  // An existing, non-empty output file (the journal): `resume` continues it (refused when
  // another task wrote it), `fresh` replaces it; with neither the sink refuses it.
  bool resume = false;
  bool fresh = false;
  bool resume_failed = false;  // with resume: drop failed/timeout records so those tasks run again
  bool repair = false;         // with resume: remove bad journal lines instead of refusing the file
  Fsync fsync = Fsync::interval;
  // Give up (core::WaitTimeout from run()) when the ventilator has not answered for this
  // long; unset = keep trying.
  std::optional<std::chrono::milliseconds> connect_timeout;

  // zpipe run's command mode (docs/cli.md, "Output"):
  // outputs beyond the memory bound, taken by task id from the in-process workers.
  core::Spills* spills = nullptr;
  bool tag = false;           // --tag (text format): each line starts with the input and a TAB
  std::string results;        // --results DIR: DIR/1/<input>/{seq,stdout,stderr} per task
  std::string joblog;         // --joblog FILE: GNU parallel's tab-separated job log
  // The command line a task ran, for the job log.
  std::function<std::string(const core::TaskResult&)> command_line;
  // A cut output is named on stderr with the flag that set the limit ("--max-output");
  // empty: cuts are only marked in the record.
  std::string cut_limit_name;
};

struct Summary {
  std::uint64_t total = 0;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::uint64_t timeout = 0;
  std::uint64_t duplicates = 0;  // results for ids already written, dropped
  std::uint64_t dropped = 0;     // malformed messages dropped
  double wall_seconds = 0;       // this process's: from the ventilator's first answer to the end
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  std::uint64_t resumed = 0;     // records found in the journal at start
  // A resumed batch's: from the birth of its journal (the first sink's start) to the end;
  // 0 when unknown (a filesystem without birth times) or not resumed.
  double batch_seconds = 0;
  bool completed = false;
  std::string halted;            // why the batch stopped early, if it did
  // Records written by this run (not those resumed from the journal) per second.
  double tasks_per_second() const {
    return wall_seconds > 0 ? static_cast<double>(ok + failed + timeout - resumed) / wall_seconds : 0;
  }
  // Every record of the batch (resumed ones too) over batch_seconds.
  double batch_tasks_per_second() const {
    return batch_seconds > 0 ? static_cast<double>(ok + failed + timeout) / batch_seconds : 0;
  }
};

// "1000 tasks: 998 ok, 2 failed, 0 timeout in 1.23 s (813 tasks/s); latency ms p50 ... p95 ... p99 ..."
std::string summary_line(const Summary& summary);
std::string summary_json(const Summary& summary);

// Where the batch stands, for a progress line: records written (the journal's included),
// failed or timed out among them, and the batch's size once the ventilator told it (0
// before).
struct Progress {
  std::uint64_t recorded = 0;
  std::uint64_t failed = 0;
  std::uint64_t total = 0;
};

// What the sink shows on /metrics (docs/http.md): its loop writes, any thread reads.
struct Metrics {
  core::Counter completed;           // records written by this process, whatever their status
  core::Counter failed;              // of which failed
  core::Counter timed_out;           // of which timed out
  core::Counter duplicates;          // results for ids already recorded, dropped
  core::DurationHistogram duration;  // each written record's task duration (its last attempt)
  core::Gauge recorded;              // records in the output, a resumed journal's included
  core::Gauge batch_tasks;           // the batch's size once the ventilator told it, else 0
  core::WireCounters wire;           // bytes each way on its sockets; messages dropped by reason
};

class Sink {
public:
  Sink(zmq::context_t& context, const config::Pipeline& pipeline, Options options);
  ~Sink();
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  std::string endpoint() const;
  // Before run(): binds one more address for results (zpipe run as a head node). Throws
  // as the constructor does.
  void also_bind(const std::string& endpoint);

  // Runs until every task of the batch is written, the ventilator halts the batch, or
  // stop() is called. Call once.
  Summary run();
  // Thread-safe: run() flushes and acknowledges what it has written, and returns at once.
  // Records are whole lines at any moment, so nothing needs draining.
  void stop();
  // Thread-safe, while run() runs.
  Progress progress() const;
  // Thread-safe: ready while bound and in session with the ventilator (welcomed, and heard
  // within the silence limit), draining from stop() on, finished once its batch is over;
  // and whether its loop still turns.
  core::Health health() const;
  // Thread-safe: the counters of /metrics, for as long as this object lives.
  const Metrics& metrics() const;

private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace zpipe::sink

namespace zpipe::sink {
// Logs the summary line to stderr (info level) and, if `file` is not empty, writes
// summary_json there ("-": standard output). Throws std::runtime_error if it cannot be written.
void publish_summary(const Summary& summary, const std::string& file);
}  // namespace zpipe::sink
