// GNU parallel's --halt in zpipe run: `soon` stops dispatching and records what runs, `now`
// kills what runs; on failures (exit 1), successes or ended tasks (exit 0 unless a task
// failed), as counts or percentages of the batch. Real processes; a `now` that did not kill
// its 10 s sleeps would overrun the tests' limits.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;

TEST(Halt, NowOnTheFirstFailureKillsRunningTasks) {
  TempDir dir;
  const auto o = run_zpipe({"run", "-j", "4", "--halt", "now,fail=1", "--", "if [ {} = 2 ]; then exit 3; fi; sleep 10; echo {}"},
                           dir, seq(1, 20), 5s);
  ASSERT_NE(o.code, -1) << "still running: the sleeps were not killed\n" << o.err;
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_EQ(o.out, "") << "no sleep got to its echo";
  EXPECT_NE(o.err.find("zpipe: task 2 failed with exit code 3"), std::string::npos) << o.err;
}

TEST(Halt, SoonOnTheFirstFailureLetsRunningTasksFinishAndStartsNoMore) {
  TempDir dir;
  const auto o = run_zpipe({"run", "-j", "4", "--halt", "soon,fail=1", "--output", (dir / "o.jsonl").string(), "--",
                            "if [ {} = 2 ]; then exit 3; fi; sleep 0.3; echo {}"},
                           dir, seq(1, 40), 20s);
  EXPECT_EQ(o.code, 1) << o.err;
  const auto records = read_jsonl(dir / "o.jsonl");
  EXPECT_GE(records.size(), 2u) << "the failure and what ran beside it are recorded";
  EXPECT_LT(records.size(), 20u) << "dispatch stopped at the failure";
  for (const auto& r : records)
    if (r["id"] != 2) {
      EXPECT_EQ(r["status"], "ok") << r.dump() << ": a task running at the halt finishes";
    }
}

TEST(Halt, NowOnTheFirstSuccessExitsZeroAndKillsTheRest) {
  TempDir dir;
  const auto o = run_zpipe({"run", "-j", "4", "--halt", "now,success=1", "--", "sleep"}, dir, "0.1\n10\n10\n10\n", 5s);
  ASSERT_NE(o.code, -1) << "still running: the sleeps were not killed\n" << o.err;
  EXPECT_EQ(o.code, 0) << o.err;
}

TEST(Halt, PercentageOfTheBatchCountsOnceItsSizeIsKnown) {
  TempDir dir;
  // Forty tasks, the first twenty fail: 50% of 40 = 20 failures halt it, after task 20 (a
  // task or two more may have been handed out before the twentieth record was acknowledged).
  const auto o = run_zpipe({"run", "-j", "1", "--halt", "soon,fail=50%", "--output", (dir / "o.jsonl").string(), "--",
                            "test {} -gt 20"},
                           dir, seq(1, 40), 20s);
  EXPECT_EQ(o.code, 1) << o.err;
  const auto records = read_jsonl(dir / "o.jsonl");
  EXPECT_GE(records.size(), 20u);
  EXPECT_LE(records.size(), 23u) << "halted at the twentieth failure";
}

TEST(Halt, DoneCountAndTheOldNumericForms) {
  TempDir dir;
  const auto done = run_zpipe({"run", "-j", "1", "--halt", "soon,done=3", "--output", (dir / "d.jsonl").string(), "--",
                               "echo"},
                              dir, seq(1, 30), 20s);
  EXPECT_EQ(done.code, 0) << done.err;
  EXPECT_LT(read_jsonl(dir / "d.jsonl").size(), 30u);
  const auto old = run_zpipe({"run", "-j", "4", "--halt", "2", "--", "if [ {} = 1 ]; then exit 1; fi; sleep 10"}, dir,
                             seq(1, 8), 5s);
  EXPECT_EQ(old.code, 1) << "--halt 2 is now,fail=1\n" << old.err;
}

TEST(Halt, BadValuesAreRefusedNamingTheFlag) {
  TempDir dir;
  const auto o = run_zpipe({"run", "--halt", "sometimes", "--", "true"}, dir, "1\n");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("--halt: 'sometimes' is not a halt policy"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace zpipe
