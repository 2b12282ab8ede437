// task_fingerprint: FNV-1a (64-bit) over a canonical, platform-independent serialization.
//
// The serialization (all integers little-endian, strings as u64 length + bytes):
//   "zpipe-task/1", kind:u8,
//   shell:   the command              | argv: u64 word count, then each word
//   builtin: builtin:u8, ms (u8 present + u64), us (u8 present + u64), rounds:u32
//   then timeout ms:u64, retries:u32, max_output:u64;
//   then, only for a task of `zpipe run -X`/`-N` (context replace), the string "context-replace".
// `use_shell` is not: exec'd directly or through /bin/sh, a task gives the same record
// (docs/tasks.md, "Shell or direct exec").
// Only the fields of the task's own kind are included, so a TaskSpec built in code with stale
// fields of another kind hashes like the same task loaded from YAML.
// docs/fingerprint.md describes it for other languages, with test vectors that
// tests/test_fingerprint.cpp checks against this code.

#include <optional>
#include <stdexcept>
#include <string_view>

#include "detail.hpp"

namespace zpipe::config {
namespace {

class Canonical {
public:
  void u8(std::uint8_t value) { bytes_.push_back(static_cast<char>(value)); }
  void u32(std::uint32_t value) {
    for (int shift = 0; shift < 32; shift += 8) u8(static_cast<std::uint8_t>(value >> shift));
  }
  void u64(std::uint64_t value) {
    for (int shift = 0; shift < 64; shift += 8) u8(static_cast<std::uint8_t>(value >> shift));
  }
  void string(std::string_view text) {
    u64(text.size());
    bytes_.append(text);
  }
  void optional(const std::optional<std::uint64_t>& value) {
    u8(value.has_value() ? 1 : 0);
    u64(value.value_or(0));
  }
  std::string take() { return std::move(bytes_); }

private:
  std::string bytes_;
};

// Reads what Canonical wrote; every read checks what is left, so any bytes are safe.
class CanonicalReader {
public:
  explicit CanonicalReader(std::string_view bytes) : rest_(bytes) {}
  std::uint64_t number(int width) {
    need(static_cast<std::size_t>(width));
    std::uint64_t value = 0;
    for (int i = 0; i < width; ++i) value |= std::uint64_t{static_cast<unsigned char>(rest_[static_cast<std::size_t>(i)])} << (8 * i);
    rest_.remove_prefix(static_cast<std::size_t>(width));
    return value;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(number(1)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(number(4)); }
  std::uint64_t u64() { return number(8); }
  std::string string() {
    const std::uint64_t size = u64();
    need(size);
    std::string text(rest_.substr(0, size));
    rest_.remove_prefix(size);
    return text;
  }
  std::optional<std::uint64_t> optional() {
    const std::uint8_t present = u8();
    const std::uint64_t value = u64();
    if (present > 1) throw std::invalid_argument("canonical task: an optional's flag is not 0 or 1");
    return present == 1 ? std::optional<std::uint64_t>(value) : std::nullopt;
  }
  bool at_end() const { return rest_.empty(); }

private:
  void need(std::uint64_t size) const {
    if (size > rest_.size()) throw std::invalid_argument("canonical task: cut short");
  }
  std::string_view rest_;
};

std::uint64_t fnv1a(std::string_view data) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace

std::string task_canonical_bytes(const TaskSpec& task) {
  Canonical c;
  c.string("zpipe-task/1");
  c.u8(static_cast<std::uint8_t>(task.kind));
  switch (task.kind) {
    case TaskKind::shell:
      c.string(task.shell);
      break;
    case TaskKind::argv:
      c.u64(task.argv.size());
      for (const std::string& word : task.argv) c.string(word);
      break;
    case TaskKind::builtin:
      c.u8(static_cast<std::uint8_t>(task.builtin));
      c.optional(task.ms);
      c.optional(task.us);
      c.u32(task.rounds);
      break;
  }
  c.u64(static_cast<std::uint64_t>(task.timeout.count()));
  c.u32(task.retries);
  c.u64(static_cast<std::uint64_t>(task.max_output));
  // The same command means other command lines with it; absent, every fingerprint stays as it was.
  if (task.context_replace) c.string("context-replace");
  return c.take();
}

std::uint64_t task_fingerprint(const TaskSpec& task) { return fnv1a(task_canonical_bytes(task)); }

TaskSpec task_from_canonical_bytes(std::string_view bytes, UseShell use_shell) {
  CanonicalReader r(bytes);
  if (r.string() != "zpipe-task/1") throw std::invalid_argument("canonical task: not zpipe-task/1");
  TaskSpec task;
  const std::uint8_t kind = r.u8();
  if (kind > static_cast<std::uint8_t>(TaskKind::builtin)) throw std::invalid_argument("canonical task: unknown kind");
  task.kind = static_cast<TaskKind>(kind);
  switch (task.kind) {
    case TaskKind::shell:
      task.shell = r.string();
      task.use_shell = use_shell;
      break;
    case TaskKind::argv: {
      const std::uint64_t words = r.u64();
      if (words == 0 || words > bytes.size()) throw std::invalid_argument("canonical task: bad argv word count");
      for (std::uint64_t i = 0; i < words; ++i) task.argv.push_back(r.string());
      break;
    }
    case TaskKind::builtin: {
      const std::uint8_t builtin = r.u8();
      if (builtin > static_cast<std::uint8_t>(Builtin::sha256))
        throw std::invalid_argument("canonical task: unknown builtin");
      task.builtin = static_cast<Builtin>(builtin);
      task.ms = r.optional();
      task.us = r.optional();
      task.rounds = r.u32();
      break;
    }
  }
  const std::uint64_t timeout_ms = r.u64();
  if (timeout_ms > std::uint64_t{8760} * 3600 * 1000) throw std::invalid_argument("canonical task: timeout beyond a year");
  task.timeout = Duration(static_cast<Duration::rep>(timeout_ms));
  task.retries = r.u32();
  task.max_output = static_cast<std::size_t>(r.u64());
  if (!r.at_end()) {
    if (r.string() != "context-replace") throw std::invalid_argument("canonical task: unknown trailing field");
    task.context_replace = true;
  }
  if (!r.at_end()) throw std::invalid_argument("canonical task: trailing bytes");
  if (task_canonical_bytes(task) != bytes) throw std::invalid_argument("canonical task: not in canonical form");
  return task;
}

}  // namespace zpipe::config
