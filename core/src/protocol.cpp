#include "zpipe/core/protocol.hpp"

#include <algorithm>
#include <type_traits>

#include "zpipe/core/bytes.hpp"

namespace zpipe::core {
namespace {

// Decoding bounds: a hostile count cannot make us reserve unbounded memory, since every
// item needs at least this many bytes in the body.
constexpr std::size_t kMinTaskItemBytes = 8 + 4 + 4;
constexpr std::size_t kMinResultItemBytes = 8 + 4 + 1 + 1 + 4 + 8 + 4 * 3;
constexpr std::size_t kArgBytes = 4;  // an argument's length (a count of arguments is as big)
constexpr std::size_t kIdRangeBytes = 8 + 4;

constexpr std::uint8_t kHasExitCode = 1;
constexpr std::uint8_t kTruncated = 2;

template <typename T>
constexpr MsgType type_of() {
  if constexpr (std::is_same_v<T, Hello>) return MsgType::hello;
  if constexpr (std::is_same_v<T, Credit>) return MsgType::credit;
  if constexpr (std::is_same_v<T, Heartbeat>) return MsgType::heartbeat;
  if constexpr (std::is_same_v<T, Ack>) return MsgType::ack;
  if constexpr (std::is_same_v<T, Have>) return MsgType::have;
  if constexpr (std::is_same_v<T, Bye>) return MsgType::bye;
  if constexpr (std::is_same_v<T, Halt>) return MsgType::halt;
  if constexpr (std::is_same_v<T, Welcome>) return MsgType::welcome;
  if constexpr (std::is_same_v<T, Refuse>) return MsgType::refuse;
  if constexpr (std::is_same_v<T, Tasks>) return MsgType::tasks;
  if constexpr (std::is_same_v<T, Done>) return MsgType::done;
  if constexpr (std::is_same_v<T, Total>) return MsgType::total;
  if constexpr (std::is_same_v<T, Results>) return MsgType::results;
  if constexpr (std::is_same_v<T, AskTask>) return MsgType::ask_task;
  if constexpr (std::is_same_v<T, Unsent>) return MsgType::unsent;
  if constexpr (std::is_same_v<T, TaskDefinition>) return MsgType::task_definition;
}

template <typename Items>
bool any_args(const Items& items) {
  return std::any_of(items.begin(), items.end(), [](const auto& item) { return !item.args.empty(); });
}

// The type a message goes out as: Tasks and Results carrying argument lists use the
// arg_ types, so a one-input batch keeps its version-1 bytes.
template <typename T>
MsgType message_type(const T&) {
  return type_of<T>();
}
MsgType message_type(const Tasks& m) { return any_args(m.items) ? MsgType::arg_tasks : MsgType::tasks; }
MsgType message_type(const Results& m) { return any_args(m.items) ? MsgType::arg_results : MsgType::results; }

// A task's input (one-input task) or its argument list (argument-list task).
void write_input(ByteWriter& w, const std::string& input, const std::vector<std::string>& args, bool as_list) {
  if (!as_list) {
    w.bytes(input);
    return;
  }
  if (args.empty()) {  // a one-input item in an argument-list message: its one argument
    w.u32(1);
    w.bytes(input);
    return;
  }
  w.u32(static_cast<std::uint32_t>(args.size()));
  for (const std::string& arg : args) w.bytes(arg);
}

void write_body(ByteWriter& w, const Hello& m) {
  w.u8(static_cast<std::uint8_t>(m.role));
  w.u64(m.fingerprint);
  w.u32(m.credit);
  w.bytes(m.name);
  if (m.prefetch) w.u32(*m.prefetch);
}
void write_body(ByteWriter& w, const Credit& m) {
  w.u32(m.credit);
  if (m.prefetch) w.u32(*m.prefetch);
}
void write_body(ByteWriter&, const Heartbeat&) {}
void write_ranges(ByteWriter& w, const std::vector<IdRange>& ranges) {
  w.u32(static_cast<std::uint32_t>(ranges.size()));
  for (const auto& r : ranges) {
    w.u64(r.first);
    w.u32(r.count);
  }
}
void write_body(ByteWriter& w, const Ack& m) {
  w.u64(m.failed_total);
  write_ranges(w, m.ranges);
}
void write_body(ByteWriter& w, const Have& m) {
  w.u8(m.final ? 1 : 0);
  w.u64(m.failed_total);
  write_ranges(w, m.ranges);
}
void write_body(ByteWriter& w, const Bye& m) {
  w.u8(m.final ? 1 : 0);
  w.u32(static_cast<std::uint32_t>(m.returned.size()));
  for (TaskId id : m.returned) w.u64(id);
}
void write_body(ByteWriter& w, const Halt& m) { w.bytes(m.reason); }
void write_body(ByteWriter& w, const Welcome& m) {
  w.u32(m.heartbeat_ms);
  w.u32(m.liveness);
}
void write_body(ByteWriter& w, const Refuse& m) { w.bytes(m.reason); }
void write_body(ByteWriter&, const AskTask&) {}
void write_body(ByteWriter& w, const Unsent& m) {
  w.u32(static_cast<std::uint32_t>(m.ids.size()));
  for (TaskId id : m.ids) w.u64(id);
}
void write_body(ByteWriter& w, const TaskDefinition& m) {
  w.u64(m.fingerprint);
  w.u8(m.always_shell ? 1 : 0);
  w.bytes(m.canonical);
}
void write_body(ByteWriter& w, const Tasks& m) {
  const bool as_list = any_args(m.items);
  w.u32(static_cast<std::uint32_t>(m.items.size()));
  for (const auto& t : m.items) {
    w.u64(t.id);
    w.u32(t.attempt);
    write_input(w, t.input, t.args, as_list);
  }
}
void write_body(ByteWriter&, const Done&) {}
void write_body(ByteWriter& w, const Total& m) { w.u64(m.total); }
void write_body(ByteWriter& w, const Results& m) {
  const bool as_list = any_args(m.items);
  w.bytes(m.worker);
  w.u32(static_cast<std::uint32_t>(m.items.size()));
  for (const auto& r : m.items) {
    w.u64(r.id);
    w.u32(r.attempts);
    w.u8(static_cast<std::uint8_t>(r.status));
    w.u8(static_cast<std::uint8_t>((r.exit_code ? kHasExitCode : 0) | (r.truncated ? kTruncated : 0)));
    w.i32(r.exit_code.value_or(0));
    w.u64(r.duration_us);
    write_input(w, r.input, r.args, as_list);
    w.bytes(r.output);
    w.bytes(r.error);
  }
}

Decoded fail(const char* why) { return Decoded{std::nullopt, why}; }

template <typename T>
Decoded finish(ByteReader& r, T&& message) {
  if (r.failed()) return fail("truncated body");
  if (r.remaining() != 0) return fail("trailing bytes in body");
  return Decoded{Message{std::forward<T>(message)}, nullptr};
}

Decoded decode_hello(ByteReader& r) {
  Hello m;
  const std::uint8_t role = r.u8();
  if (role != static_cast<std::uint8_t>(Role::worker) && role != static_cast<std::uint8_t>(Role::sink))
    return fail("unknown role in hello");
  m.role = static_cast<Role>(role);
  m.fingerprint = r.u64();
  m.credit = r.u32();
  m.name = std::string(r.bytes());
  if (r.remaining() > 0) m.prefetch = r.u32();  // a later field: older workers end at the name
  return finish(r, std::move(m));
}

// Reads a count and that many id ranges; returns an error text or nullptr.
const char* read_ranges(ByteReader& r, std::vector<IdRange>& ranges) {
  const std::uint32_t n = r.u32();
  if (r.failed() || n > r.remaining() / kIdRangeBytes) return "count exceeds body";
  ranges.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    IdRange range{r.u64(), r.u32()};
    if (range.first == 0 || range.first + range.count < range.first) return "bad id range";
    ranges.push_back(range);
  }
  return nullptr;
}

const char* read_flag(ByteReader& r, bool& flag) {
  const std::uint8_t v = r.u8();
  if (v > 1) return "bad flag byte";
  flag = v == 1;
  return nullptr;
}

Decoded decode_ack(ByteReader& r) {
  Ack m;
  m.failed_total = r.u64();
  if (const char* error = read_ranges(r, m.ranges)) return fail(error);
  return finish(r, std::move(m));
}

Decoded decode_have(ByteReader& r) {
  Have m;
  if (const char* error = read_flag(r, m.final)) return fail(error);
  m.failed_total = r.u64();
  if (const char* error = read_ranges(r, m.ranges)) return fail(error);
  return finish(r, std::move(m));
}

Decoded decode_bye(ByteReader& r) {
  Bye m;
  if (const char* error = read_flag(r, m.final)) return fail(error);
  const std::uint32_t n = r.u32();
  if (r.failed() || n > r.remaining() / 8) return fail("count exceeds body");
  m.returned.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) m.returned.push_back(r.u64());
  return finish(r, std::move(m));
}

Decoded decode_unsent(ByteReader& r) {
  Unsent m;
  const std::uint32_t n = r.u32();
  if (r.failed() || n > r.remaining() / 8) return fail("count exceeds body");
  m.ids.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) m.ids.push_back(r.u64());
  return finish(r, std::move(m));
}

// An argument list: a count, then that many arguments. `input` becomes them joined.
// Returns an error text or nullptr.
const char* read_args(ByteReader& r, std::vector<std::string>& args, std::string& input) {
  const std::uint32_t n = r.u32();
  if (r.failed()) return nullptr;  // the caller's finish() reports the truncation
  if (n == 0) return "empty argument list";
  if (n > r.remaining() / kArgBytes) return "count exceeds body";
  args.reserve(n);
  for (std::uint32_t i = 0; i < n && !r.failed(); ++i) args.emplace_back(r.bytes());
  input = join_args(args);
  return nullptr;
}

Decoded decode_tasks(ByteReader& r, bool arg_lists) {
  Tasks m;
  const std::uint32_t n = r.u32();
  if (r.failed() || n > r.remaining() / kMinTaskItemBytes) return fail("count exceeds body");
  // Empty, it would encode as `tasks`: each message has one encoding.
  if (arg_lists && n == 0) return fail("arg_tasks without tasks");
  m.items.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    TaskItem t;
    t.id = r.u64();
    t.attempt = r.u32();
    if (!arg_lists) {
      t.input = std::string(r.bytes());
    } else if (const char* error = read_args(r, t.args, t.input)) {
      return fail(error);
    }
    if (r.failed()) break;
    if (t.id == 0) return fail("task id 0");
    m.items.push_back(std::move(t));
  }
  return finish(r, std::move(m));
}

Decoded decode_results(ByteReader& r, bool arg_lists) {
  Results m;
  m.worker = std::string(r.bytes());
  const std::uint32_t n = r.u32();
  if (r.failed() || n > r.remaining() / kMinResultItemBytes) return fail("count exceeds body");
  if (arg_lists && n == 0) return fail("arg_results without results");
  m.items.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    TaskResult t;
    t.id = r.u64();
    t.attempts = r.u32();
    const std::uint8_t status = r.u8();
    const std::uint8_t flags = r.u8();
    const std::int32_t exit_code = r.i32();
    t.duration_us = r.u64();
    if (!arg_lists) {
      t.input = std::string(r.bytes());
    } else if (const char* error = read_args(r, t.args, t.input)) {
      return fail(error);
    }
    t.output = std::string(r.bytes());
    t.error = std::string(r.bytes());
    if (r.failed()) break;
    if (t.id == 0) return fail("task id 0");
    if (status > static_cast<std::uint8_t>(TaskStatus::timeout)) return fail("unknown task status");
    if ((flags & ~(kHasExitCode | kTruncated)) != 0) return fail("unknown result flags");
    // Without its flag the exit code is absent and encoded as 0; anything else would be a
    // second encoding of the same result (found by fuzz/fuzz_protocol).
    if ((flags & kHasExitCode) == 0 && exit_code != 0) return fail("exit code without its flag");
    t.status = static_cast<TaskStatus>(status);
    if (flags & kHasExitCode) t.exit_code = exit_code;
    t.truncated = (flags & kTruncated) != 0;
    m.items.push_back(std::move(t));
  }
  return finish(r, std::move(m));
}

}  // namespace

std::uint8_t type_byte(const Message& message) {
  return std::visit([](const auto& m) { return static_cast<std::uint8_t>(message_type(m)); }, message);
}
std::uint8_t type_byte(const Tasks& message) { return static_cast<std::uint8_t>(message_type(message)); }
std::uint8_t type_byte(const Results& message) { return static_cast<std::uint8_t>(message_type(message)); }

std::string join_args(const std::vector<std::string>& args) {
  std::string joined;
  for (const std::string& arg : args) {
    if (&arg != &args.front()) joined.push_back(' ');
    joined.append(arg);
  }
  return joined;
}

namespace {

// Writes `message` (a Message or one of its alternatives) with `w`: one pass measures, the
// other writes.
void write_any(ByteWriter& w, const Message& message) {
  std::visit([&](const auto& m) { write_body(w, m); }, message);
}
template <typename M>
void write_any(ByteWriter& w, const M& message) {
  write_body(w, message);
}

template <typename M>
std::size_t measure(const M& message) {
  ByteWriter w;
  write_any(w, message);
  return w.size();
}

template <typename M>
void write_into(const M& message, char* out) {
  ByteWriter w(out);
  write_any(w, message);
}

}  // namespace

std::size_t body_size(const Message& message) { return measure(message); }
void write_body(const Message& message, char* out) { write_into(message, out); }
std::size_t body_size(const Tasks& message) { return measure(message); }
void write_body(const Tasks& message, char* out) { write_into(message, out); }
std::size_t body_size(const Results& message) { return measure(message); }
void write_body(const Results& message, char* out) { write_into(message, out); }

Encoded encode(const Message& message) {
  Encoded e{};
  e.header[0] = kProtocolVersion;
  e.header[1] = type_byte(message);
  e.body.resize(body_size(message));
  write_body(message, e.body.data());
  return e;
}

Decoded decode(std::string_view header, std::string_view body) {
  if (header.size() != 2) return fail("bad header size");
  if (static_cast<std::uint8_t>(header[0]) != kProtocolVersion) return fail(kUnsupportedVersion);
  ByteReader r(body);
  switch (static_cast<MsgType>(static_cast<std::uint8_t>(header[1]))) {
    case MsgType::hello: return decode_hello(r);
    case MsgType::credit: {
      Credit m{r.u32()};
      if (r.remaining() > 0) m.prefetch = r.u32();  // a later field: older workers end at the credit
      return finish(r, std::move(m));
    }
    case MsgType::heartbeat: return finish(r, Heartbeat{});
    case MsgType::ack: return decode_ack(r);
    case MsgType::have: return decode_have(r);
    case MsgType::bye: return decode_bye(r);
    case MsgType::halt: return finish(r, Halt{std::string(r.bytes())});
    case MsgType::welcome: {
      Welcome m;
      m.heartbeat_ms = r.u32();
      m.liveness = r.u32();
      return finish(r, m);
    }
    case MsgType::refuse: return finish(r, Refuse{std::string(r.bytes())});
    case MsgType::ask_task: return finish(r, AskTask{});
    case MsgType::unsent: return decode_unsent(r);
    case MsgType::task_definition: {
      TaskDefinition m;
      m.fingerprint = r.u64();
      const std::uint8_t always = r.u8();
      if (always > 1) return fail("task_definition: shell flag is not 0 or 1");
      m.always_shell = always == 1;
      m.canonical = std::string(r.bytes());
      return finish(r, m);
    }
    case MsgType::tasks: return decode_tasks(r, false);
    case MsgType::arg_tasks: return decode_tasks(r, true);
    case MsgType::done: return finish(r, Done{});
    case MsgType::total: return finish(r, Total{r.u64()});
    case MsgType::results: return decode_results(r, false);
    case MsgType::arg_results: return decode_results(r, true);
  }
  return fail("unknown message type");
}

}  // namespace zpipe::core
