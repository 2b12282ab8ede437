// Baseline for the granular-sleep scenarios: what this machine allows at all for N sleeps
// of M ms on W threads, or on W processes. The workers take tasks from a shared atomic
// counter (a dispatcher with no latency, no messages, no results) and sleep M ms for each;
// the clock runs from the start signal to the last worker's end. On a 2-core VM, W workers
// waking together queue for the CPUs, so this floor sits above the arithmetic bound
// ceil(N/W) x M; zpipe is compared to both.
//
// --processes W forks W processes instead (the counter in shared memory), all started and
// waiting before the clock starts, as W `zpipe worker` processes are before their batch:
// each wake-up is a process's, with its own address space, as it is for zpipe's workers.
//
//   sleep_floor [--tasks N] [--threads W | --processes W] [--ms M]
//   {"bench":"sleep_floor","tasks":200,"threads":64,"processes":0,"ms":10,"bound_seconds":0.04,"seconds":0.046}
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "args.hpp"

namespace {
constexpr const char* kUsage = "sleep_floor [--tasks N] [--threads W | --processes W] [--ms M]";
using Clock = std::chrono::steady_clock;

void sleep_tasks(std::atomic<std::uint64_t>& next, std::uint64_t tasks, std::uint64_t ms) {
  while (next.fetch_add(1) < tasks) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

double on_threads(std::uint64_t tasks, std::uint64_t threads, std::uint64_t ms) {
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (std::uint64_t t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      sleep_tasks(next, tasks, ms);
    });
  }
  const auto start = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : pool) t.join();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Children block reading a pipe whose write end the parent closes to start them all at
// once (EOF wakes every reader); a second pipe tells the parent each child is waiting.
double on_processes(std::uint64_t tasks, std::uint64_t processes, std::uint64_t ms) {
  static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "the counter is shared between processes");
  void* shared = mmap(nullptr, sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) { std::perror("sleep_floor: mmap"); std::exit(1); }
  auto* next = new (shared) std::atomic<std::uint64_t>{0};
  int go[2], up[2];
  if (pipe(go) != 0 || pipe(up) != 0) { std::perror("sleep_floor: pipe"); std::exit(1); }
  std::vector<pid_t> children;
  for (std::uint64_t p = 0; p < processes; ++p) {
    const pid_t pid = fork();
    if (pid < 0) { std::perror("sleep_floor: fork"); std::exit(1); }
    if (pid == 0) {
      close(go[1]);
      close(up[0]);
      const char ready = 'r';
      if (write(up[1], &ready, 1) != 1) _exit(1);
      char byte;
      if (read(go[0], &byte, 1) != 0) _exit(1);
      sleep_tasks(*next, tasks, ms);
      _exit(0);
    }
    children.push_back(pid);
  }
  close(up[1]);
  char byte;
  for (std::uint64_t p = 0; p < processes; ++p) {
    if (read(up[0], &byte, 1) != 1) { std::fprintf(stderr, "sleep_floor: a child died before the start\n"); std::exit(1); }
  }
  const auto start = Clock::now();
  close(go[1]);
  int failed = 0;
  for (pid_t pid : children) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed > 0) { std::fprintf(stderr, "sleep_floor: %d children failed\n", failed); std::exit(1); }
  return seconds;
}
}  // namespace

int main(int argc, char** argv) {
  std::uint64_t tasks = 200, threads = 0, processes = 0, ms = 10;
  zpipe::bench::parse_counts(argc, argv, kUsage,
                             {{"--tasks", &tasks}, {"--threads", &threads}, {"--processes", &processes}, {"--ms", &ms}});
  if (threads != 0 && processes != 0) zpipe::bench::usage_error(kUsage, "--threads and --processes exclude each other");
  if (threads == 0 && processes == 0) threads = 64;
  const std::uint64_t workers = threads + processes;
  const double seconds = processes != 0 ? on_processes(tasks, processes, ms) : on_threads(tasks, threads, ms);
  const double bound = static_cast<double>((tasks + workers - 1) / workers * ms) / 1000.0;
  std::printf("{\"bench\":\"sleep_floor\",\"tasks\":%llu,\"threads\":%llu,\"processes\":%llu,\"ms\":%llu,"
              "\"bound_seconds\":%.6f,\"seconds\":%.6f}\n",
              static_cast<unsigned long long>(tasks), static_cast<unsigned long long>(threads),
              static_cast<unsigned long long>(processes), static_cast<unsigned long long>(ms), bound, seconds);
  return 0;
}
