// Built-in tasks. See builtins.hpp for why they exist.

#include "builtins.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>

namespace zpipe::worker {
namespace {

using Clock = std::chrono::steady_clock;

// Durations beyond this are clamped: about 292 years in µs, and it keeps every later
// conversion to a signed chrono duration (and to nanoseconds inside sleep_for) in range.
constexpr std::uint64_t kMaxDurationCount = std::uint64_t{1} << 62;

// The whole input must be a non-negative decimal integer: "12" yes; "", "-1", "1.5",
// "12ms", " 12" no. Silently reading a prefix would hide typos in task lists.
std::optional<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

// A duration from the spec's fixed value, else from the input. `unit_name` goes into the
// error message ("milliseconds", "microseconds").
template <class Duration>
std::optional<Duration> duration_from(std::optional<std::uint64_t> fixed, std::string_view input,
                                      const char* task_name, const char* unit_name,
                                      BuiltinOutcome& outcome) {
  std::optional<std::uint64_t> count = fixed ? fixed : parse_count(input);
  if (!count) {
    outcome.status = core::TaskStatus::failed;
    outcome.error = std::string(task_name) + ": input '" + std::string(input) +
                    "' is not a number of " + unit_name;
    return std::nullopt;
  }
  return Duration(static_cast<typename Duration::rep>(std::min(*count, kMaxDurationCount)));
}

// Caps `wanted` at the task's timeout (0 = none); returns true when it had to.
template <class Duration>
bool cap_at_timeout(Duration& wanted, const config::TaskSpec& spec) {
  if (spec.timeout.count() <= 0 || wanted <= spec.timeout) return false;
  wanted = std::chrono::duration_cast<Duration>(spec.timeout);
  return true;
}

// Unbounded, as every built-in below: run_builtin bounds the outcome once.
BuiltinOutcome run_sleep(const config::TaskSpec& spec, std::string_view input) {
  BuiltinOutcome outcome;
  auto duration = duration_from<std::chrono::milliseconds>(spec.ms, input, "sleep", "milliseconds", outcome);
  if (!duration) return outcome;
  const bool times_out = cap_at_timeout(*duration, spec);
  std::this_thread::sleep_for(*duration);
  if (times_out) outcome.status = core::TaskStatus::timeout;
  return outcome;
}

// Keeps the first `limit` bytes of `text`; true when there were more.
bool cut(std::string& text, std::size_t limit) {
  if (text.size() <= limit) return false;
  text.resize(limit);
  return true;
}

// Burns CPU instead of sleeping, to model compute-bound tasks in benchmarks.
BuiltinOutcome run_spin(const config::TaskSpec& spec, std::string_view input) {
  BuiltinOutcome outcome;
  auto duration = duration_from<std::chrono::microseconds>(spec.us, input, "spin",
                                                           "microseconds", outcome);
  if (!duration) return outcome;
  const bool times_out = cap_at_timeout(*duration, spec);
  const auto until = Clock::now() + *duration;
  while (Clock::now() < until) {
  }
  if (times_out) outcome.status = core::TaskStatus::timeout;
  return outcome;
}

std::string to_lower_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex.push_back(kDigits[bytes[i] >> 4]);
    hex.push_back(kDigits[bytes[i] & 0x0f]);
  }
  return hex;
}

constexpr std::size_t kSha256Size = 32;
using Sha256Digest = std::array<unsigned char, kSha256Size>;

// False only when OpenSSL itself fails (e.g. no provider offers SHA-256).
bool sha256_of(const void* data, std::size_t size, Sha256Digest& digest) {
  unsigned int written = 0;
  return EVP_Digest(data, size, digest.data(), &written, EVP_sha256(), nullptr) == 1 &&
         written == kSha256Size;
}

// Round 1 hashes the input; each further round hashes the previous round's raw 32-byte
// digest (not its hex), so every round costs the same. rounds == 0 is treated as 1.
BuiltinOutcome run_sha256(const config::TaskSpec& spec, std::string_view input) {
  BuiltinOutcome outcome;
  Sha256Digest digest{};
  bool ok = sha256_of(input.data(), input.size(), digest);
  for (std::uint32_t round = 1; ok && round < spec.rounds; ++round) {
    const Sha256Digest previous = digest;
    ok = sha256_of(previous.data(), previous.size(), digest);
  }
  if (!ok) {
    outcome.status = core::TaskStatus::failed;
    outcome.error = "sha256: OpenSSL digest failed";
    return outcome;
  }
  outcome.output = to_lower_hex(digest.data(), digest.size());
  return outcome;
}

}  // namespace

void bound_outcome(const config::TaskSpec& spec, BuiltinOutcome& outcome) {
  // Both cut, as a process's two streams are, so `truncated` covers either.
  const bool output_cut = cut(outcome.output, spec.max_output);
  const bool error_cut = cut(outcome.error, spec.max_output);
  outcome.truncated = outcome.truncated || output_cut || error_cut;
  if (outcome.status == core::TaskStatus::timeout && outcome.error.empty())
    outcome.error = "timed out after " + std::to_string(spec.timeout.count()) + " ms";
}

SleepPlan plan_sleep(const config::TaskSpec& spec, std::string_view input) {
  SleepPlan plan;
  BuiltinOutcome failure;
  auto duration = duration_from<std::chrono::milliseconds>(spec.ms, input, "sleep", "milliseconds", failure);
  if (!duration) {
    bound_outcome(spec, failure);
    plan.failure = std::move(failure);
    return plan;
  }
  plan.times_out = cap_at_timeout(*duration, spec);
  plan.duration = *duration;
  return plan;
}

BuiltinOutcome finish_sleep(const config::TaskSpec& spec, const SleepPlan& plan) {
  BuiltinOutcome outcome;
  if (plan.times_out) outcome.status = core::TaskStatus::timeout;
  bound_outcome(spec, outcome);
  return outcome;
}

std::optional<std::int32_t> builtin_exit_code(core::TaskStatus status) {
  switch (status) {
    case core::TaskStatus::ok: return 0;
    case core::TaskStatus::failed: return 1;
    case core::TaskStatus::timeout: return std::nullopt;
  }
  return std::nullopt;
}

namespace {

BuiltinOutcome run_unbounded(const config::TaskSpec& spec, std::string_view input) {
  switch (spec.builtin) {
    case config::Builtin::noop:
      return {};
    case config::Builtin::echo:
      return {core::TaskStatus::ok, std::string(input), {}, false};
    case config::Builtin::sleep:
      return run_sleep(spec, input);
    case config::Builtin::spin:
      return run_spin(spec, input);
    case config::Builtin::sha256:
      return run_sha256(spec, input);
  }
  return {core::TaskStatus::failed, {}, "unknown built-in task", false};
}

}  // namespace

BuiltinOutcome run_builtin(const config::TaskSpec& spec, std::string_view input) {
  BuiltinOutcome outcome = run_unbounded(spec, input);
  bound_outcome(spec, outcome);
  return outcome;
}

}  // namespace zpipe::worker
