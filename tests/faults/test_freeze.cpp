// SIGSTOP, then SIGCONT, of each role: a process frozen longer than the pipeline's silence
// limit (600 ms here) is presumed dead by its peers, then comes back. Either the batch
// outlasts the stop, or its work ends while the role is frozen. Every id must be recorded
// once, every process must end by itself with exit code 0.
#include <gtest/gtest.h>

#include <signal.h>

#include <thread>

#include "fault_support.hpp"

namespace zpipe::faults {
namespace {

using namespace std::chrono_literals;
using test::Frozen;

test::Batch freeze_batch(const test::TempDir& dir) { return logged_batch(dir, 300, "0.01"); }

// Frozen for 2.5 s once `records` are written; the batch goes on after.
void frozen_at(Role role, std::size_t records, const std::string& scenario, const std::string& when) {
  test::TempDir dir;
  Roles roles(dir, freeze_batch(dir), 2);
  ASSERT_TRUE(roles.start_all_until(records)) << roles.log(Role::sink);
  {
    Frozen frozen(roles.child(role));
    ASSERT_TRUE(frozen.stopped());
    std::this_thread::sleep_for(2500ms);
  }
  roles.expect_all_end(60s);
  report(roles.expect_exactly_once(scenario, std::string("SIGSTOP ") + name_of(role) + " 2.5 s, " + when));
}

// A fifth of the batch written: it outlasts the stop.
void frozen_mid_batch(Role role, const std::string& scenario) { frozen_at(role, 60, scenario, "mid-batch"); }

TEST(Freeze, VentilatorMidBatch) { frozen_mid_batch(Role::ventilator, "freeze ventilator, batch outlasts it"); }
TEST(Freeze, SinkMidBatch) { frozen_mid_batch(Role::sink, "freeze sink, batch outlasts it"); }
TEST(Freeze, WorkerMidBatch) { frozen_mid_batch(Role::worker, "freeze a worker, batch outlasts it"); }

// Six tasks before the end: the last tasks run (or wait for the frozen role) during the stop.
void frozen_at_the_end(Role role, const std::string& scenario) {
  frozen_at(role, 300 - 6, scenario, "6 tasks before the end");
}

TEST(Freeze, VentilatorAsTheLastTasksRun) { frozen_at_the_end(Role::ventilator, "freeze ventilator at the end"); }
TEST(Freeze, SinkAsTheLastTasksRun) { frozen_at_the_end(Role::sink, "freeze sink at the end"); }

// A worker frozen with tasks in hand while the others finish the whole batch: its tasks run
// elsewhere, the batch ends without it, and once resumed it learns so, or finds nobody and
// leaves as an orphan. Either way it ends by itself, exit 0, and adds no record.
TEST(Freeze, WorkerWhileTheBatchEndsWithoutIt) {
  test::TempDir dir;
  Roles roles(dir, freeze_batch(dir), 2);
  ASSERT_TRUE(roles.start_all_until(60)) << roles.log(Role::sink);
  {
    Frozen frozen(roles.child(Role::worker, 0));
    ASSERT_TRUE(frozen.stopped());
    EXPECT_EQ(roles.child(Role::ventilator).wait(60s), 0) << roles.log(Role::ventilator);
    EXPECT_EQ(roles.child(Role::sink).wait(10s), 0) << roles.log(Role::sink);
  }
  const auto resumed = std::chrono::steady_clock::now();
  EXPECT_EQ(roles.child(Role::worker, 0).wait(20s), 0) << roles.log(Role::worker, 0);
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - resumed);
  EXPECT_EQ(roles.child(Role::worker, 1).wait(10s), 0) << roles.log(Role::worker, 1);
  report(roles.expect_exactly_once("freeze a worker until the batch ended",
                                   "SIGSTOP worker until the others finish; it ended " +
                                       std::to_string(after.count()) + " ms after SIGCONT"));
}

}  // namespace
}  // namespace zpipe::faults
