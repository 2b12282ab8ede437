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

}  // namespace zpipe::config
