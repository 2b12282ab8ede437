// task_fingerprint: FNV-1a (64-bit) over a canonical, platform-independent serialization.
//
// The serialization (all integers little-endian, strings as u64 length + bytes):
//   "zpipe-task/1", kind:u8,
//   shell:   the command              | argv: u64 word count, then each word
//   builtin: builtin:u8, ms (u8 present + u64), us (u8 present + u64), rounds:u32
//   then timeout ms:i64, retries:u32, max_output:u64.
// Only the fields of the task's own kind are included, so a TaskSpec built in code with stale
// fields of another kind hashes like the same task loaded from YAML.

#include <string_view>

#include "detail.hpp"

namespace zpipe::config {
namespace {

class Fnv1a {
public:
  void bytes(std::string_view data) {
    for (unsigned char c : data) {
      hash_ ^= c;
      hash_ *= 0x100000001b3ull;
    }
  }
  void u8(std::uint8_t value) { bytes(std::string_view(reinterpret_cast<const char*>(&value), 1)); }
  void u64(std::uint64_t value) {
    for (int shift = 0; shift < 64; shift += 8) u8(static_cast<std::uint8_t>(value >> shift));
  }
  void u32(std::uint32_t value) {
    for (int shift = 0; shift < 32; shift += 8) u8(static_cast<std::uint8_t>(value >> shift));
  }
  void string(std::string_view text) {
    u64(text.size());
    bytes(text);
  }
  void optional(const std::optional<std::uint64_t>& value) {
    u8(value.has_value() ? 1 : 0);
    u64(value.value_or(0));
  }
  std::uint64_t value() const { return hash_; }

private:
  std::uint64_t hash_ = 0xcbf29ce484222325ull;
};

}  // namespace

std::uint64_t task_fingerprint(const TaskSpec& task) {
  Fnv1a h;
  h.string("zpipe-task/1");
  h.u8(static_cast<std::uint8_t>(task.kind));
  switch (task.kind) {
    case TaskKind::shell:
      h.string(task.shell);
      break;
    case TaskKind::argv:
      h.u64(task.argv.size());
      for (const std::string& word : task.argv) h.string(word);
      break;
    case TaskKind::builtin:
      h.u8(static_cast<std::uint8_t>(task.builtin));
      h.optional(task.ms);
      h.optional(task.us);
      h.u32(task.rounds);
      break;
  }
  h.u64(static_cast<std::uint64_t>(task.timeout.count()));
  h.u32(task.retries);
  h.u64(static_cast<std::uint64_t>(task.max_output));
  return h.value();
}

}  // namespace zpipe::config
