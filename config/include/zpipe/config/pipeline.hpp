#pragma once
// The validated pipeline: what a pipeline YAML file (docs/config.md) resolves to.
//
// Error style of the config layer: exceptions. Loading throws ConfigError whose
// what() is one line "FILE:LINE:COL: message" (LINE and COL 1-based) naming the key.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace zpipe::config {

using Duration = std::chrono::milliseconds;

class ConfigError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// --- source: where task inputs come from (read lazily by the ventilator) -----
struct RangeSource {
  std::int64_t start = 1;
  std::uint64_t count = 0;
};
struct LinesSource {
  std::string path;  // "-" = stdin; otherwise absolute (resolved against the file's folder)
  std::string delimiter = "\n";  // ends each input (`zpipe run -d`/`-0`); never empty
  bool skip_first = false;  // `zpipe run --header`: its first input is the header, read already
};
struct ItemsSource {
  std::vector<std::string> items;
};
// GNU parallel's input sources, as `zpipe run -- CMD` takes them (no key of the pipeline
// file): each task gets an argument list. Built when there are several sources, or -n, -N,
// -X, -m, --colsep, --trim or --header; one plain source is a LinesSource or ItemsSource.
using InputSource = std::variant<LinesSource, ItemsSource>;  // -a/:::: FILE (or stdin), ::: ARGS
// zpipe run -X / -m: a task takes combinations while its command line stays within
// max_bytes, estimated from what each argument costs there: the argument as quoted for the
// shell, `copies` times, plus `per_arg` bytes (separators, and the words -X repeats). When
// the input ends within a task that holds more than one combination, they are shared
// evenly over `spread_over` tasks (the job slots), as GNU parallel does.
struct LineFill {
  std::uint64_t max_bytes = 0;
  std::uint64_t fixed = 0;     // the command's own bytes
  std::uint64_t copies = 1;
  std::uint64_t per_arg = 1;
  std::uint32_t spread_over = 1;
};
struct ArgsSource {
  std::vector<InputSource> inputs;  // in the order given; at least one
  // :::+ / ::::+: input i is paired with the one before it (as --link does, but the shortest
  // of the pair ends it); the product is then of these groups. Empty, or one per input.
  std::vector<bool> linked_to_previous;
  bool link = false;          // --link: the i-th value of each (shorter ones wrap); else all combinations
  std::string colsep;         // --colsep REGEX (ECMAScript): a value's columns become its arguments
  bool trim_left = false;     // --trim l (or lr): white space removed from the start of each argument
  bool trim_right = false;    // --trim r (or lr): and from its end
  std::uint32_t max_args = 1; // -n: combinations per task, their arguments concatenated
  std::optional<LineFill> fill;  // -X / -m: as many combinations as fit (at most max_args)
};
using Source = std::variant<RangeSource, LinesSource, ItemsSource, ArgsSource>;

// --- task: what a worker does with one input --------------------------------
enum class TaskKind { shell, argv, builtin };
enum class Builtin { noop, echo, sleep, spin, sha256 };
// A shell task's command goes through /bin/sh only when it needs a shell (`automatic`: a
// plain list of words is exec'd directly, with the same result), or `always`.
enum class UseShell { automatic, always };

struct TaskSpec {
  TaskKind kind = TaskKind::shell;
  std::string shell;              // kind == shell: command for /bin/sh -c, with placeholders
  UseShell use_shell = UseShell::automatic;  // kind == shell: when /bin/sh runs it
  std::vector<std::string> argv;  // kind == argv: exec'd directly, placeholders per word
  Builtin builtin = Builtin::noop;
  std::optional<std::uint64_t> ms;  // builtin sleep: fixed duration; else the input is read as ms
  std::optional<std::uint64_t> us;  // builtin spin: fixed busy time; else the input is read as us
  std::uint32_t rounds = 1;         // builtin sha256: hash applied this many times
  Duration timeout{0};              // 0 = no timeout
  std::uint32_t retries = 0;        // extra attempts after a failed/timed-out one
  std::size_t max_output = 1 << 20; // bytes captured per stream (stdout, stderr)
  // zpipe run -X / -N: a word of the command holding {} is repeated per argument (GNU
  // parallel's context replace). Not in the YAML; in the fingerprint when set.
  bool context_replace = false;
  // zpipe run --dry-run: the output is the command line that would run, nothing runs. Not
  // in the YAML, nor in the fingerprint: a dry run writes no journal (--output is refused).
  bool dry_run = false;
};

// A bound/connected pair: the role that binds uses bind_address(); others connect to endpoint.
struct Endpoint {
  std::string endpoint;  // e.g. tcp://host:5557 (connect side; also the bind address if bind is empty)
  std::string bind;      // optional, e.g. tcp://*:5557
  const std::string& bind_address() const { return bind.empty() ? endpoint : bind; }
};

struct VentilatorSpec {
  Endpoint address{"tcp://127.0.0.1:5557", ""};
  std::uint32_t window = 100000;      // tasks dispatched but not yet acknowledged by the sink
  Duration delay{0};                  // at most one task handed out per delay (GNU parallel's --delay); 0 = none
  Duration heartbeat{1000};           // interval of liveness messages on the task channel
  std::uint32_t liveness = 5;         // a peer silent for heartbeat x liveness is dead
};

enum class FsyncPolicy { never, interval, always };

struct SinkSpec {
  Endpoint address{"tcp://127.0.0.1:5558", ""};
  FsyncPolicy fsync = FsyncPolicy::interval;  // when the output is fsync'ed (docs/reliability.md)
  std::string output;   // JSON Lines file (absolute after loading); empty = stdout
  std::string summary;  // optional JSON summary file (absolute after loading)
  bool ordered = false; // write records in input order (like parallel -k)
};

struct WorkersSpec {
  std::uint32_t count = 1;     // workers started by `zpipe run`
  std::uint32_t slots = 1;     // tasks one worker runs at once
  // Extra tasks a worker may hold beyond its slots, filled while the ventilator's queue is
  // deep; nullopt = auto (one once its tasks take under 100 ms, docs/config.md).
  std::optional<std::uint32_t> prefetch;
  std::string name;            // worker name in records; empty = host:pid
  Duration grace{30000};       // on SIGTERM/SIGINT: time to finish running tasks before handing them back
  // A worker (without --keep-alive) that holds nothing and has heard nothing from the
  // ventilator this long is an orphan of a batch that ended without it: it exits. Unset =
  // 3 silence periods (heartbeat x liveness, as the welcome says).
  std::optional<Duration> orphan_after;
};

// Stop the batch early, like GNU parallel's --halt WHEN,WHY=N[%].
struct HaltSpec {
  enum class On { failure, success, done };  // a task failed or timed out / ended ok / ended
  enum class When { soon, now };  // soon: record what is in flight; now: kill it, record nothing more
  On on = On::failure;
  When when = When::soon;
  std::uint64_t after = 0;   // halt once this many tasks count; 0 = never
  bool percent = false;      // `after` is a percentage of the batch (1-100), known once the source is read
  bool enabled() const { return after > 0; }
  // What `--halt` and the YAML both describe, e.g. "soon (running tasks finish), once 3 tasks
  // failed or timed out".
  std::string describe() const;
  // As GNU parallel's --halt spells it: "soon,fail=3", "now,success=10%".
  std::string spelling() const;
};
// GNU parallel's --halt values: never, WHEN,fail=N, WHEN,success=N%, WHEN,done=N (WHEN is
// soon or now), and the old numbers 0, 1, 2, -1, -2, 1-99%. Throws ConfigError naming `flag`.
HaltSpec parse_halt(const std::string& flag, const std::string& value);

struct Pipeline {
  int version = 1;
  std::string name;
  Source source = RangeSource{};
  TaskSpec task;
  VentilatorSpec ventilator;
  SinkSpec sink;
  WorkersSpec workers;
  HaltSpec halt;
  bool resume = false;         // continue the output file: run only tasks without a record
  std::filesystem::path file;  // the file it was loaded from (empty when built in code)
};

// Loads and validates a pipeline file. Throws ConfigError ("FILE:LINE:COL: message").
Pipeline load_pipeline(const std::filesystem::path& file);

// Same, from text; `file` names the text in messages and its folder resolves relative paths.
Pipeline parse_pipeline(const std::string& text, const std::filesystem::path& file);

// Parses "500ms", "30s", "5m", "1h" (a bare number is seconds). Throws std::invalid_argument.
Duration parse_duration(const std::string& text);

// Parses "4096", "64KiB", "10M" ... (docs/fingerprint.md, sizes). Throws std::invalid_argument.
std::uint64_t parse_size(const std::string& text);

// Stable 64-bit hash of everything that decides a task's result (kind, command, builtin
// parameters, timeout, retries, capture limit). Workers and ventilator must agree on it.
std::uint64_t task_fingerprint(const TaskSpec& task);

// The exact bytes task_fingerprint hashes (FNV-1a 64); docs/fingerprint.md describes them.
std::string task_canonical_bytes(const TaskSpec& task);
// The task those bytes describe (a worker without a pipeline file gets them from the
// ventilator), `use_shell` given apart as it is not in them. Throws std::invalid_argument
// when they are not exactly one canonical task.
TaskSpec task_from_canonical_bytes(std::string_view bytes, UseShell use_shell);

// Human-readable resolved topology, printed by `zpipe check`.
std::string describe(const Pipeline& pipeline);
// The task as `zpipe check` shows it, e.g. "shell: echo {}".
std::string describe_task(const TaskSpec& task);

const char* to_string(Builtin builtin);

}  // namespace zpipe::config

namespace zpipe::config {
// Why `url` is not a usable ZeroMQ endpoint (nullopt when it is). With for_bind, a `*`
// host and `*` port are allowed; otherwise a concrete host and port are required.
std::optional<std::string> endpoint_problem(const std::string& url, bool for_bind);
}  // namespace zpipe::config
