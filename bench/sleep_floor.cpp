// Baseline for scenario c: what this machine allows at all for N sleeps of M ms on W
// threads. W threads take tasks from a shared atomic counter (a dispatcher with no latency,
// no messages, no results) and sleep M ms for each; the clock runs from the start signal
// to the last thread's end. On a 2-core VM, W threads waking together queue for the CPUs,
// so this floor sits above the arithmetic bound ceil(N/W) x M; zpipe is compared to both.
//
//   sleep_floor [--tasks N] [--threads W] [--ms M]
//   {"bench":"sleep_floor","tasks":200,"threads":64,"ms":10,"bound_seconds":0.04,"seconds":0.046}
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "args.hpp"

namespace {
constexpr const char* kUsage = "sleep_floor [--tasks N] [--threads W] [--ms M]";
using Clock = std::chrono::steady_clock;
}  // namespace

int main(int argc, char** argv) {
  std::uint64_t tasks = 200, threads = 64, ms = 10;
  zpipe::bench::parse_counts(argc, argv, kUsage, {{"--tasks", &tasks}, {"--threads", &threads}, {"--ms", &ms}});
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (std::uint64_t t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      while (next.fetch_add(1) < tasks) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    });
  }
  const auto start = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : pool) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double bound = static_cast<double>((tasks + threads - 1) / threads * ms) / 1000.0;
  std::printf("{\"bench\":\"sleep_floor\",\"tasks\":%llu,\"threads\":%llu,\"ms\":%llu,\"bound_seconds\":%.6f,"
              "\"seconds\":%.6f}\n",
              static_cast<unsigned long long>(tasks), static_cast<unsigned long long>(threads),
              static_cast<unsigned long long>(ms), bound, seconds);
  return 0;
}
