// run_process with real children: exit codes, capture, truncation, timeouts that kill the
// whole process group, signal state of children, and no leaked fds or zombies.

#include "zpipe/worker/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace zpipe::worker {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Argv = std::vector<std::string>;

constexpr std::size_t kMaxOutput = 1 << 20;

ProcessResult sh(const std::string& script, std::chrono::milliseconds timeout = 0ms,
                 std::size_t max_output = kMaxOutput) {
  return run_process({"/bin/sh", "-c", script}, timeout, max_output);
}

std::size_t open_fd_count() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;
}

// True once `pid` no longer runs. A reparented orphan may stay a zombie if the container's
// init does not reap, so a zombie counts as gone too.
bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  const std::size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

bool wait_until_gone(pid_t pid, std::chrono::milliseconds limit) {
  const auto until = Clock::now() + limit;
  while (!process_gone(pid)) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

pid_t read_pid(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

TEST(RunProcess, ReportsExitCodes) {
  EXPECT_EQ(sh("exit 0").exit_code, 0);
  EXPECT_EQ(sh("exit 3").exit_code, 3);
  EXPECT_EQ(run_process({"false"}, 0ms, kMaxOutput).exit_code, 1);
  const ProcessResult ok = run_process({"true"}, 0ms, kMaxOutput);
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.term_signal, 0);
  EXPECT_FALSE(ok.timed_out);
  EXPECT_FALSE(ok.truncated);
}

TEST(RunProcess, CapturesStdoutAndStderrSeparately) {
  const ProcessResult r = sh("echo out1; echo err1 >&2; printf out2; printf err2 >&2");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "out1\nout2");
  EXPECT_EQ(r.error, "err1\nerr2");
}

TEST(RunProcess, PassesArgvWordsUnchanged) {
  const ProcessResult r = run_process({"printf", "[%s]", "a b", "$HOME", "it's"}, 0ms, kMaxOutput);
  EXPECT_EQ(r.out, "[a b][$HOME][it's]");
}

TEST(RunProcess, StdinIsEmpty) {
  const ProcessResult r = run_process({"wc", "-c"}, 5000ms, kMaxOutput);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "0\n");
}

TEST(RunProcess, TruncatesLargeStdoutButReadsItAll) {
  const ProcessResult r = run_process({"head", "-c", "10485760", "/dev/zero"}, 0ms, 1000);
  EXPECT_EQ(r.exit_code, 0);  // not killed by SIGPIPE: we kept reading
  EXPECT_EQ(r.out.size(), 1000u);
  EXPECT_TRUE(r.truncated);
  EXPECT_TRUE(r.error.empty());
}

TEST(RunProcess, TruncatesStderrIndependently) {
  const ProcessResult r = sh("printf small; head -c 100000 /dev/zero >&2", 0ms, 4096);
  EXPECT_EQ(r.out, "small");
  EXPECT_EQ(r.error.size(), 4096u);
  EXPECT_TRUE(r.truncated);
}

TEST(RunProcess, OutputExactlyAtLimitIsNotTruncated) {
  const ProcessResult r = sh("printf 12345", 0ms, 5);
  EXPECT_EQ(r.out, "12345");
  EXPECT_FALSE(r.truncated);
}

TEST(RunProcess, MissingProgramIs127) {
  const ProcessResult r = run_process({"zpipe-no-such-program-x1", "arg"}, 0ms, kMaxOutput);
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.error, "zpipe: zpipe-no-such-program-x1: No such file or directory");
  EXPECT_TRUE(r.out.empty());
}

TEST(RunProcess, NonExecutableFileIs126) {
  test::TempDir dir;
  const std::string script = (dir / "not-executable.sh").string();
  std::ofstream(script) << "#!/bin/sh\necho hi\n";
  ::chmod(script.c_str(), 0644);
  const ProcessResult r = run_process({script}, 0ms, kMaxOutput);
  EXPECT_EQ(r.exit_code, 126);
  EXPECT_EQ(r.error, "zpipe: " + script + ": Permission denied");
}

TEST(RunProcess, EmptyArgvIs127) {
  EXPECT_EQ(run_process({}, 0ms, kMaxOutput).exit_code, 127);
}

TEST(RunProcess, ReportsSignalThatKilledChild) {
  const ProcessResult r = sh("kill -TERM $$");
  EXPECT_FALSE(r.exit_code.has_value());
  EXPECT_EQ(r.term_signal, SIGTERM);
  EXPECT_FALSE(r.timed_out);
}

TEST(RunProcess, TimeoutKillsShellAndGrandchild) {
  test::TempDir dir;
  const std::string pid_file = (dir / "grandchild.pid").string();
  const auto started = Clock::now();
  const ProcessResult r =
      sh("sleep 30 & echo $! > " + pid_file + "; echo started; sleep 30", 300ms);
  const auto elapsed = Clock::now() - started;

  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.exit_code.has_value());
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_EQ(r.out, "started\n");  // output written before the kill is kept
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 5s);

  const pid_t grandchild = read_pid(pid_file);
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(wait_until_gone(grandchild, 3s)) << "grandchild " << grandchild << " survived";
}

TEST(RunProcess, TimeoutAppliesToBackgroundChildHoldingThePipe) {
  // The shell exits at once, but its background child keeps stdout open.
  const auto started = Clock::now();
  const ProcessResult r = sh("sleep 30 & echo parent-done", 300ms);
  EXPECT_LT(Clock::now() - started, 5s);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.out, "parent-done\n");
}

TEST(RunProcess, WithoutTimeoutWaitsForBackgroundChildOutput) {
  const ProcessResult r = sh("(sleep 0.3; echo late) & echo early");
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "early\nlate\n");
}

TEST(RunProcess, FinishingBeforeTimeoutIsNotTimedOut) {
  const ProcessResult r = sh("sleep 0.05; echo done", 5000ms);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "done\n");
}

TEST(RunProcess, ChildGetsDefaultSigpipeEvenIfParentIgnoresIt) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &previous), 0);
  // With SIGPIPE ignored, `yes` would get EPIPE and complain on stderr; with the default
  // disposition it dies silently.
  const ProcessResult r = sh("yes | head -c 3");
  ::sigaction(SIGPIPE, &previous, nullptr);
  EXPECT_EQ(r.out, "y\ny");
  EXPECT_EQ(r.error, "");
}

TEST(RunProcess, ChildSignalMaskIsEmptyEvenIfParentBlocksSignals) {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigset_t previous;
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &previous), 0);
  const ProcessResult r = sh("kill -TERM $$; echo survived");
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  EXPECT_EQ(r.term_signal, SIGTERM);
  EXPECT_EQ(r.out, "");
}

TEST(RunProcess, ChildLeadsItsOwnProcessGroup) {
  const ProcessResult r = sh("cut -d' ' -f5 /proc/$$/stat; echo $$");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const std::size_t newline = r.out.find('\n');
  ASSERT_NE(newline, std::string::npos);
  EXPECT_EQ(r.out.substr(0, newline) + "\n", r.out.substr(newline + 1));
  EXPECT_NE(r.out.substr(0, newline), std::to_string(::getpgrp()));
}

TEST(RunProcess, LeavesNoFdsOrZombiesAfterManyRuns) {
  const std::size_t fds_before = open_fd_count();
  for (int i = 0; i < 50; ++i) {
    switch (i % 4) {
      case 0: ASSERT_EQ(sh("echo out; echo err >&2").exit_code, 0); break;
      case 1: ASSERT_EQ(run_process({"zpipe-no-such-program-x2"}, 0ms, 10).exit_code, 127); break;
      case 2: ASSERT_TRUE(sh("head -c 200000 /dev/zero", 0ms, 10).truncated); break;
      case 3: ASSERT_TRUE(sh("sleep 5", 20ms).timed_out); break;
    }
  }
  EXPECT_EQ(open_fd_count(), fds_before);
  // Every child was reaped: there is no child left to wait for.
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(RunProcess, ConcurrentRunsKeepOutputsSeparate) {
  constexpr int kThreads = 4;
  constexpr int kRunsPerThread = 15;
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &mismatches] {
      for (int i = 0; i < kRunsPerThread; ++i) {
        const std::string tag = std::to_string(t) + "-" + std::to_string(i);
        const ProcessResult r =
            run_process({"/bin/sh", "-c", "printf \"out-$1\"; printf \"err-$1\" >&2", "sh", tag},
                        5000ms, kMaxOutput);
        if (r.out != "out-" + tag || r.error != "err-" + tag || r.exit_code != 0) ++mismatches;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// fds a child inherits on purpose: those the test process itself holds without FD_CLOEXEC
// (e.g. passed down by the test runner). Everything else in a child is a leak.
std::size_t inheritable_fd_count() {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(entry.path().filename().string());
    const int flags = ::fcntl(fd, F_GETFD);
    if (fd > STDERR_FILENO && flags >= 0 && (flags & FD_CLOEXEC) == 0) ++count;
  }
  return count;
}

TEST(RunProcess, ChildrenInheritNoPipeEnds) {
  // `ls` lists its own fds: stdio, the inheritable ones, and the directory it is reading.
  // Four threads spawn at once, so a pipe end of one run leaking into another run's child
  // (or into its own child) shows up as an extra entry.
  const std::size_t expected_lines = 3 + inheritable_fd_count() + 1;
  std::atomic<int> leaks{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([expected_lines, &leaks] {
      for (int i = 0; i < 20; ++i) {
        const ProcessResult r = run_process({"ls", "-1", "/proc/self/fd"}, 5000ms, kMaxOutput);
        const auto lines = static_cast<std::size_t>(std::count(r.out.begin(), r.out.end(), '\n'));
        if (r.exit_code != 0 || lines != expected_lines) ++leaks;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(leaks.load(), 0);
}

}  // namespace
}  // namespace zpipe::worker
