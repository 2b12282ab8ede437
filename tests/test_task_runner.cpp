// run_task: shell/argv/built-in tasks, status mapping, timeouts and retries.

#include "zpipe/worker/task_runner.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "zpipe/core/types.hpp"

#include "test_support.hpp"

namespace zpipe::worker {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using config::Builtin;
using config::TaskKind;
using config::TaskSpec;
using core::TaskStatus;

TaskSpec builtin_task(Builtin builtin) {
  TaskSpec spec;
  spec.kind = TaskKind::builtin;
  spec.builtin = builtin;
  return spec;
}

TaskSpec shell_task(std::string command) {
  TaskSpec spec;
  spec.kind = TaskKind::shell;
  spec.shell = std::move(command);
  return spec;
}

TEST(TaskStatusNames, MatchTheRecordFormat) {
  EXPECT_STREQ(core::to_string(TaskStatus::ok), "ok");
  EXPECT_STREQ(core::to_string(TaskStatus::failed), "failed");
  EXPECT_STREQ(core::to_string(TaskStatus::timeout), "timeout");
}

TEST(RunTask, CarriesIdAndInput) {
  const core::TaskResult r = run_task(builtin_task(Builtin::noop), 17, "some input", 0);
  EXPECT_EQ(r.id, 17u);
  EXPECT_EQ(r.input, "some input");
  EXPECT_EQ(r.attempts, 1u);
}

TEST(RunTask, NoopOutputsNothing) {
  const core::TaskResult r = run_task(builtin_task(Builtin::noop), 1, "x", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "");
  EXPECT_EQ(r.error, "");
}

TEST(RunTask, EchoOutputsInput) {
  const core::TaskResult r = run_task(builtin_task(Builtin::echo), 1, "hello world", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_EQ(r.output, "hello world");
}

TEST(RunTask, SleepUsesFixedMilliseconds) {
  TaskSpec spec = builtin_task(Builtin::sleep);
  spec.ms = 50;
  const core::TaskResult r = run_task(spec, 1, "not a number, but unused", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_GE(r.duration_us, 50'000u);
}

TEST(RunTask, SleepReadsMillisecondsFromInput) {
  const core::TaskResult r = run_task(builtin_task(Builtin::sleep), 1, "60", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_GE(r.duration_us, 60'000u);
  EXPECT_LT(r.duration_us, 2'000'000u);
}

TEST(RunTask, SleepRejectsInputThatIsNotANumber) {
  for (const char* bad : {"x", "", "-5", "12ms", " 12", "1.5", "99999999999999999999999"}) {
    const core::TaskResult r = run_task(builtin_task(Builtin::sleep), 1, bad, 0);
    EXPECT_EQ(r.status, TaskStatus::failed) << bad;
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_EQ(r.error, std::string("sleep: input '") + bad + "' is not a number of milliseconds");
  }
}

TEST(RunTask, SleepLongerThanTimeoutTimesOut) {
  TaskSpec spec = builtin_task(Builtin::sleep);
  spec.timeout = 100ms;
  const auto started = Clock::now();
  const core::TaskResult r = run_task(spec, 1, "10000", 0);
  EXPECT_LT(Clock::now() - started, 2s);
  EXPECT_EQ(r.status, TaskStatus::timeout);
  EXPECT_FALSE(r.exit_code.has_value());
  EXPECT_GE(r.duration_us, 100'000u);
}

TEST(RunTask, SleepWithinTimeoutIsOk) {
  TaskSpec spec = builtin_task(Builtin::sleep);
  spec.timeout = 1000ms;
  spec.ms = 20;
  EXPECT_EQ(run_task(spec, 1, "", 0).status, TaskStatus::ok);
}

TEST(RunTask, SpinBusyWaitsForMicrosecondsFromInput) {
  const core::TaskResult r = run_task(builtin_task(Builtin::spin), 1, "20000", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_GE(r.duration_us, 20'000u);
}

TEST(RunTask, SpinUsesFixedMicroseconds) {
  TaskSpec spec = builtin_task(Builtin::spin);
  spec.us = 15'000;
  const core::TaskResult r = run_task(spec, 1, "", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_GE(r.duration_us, 15'000u);
}

TEST(RunTask, SpinRejectsInputThatIsNotANumber) {
  const core::TaskResult r = run_task(builtin_task(Builtin::spin), 1, "abc", 0);
  EXPECT_EQ(r.status, TaskStatus::failed);
  EXPECT_EQ(r.error, "spin: input 'abc' is not a number of microseconds");
}

TEST(RunTask, Sha256OfAbc) {
  const core::TaskResult r = run_task(builtin_task(Builtin::sha256), 1, "abc", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_EQ(r.output, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(RunTask, Sha256RoundsHashTheRawDigest) {
  TaskSpec spec = builtin_task(Builtin::sha256);
  spec.rounds = 2;
  // printf abc | openssl dgst -sha256 -binary | openssl dgst -sha256
  EXPECT_EQ(run_task(spec, 1, "abc", 0).output,
            "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358");
  spec.rounds = 3;
  EXPECT_EQ(run_task(spec, 1, "abc", 0).output,
            "f2a778f1a6ed3d5bc59a5d79104c598f3f07093f240ca4e91333fb09ed4f36da");
}

TEST(RunTask, Sha256OfEmptyInput) {
  EXPECT_EQ(run_task(builtin_task(Builtin::sha256), 1, "", 0).output,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(RunTask, ShellExpandsPlaceholders) {
  const core::TaskResult r = run_task(shell_task("echo $(( {} * {} )) {#}"), 12, "7", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "49 12\n");
}

TEST(RunTask, ShellQuotesHostileInput) {
  const core::TaskResult r = run_task(shell_task("printf '%s' {}"), 1, "$(echo pwned); 'x'", 0);
  EXPECT_EQ(r.output, "$(echo pwned); 'x'");
}

TEST(RunTask, ShellAppendsInputWithoutPlaceholder) {
  EXPECT_EQ(run_task(shell_task("echo"), 1, "a  b", 0).output, "a  b\n");
}

TEST(RunTask, ArgvRunsWithoutShell) {
  TaskSpec spec;
  spec.kind = TaskKind::argv;
  spec.argv = {"printf", "%s|%s", "{}", "{#}"};
  const core::TaskResult r = run_task(spec, 5, "a b;c", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_EQ(r.output, "a b;c|5");
}

TEST(RunTask, ArgvMissingProgramFailsWith127) {
  TaskSpec spec;
  spec.kind = TaskKind::argv;
  spec.argv = {"zpipe-no-such-program-x3"};
  const core::TaskResult r = run_task(spec, 1, "in", 0);
  EXPECT_EQ(r.status, TaskStatus::failed);
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.error, "zpipe: zpipe-no-such-program-x3: No such file or directory");
}

TEST(RunTask, StderrGoesToError) {
  const core::TaskResult r = run_task(shell_task("echo out; echo oops >&2; exit 4"), 1, "", 0);
  EXPECT_EQ(r.status, TaskStatus::failed);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.output, "out\n");
  EXPECT_EQ(r.error, "oops\n");
}

TEST(RunTask, KilledBySignalFailsWithoutExitCode) {
  const core::TaskResult r = run_task(shell_task("kill -KILL $$ #"), 1, "", 0);
  EXPECT_EQ(r.status, TaskStatus::failed);
  EXPECT_FALSE(r.exit_code.has_value());
  EXPECT_EQ(r.error, "killed by signal 9");
}

TEST(RunTask, ShellTimeout) {
  TaskSpec spec = shell_task("sleep 30 #");
  spec.timeout = 200ms;
  const auto started = Clock::now();
  const core::TaskResult r = run_task(spec, 1, "", 0);
  EXPECT_LT(Clock::now() - started, 5s);
  EXPECT_EQ(r.status, TaskStatus::timeout);
  EXPECT_FALSE(r.exit_code.has_value());
  EXPECT_EQ(r.attempts, 1u);
}

TEST(RunTask, OutputTruncationIsReported) {
  TaskSpec spec = shell_task("head -c 100000 /dev/zero #");
  spec.max_output = 100;
  const core::TaskResult r = run_task(spec, 1, "", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.output.size(), 100u);
}

TEST(RunTask, FailingTaskIsRetriedUpToTheLimit) {
  TaskSpec spec = shell_task("exit 3 #");
  spec.retries = 2;
  const core::TaskResult r = run_task(spec, 1, "", 0);
  EXPECT_EQ(r.status, TaskStatus::failed);
  EXPECT_EQ(r.attempts, 3u);
  EXPECT_EQ(r.exit_code, 3);
}

// Each run appends a line to a counter file and fails while it has fewer than N lines.
TaskSpec fails_until_run(int succeeding_run, const std::string& counter_file) {
  return shell_task("echo x >> " + counter_file + "; n=$(wc -l < " + counter_file +
                    "); echo run $n; [ $n -ge " + std::to_string(succeeding_run) + " ] #");
}

TEST(RunTask, RetryStopsAtFirstSuccessAndKeepsLastAttempt) {
  test::TempDir dir;
  TaskSpec spec = fails_until_run(2, (dir / "counter").string());
  spec.retries = 5;
  const core::TaskResult r = run_task(spec, 1, "", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_EQ(r.attempts, 2u);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "run 2\n");
}

TEST(RunTask, EarlierAttemptsAreAdded) {
  test::TempDir dir;
  TaskSpec spec = fails_until_run(2, (dir / "counter").string());
  spec.retries = 1;
  const core::TaskResult r = run_task(spec, 1, "", 4);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_EQ(r.attempts, 6u);
  EXPECT_EQ(run_task(builtin_task(Builtin::noop), 1, "", 2).attempts, 3u);
}

TEST(RunTask, TimeoutIsRetried) {
  TaskSpec spec = builtin_task(Builtin::sleep);
  spec.timeout = 30ms;
  spec.retries = 2;
  const core::TaskResult r = run_task(spec, 1, "5000", 0);
  EXPECT_EQ(r.status, TaskStatus::timeout);
  EXPECT_EQ(r.attempts, 3u);
}

TEST(RunTask, DurationIsThatOfTheLastAttempt) {
  test::TempDir dir;
  const std::string counter = (dir / "counter").string();
  // First run is slow and fails; the second is fast and succeeds.
  TaskSpec spec = shell_task("echo x >> " + counter + "; [ $(wc -l < " + counter +
                             ") -ge 2 ] || { sleep 0.5; exit 1; } #");
  spec.retries = 1;
  const core::TaskResult r = run_task(spec, 1, "", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_EQ(r.attempts, 2u);
  EXPECT_LT(r.duration_us, 400'000u);
}

}  // namespace
}  // namespace zpipe::worker
