// Built-in tasks honour task.max_output exactly as shell tasks do: stdout (the built-in's
// output) and stderr (its error text) each cut at max_output bytes, the record marked
// truncated; zpipe's own "timed out after N ms" note is not cut. Each test compares
// with what a process doing the same gives.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "pipeline_harness.hpp"
#include "zpipe/worker/task_runner.hpp"

namespace zpipe::worker {
namespace {

using namespace std::chrono_literals;
using config::Builtin;
using config::TaskKind;
using config::TaskSpec;
using core::TaskStatus;

TaskSpec builtin_task(Builtin builtin, std::size_t max_output) {
  TaskSpec spec;
  spec.kind = TaskKind::builtin;
  spec.builtin = builtin;
  spec.max_output = max_output;
  return spec;
}

TaskSpec shell_task(std::string command, std::size_t max_output) {
  TaskSpec spec;
  spec.kind = TaskKind::shell;
  spec.shell = std::move(command);
  spec.max_output = max_output;
  return spec;
}

TEST(BuiltinOutput, EchoIsCutAtMaxOutputLikeAProcess) {
  const core::TaskResult r = run_task(builtin_task(Builtin::echo, 2), 1, "hello", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "he");
  EXPECT_TRUE(r.truncated);
  const core::TaskResult p = run_task(shell_task("printf %s", 2), 1, "hello", 0);
  EXPECT_EQ(p.output, r.output);
  EXPECT_EQ(p.truncated, r.truncated);
}

TEST(BuiltinOutput, ExactlyMaxOutputBytesIsNotTruncated) {
  const core::TaskResult r = run_task(builtin_task(Builtin::echo, 5), 1, "hello", 0);
  EXPECT_EQ(r.output, "hello");
  EXPECT_FALSE(r.truncated);
  const core::TaskResult p = run_task(shell_task("printf %s", 5), 1, "hello", 0);
  EXPECT_EQ(p.output, "hello");
  EXPECT_FALSE(p.truncated);
}

TEST(BuiltinOutput, MaxOutputZeroCapturesNothingAndMarksAnyOutput) {
  const core::TaskResult r = run_task(builtin_task(Builtin::echo, 0), 1, "abc", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_EQ(r.output, "");
  EXPECT_TRUE(r.truncated);
  const core::TaskResult p = run_task(shell_task("printf %s", 0), 1, "abc", 0);
  EXPECT_EQ(p.output, "");
  EXPECT_TRUE(p.truncated);
  // Nothing to cut: not truncated, for a process as for a built-in.
  EXPECT_FALSE(run_task(builtin_task(Builtin::echo, 0), 1, "", 0).truncated);
  EXPECT_FALSE(run_task(builtin_task(Builtin::noop, 0), 1, "abc", 0).truncated);
  EXPECT_FALSE(run_task(shell_task("true #", 0), 1, "abc", 0).truncated);
}

TEST(BuiltinOutput, Sha256DigestIsCut) {
  const core::TaskResult r = run_task(builtin_task(Builtin::sha256, 8), 1, "abc", 0);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_EQ(r.output, "ba7816bf");
  EXPECT_TRUE(r.truncated);
}

TEST(BuiltinOutput, ErrorTextIsCutLikeStderr) {
  const core::TaskResult sleep = run_task(builtin_task(Builtin::sleep, 5), 1, "abc", 0);
  EXPECT_EQ(sleep.status, TaskStatus::failed);
  EXPECT_EQ(sleep.exit_code, 1);
  EXPECT_EQ(sleep.error, "sleep");
  EXPECT_TRUE(sleep.truncated);
  const core::TaskResult spin = run_task(builtin_task(Builtin::spin, 4), 1, "x", 0);
  EXPECT_EQ(spin.error, "spin");
  EXPECT_TRUE(spin.truncated);
  const core::TaskResult p = run_task(shell_task("echo oops >&2; exit 1 #", 2), 1, "", 0);
  EXPECT_EQ(p.error, "oo");
  EXPECT_TRUE(p.truncated);
}

TEST(BuiltinOutput, TimeoutNoteIsNotCutForABuiltinNorForAProcess) {
  TaskSpec spec = builtin_task(Builtin::sleep, 0);
  spec.timeout = 30ms;
  const core::TaskResult r = run_task(spec, 1, "5000", 0);
  EXPECT_EQ(r.status, TaskStatus::timeout);
  EXPECT_FALSE(r.exit_code.has_value());
  EXPECT_EQ(r.error, "timed out after 30 ms");
  EXPECT_FALSE(r.truncated);
  TaskSpec shell = shell_task("sleep 5 #", 0);
  shell.timeout = 30ms;
  const core::TaskResult p = run_task(shell, 1, "", 0);
  EXPECT_EQ(p.status, TaskStatus::timeout);
  EXPECT_EQ(p.error, r.error);
  EXPECT_EQ(p.truncated, r.truncated);
}

// The sleep timers on the worker's loop thread (not run_task) give the same records.
TEST(BuiltinOutput, SleepTimersCutTheirErrorText) {
  test::TempDir dir;
  const auto out = dir / "out.jsonl";
  config::Pipeline p = test::shell_pipeline(0, "");
  p.source = config::ItemsSource{{"abc", "1"}};
  p.task = builtin_task(Builtin::sleep, 5);
  test::Harness h(p, out);
  h.add_worker("w");
  EXPECT_TRUE(h.finish().completed);
  const auto records = test::read_jsonl(out);
  test::expect_exactly_once(records, 2);
  for (const auto& r : records) {
    if (r["id"] == 1) {
      EXPECT_EQ(r["status"], "failed") << r.dump();
      EXPECT_EQ(r["stderr"], "sleep") << r.dump();
      EXPECT_EQ(r["truncated"], true) << r.dump();
    } else {
      EXPECT_EQ(r["status"], "ok") << r.dump();
      EXPECT_FALSE(r.contains("truncated")) << r.dump();
    }
  }
}

}  // namespace
}  // namespace zpipe::worker
