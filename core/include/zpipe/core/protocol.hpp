#pragma once
// The zpipe wire protocol (docs/protocol.md is its public description; keep both true).
//
// A message is two ZeroMQ frames: a 2-byte header [version, type] and a body.
// On the ventilator's ROUTER socket a routing-id frame precedes them.
// Error style: encoding cannot fail; decoding returns a Decoded with either a message
// or the reason it was rejected (never throws, never trusts a length).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "zpipe/core/types.hpp"

namespace zpipe::core {

inline constexpr std::uint8_t kProtocolVersion = 1;

enum class MsgType : std::uint8_t {
  // peer (worker or sink) -> ventilator, on the task channel (DEALER -> ROUTER)
  hello = 1,
  credit = 2,
  heartbeat = 3,
  ack = 4,
  have = 5,
  bye = 6,
  ask_task = 7,  // a worker without a pipeline file asks what to run (before its hello)
  unsent = 8,    // a worker's results that may have died with its connection to the sink
  // ventilator -> peer
  welcome = 16,
  refuse = 17,
  tasks = 18,
  done = 19,
  total = 20,
  halt = 21,
  arg_tasks = 22,  // tasks whose items carry argument lists (several inputs per task)
  task_definition = 23,  // the answer to ask_task
  // worker -> sink, on the result channel (PUSH -> PULL)
  results = 32,
  arg_results = 33,  // results of arg_tasks: each carries its task's argument list
};

enum class Role : std::uint8_t { worker = 1, sink = 2 };

struct Hello {
  Role role = Role::worker;
  std::uint64_t fingerprint = 0;  // task_fingerprint of the peer's pipeline
  std::uint32_t credit = 0;       // tasks the worker can take now (0 for a sink)
  std::string name;               // worker name as it appears in records
  // Of `credit`, how many are prefetch: tasks that would wait behind running ones. The
  // ventilator fills them only while its queue is deeper than the workers' slots, so no
  // task waits in one worker's queue at the end of a batch while another worker idles.
  // Optional on the wire (absent, as from older workers: every unit of credit is a slot);
  // kept absent or present so that a message re-encodes to its own bytes.
  std::optional<std::uint32_t> prefetch = std::nullopt;
};
struct Credit {
  std::uint32_t credit = 0;  // additional tasks the worker can take
  std::optional<std::uint32_t> prefetch = std::nullopt;  // as in Hello, now (optional on the wire)
};
struct Heartbeat {};
struct IdRange {
  TaskId first = 0;
  std::uint32_t count = 0;
};
struct Ack {
  std::uint64_t failed_total = 0;  // records with status != ok written so far
  std::vector<IdRange> ranges;     // ids durably written since the last ack
};
// The sink's inventory, sent after each hello: every id it already has a record of
// (its journal), split over several messages when large; `final` marks the last one.
struct Have {
  bool final = true;
  std::uint64_t failed_total = 0;
  std::vector<IdRange> ranges;
};
// A worker leaving (drain): it hands back tasks it will not start. With `final` it is
// gone: everything it still held must be redelivered.
struct Bye {
  bool final = false;
  std::vector<TaskId> returned;
};
// A worker's connection to the sink dropped: results it pushed over it lately may have
// died with it. The ventilator runs again those of `ids` it still leases to this worker
// (not acknowledged by the sink); the sink drops a result it already has.
struct Unsent {
  std::vector<TaskId> ids;
};
// Asked by a worker that has no pipeline file (zpipe worker --ventilator URL --sink URL,
// e.g. of a head node's `zpipe run -- COMMAND`); any peer may ask, before any hello.
struct AskTask {};
// What the batch's workers run: the task's canonical bytes (docs/fingerprint.md; the
// fingerprint is their FNV-1a), and whether a shell command always goes through /bin/sh.
struct TaskDefinition {
  std::uint64_t fingerprint = 0;
  bool always_shell = false;
  std::string canonical;
};
struct Welcome {
  std::uint32_t heartbeat_ms = 0;
  std::uint32_t liveness = 0;
};
struct Refuse {
  std::string reason;
};
struct TaskItem {
  TaskItem() = default;
  // So that {id, attempt, input} still builds a one-input task.
  TaskItem(TaskId task_id, std::uint32_t task_attempt, std::string task_input, std::vector<std::string> task_args = {})
      : id(task_id), attempt(task_attempt), input(std::move(task_input)), args(std::move(task_args)) {}

  TaskId id = 0;
  std::uint32_t attempt = 0;  // 1 on first delivery, +1 on each redelivery
  std::string input;
  // An argument-list task (`zpipe run` with several input sources, -n or --colsep) carries
  // its arguments here; decoding then sets `input` to them joined by spaces (the record's
  // input). Empty: a one-input task.
  std::vector<std::string> args;
};
// Encoded as `arg_tasks` when any item has args (then an item without args travels as the
// one argument `input`), else as `tasks`: one-input batches stay byte for byte as before.
struct Tasks {
  std::vector<TaskItem> items;
};
struct Done {};
struct Total {
  std::uint64_t total = 0;
};
// The batch stops early (drain or halt policy): write what arrived and exit. To a worker
// (halt policy `now`): kill what runs, push nothing more, bye{final}, exit.
struct Halt {
  std::string reason;
};
// A halt whose reason starts so is no failure: a halt policy on successes or ended tasks
// (--halt now,success=1) was met. Every role then exits 0 unless a task failed.
inline bool stopped_early(std::string_view halt_reason) { return halt_reason.starts_with("stopped early:"); }
// Encoded as `arg_results` when any item has args, else as `results` (as Tasks).
struct Results {
  std::string worker;
  std::vector<TaskResult> items;
};

using Message = std::variant<Hello, Credit, Heartbeat, Ack, Have, Bye, Welcome, Refuse, Tasks, Done, Total, Halt,
                             Results, AskTask, TaskDefinition, Unsent>;

struct Encoded {
  std::uint8_t header[2];
  std::string body;
};

Encoded encode(const Message& message);

// The same encoding in two steps, for a caller that owns the buffer (core::try_send
// encodes straight into the ZeroMQ frame): the header's type byte, the body's exact size,
// then the body written into `size` bytes at `out`.
std::uint8_t type_byte(const Message& message);
std::size_t body_size(const Message& message);
void write_body(const Message& message, char* out);
// The hot path's messages without a Message around them (building one copies the items).
std::uint8_t type_byte(const Tasks& message);
std::uint8_t type_byte(const Results& message);
std::size_t body_size(const Tasks& message);
void write_body(const Tasks& message, char* out);
std::size_t body_size(const Results& message);
void write_body(const Results& message, char* out);

struct Decoded {
  std::optional<Message> message;
  const char* error = nullptr;  // static text naming the kind of fault, when message is empty
};

// Decoded::error of a message whose version byte is not kProtocolVersion: the one fault a
// well-behaved peer can commit (it speaks another version), so it deserves an answer.
inline constexpr const char* kUnsupportedVersion = "unsupported protocol version";

Decoded decode(std::string_view header, std::string_view body);

// The arguments joined by single spaces: an argument-list task's `input` (docs/protocol.md).
std::string join_args(const std::vector<std::string>& args);

// Collapses ascending-or-not ids into ranges of consecutive ids (input order kept).
std::vector<IdRange> to_ranges(const std::vector<TaskId>& ids);

const char* to_string(MsgType type);

}  // namespace zpipe::core
