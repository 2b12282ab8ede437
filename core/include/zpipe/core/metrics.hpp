#pragma once
// Counters a role keeps for its HTTP face (`/metrics`, docs/http.md). A role's loop (or its
// slot threads) writes them; the HTTP server's threads read them when scraped. Relaxed
// atomics only: a scrape never waits for a loop and a loop never takes a lock for one.
// Nothing else is published through them, so relaxed order is enough; a scrape may see one
// counter a moment ahead of another, never a torn value.
//
// The Prometheus text format is made in app/ (metrics_page.hpp): roles and core know
// nothing of prometheus-cpp.
//
// Error style: no errors. DropCounts folds reasons past its capacity into "other".

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zpipe::core {

// Goes up only. add() from any thread.
class Counter {
public:
  void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  // For a count its one writer already keeps (a role's Report): its running total, copied
  // once per turn of the loop instead of an atomic add where it changes.
  void publish(std::uint64_t total) noexcept { value_.store(total, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<std::uint64_t> value_{0};
};

// A level, set by its one writer (a loop, once per turn).
class Gauge {
public:
  void set(std::uint64_t n) noexcept { value_.store(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<std::uint64_t> value_{0};
};

// Task durations in fixed buckets, 1 ms to 10 min: a task of zpipe is anything from a
// built-in noop to a shell command of minutes. Fixed bounds keep a scrape's buckets
// comparable across processes and restarts (Prometheus adds histograms bucket by bucket).
class DurationHistogram {
public:
  // Upper bounds in microseconds (Prometheus's `le`, in seconds, is these / 1e6).
  static constexpr std::array<std::uint64_t, 18> kBoundsUs{
      1'000,     2'500,     5'000,      10'000,     25'000,     50'000,      100'000,     250'000,     500'000,
      1'000'000, 2'500'000, 5'000'000, 10'000'000, 30'000'000, 60'000'000, 120'000'000, 300'000'000, 600'000'000};

  // Any thread.
  void observe_us(std::uint64_t microseconds) noexcept;

  struct Snapshot {
    std::array<std::uint64_t, kBoundsUs.size() + 1> counts{};  // per bucket, not cumulative; last: above the top
    std::uint64_t count = 0;                                     // the sum of `counts`
    std::uint64_t sum_us = 0;
  };
  // Any thread. `count` is added up from the buckets read, so it always equals their sum
  // (the +Inf bucket) even while observations land.
  Snapshot snapshot() const noexcept;

private:
  std::array<std::atomic<std::uint64_t>, kBoundsUs.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_us_{0};
};

// Messages dropped, by reason: the fixed phrases the decoders and roles log ("truncated
// body", "message before hello"). One writer (the role's loop thread) appends a reason the
// first time it is seen and publishes it after its name is written; readers see only
// published slots. A reason is never removed, so a scrape needs no lock.
class DropCounts {
public:
  // More distinct reasons than the code has (about 30): a bound, not a budget.
  static constexpr std::size_t kMaxReasons = 64;

  // The writer's thread only.
  void count(std::string_view reason);
  // Any thread: (reason, count) in the order first seen.
  std::vector<std::pair<std::string, std::uint64_t>> snapshot() const;

private:
  struct Slot {
    std::string reason;
    std::atomic<std::uint64_t> count{0};
  };
  std::array<Slot, kMaxReasons> slots_;
  std::atomic<std::size_t> used_{0};
};

// What a role's sockets carry: bytes of every frame each way (routing ids and headers
// included), and the messages it dropped.
struct WireCounters {
  Counter bytes_received;
  Counter bytes_sent;
  DropCounts dropped;
};

}  // namespace zpipe::core
