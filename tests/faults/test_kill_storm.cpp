// kill -9 storms: roles killed with SIGKILL again and again at random moments (gaps of
// 100-600 ms), each restarted at once the way an operator or Kubernetes would restart it
// (the sink continues its journal, the ventilator learns from the sink what is done).
// Every id must be recorded once, every process must end by itself with exit code 0.
#include <gtest/gtest.h>

#include <signal.h>

#include <random>
#include <thread>

#include "fault_support.hpp"

namespace zpipe::faults {
namespace {

using namespace std::chrono_literals;

// Kills `kills` times a role drawn from `victims` (kinds of role; a worker is drawn among
// all), while the batch still has more than a tenth to go.
void kill_storm(const std::vector<Role>& victims, int kills, const std::string& scenario) {
  std::mt19937 rng(std::random_device{}());
  test::TempDir dir;
  test::Batch b = logged_batch(dir, 600, "0.05");
  Roles roles(dir, b, 3);
  ASSERT_TRUE(roles.start_all_until(10)) << roles.log(Role::sink);
  const std::size_t stop_at = static_cast<std::size_t>(b.count) * 9 / 10;
  std::uniform_int_distribution<int> gap_ms(100, 600), pick_role(0, static_cast<int>(victims.size()) - 1),
      pick_worker(0, roles.workers() - 1);
  int done = 0;
  std::string order;
  while (done < kills) {
    std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms(rng)));
    // A role restarted once its batch is over would wait for the next one: not this test.
    if (roles.records_written() >= stop_at) break;
    const Role role = victims[static_cast<std::size_t>(pick_role(rng))];
    const int index = role == Role::worker ? pick_worker(rng) : 0;
    roles.kill(role, index);
    roles.start(role, index);
    order += std::string(order.empty() ? "" : " ") + name_of(role)[0];
    ++done;
  }
  EXPECT_GE(done, kills / 2) << "the batch ended before the storm did much: make it longer";
  roles.expect_all_end(60s);
  report(roles.expect_exactly_once(scenario, std::to_string(done) + " kills (" + order + "), gaps 100-600 ms"));
}

TEST(KillStorm, Workers) { kill_storm({Role::worker}, 10, "kill -9 storm: workers"); }
TEST(KillStorm, Sink) { kill_storm({Role::sink}, 8, "kill -9 storm: sink"); }
TEST(KillStorm, Ventilator) { kill_storm({Role::ventilator}, 8, "kill -9 storm: ventilator"); }
TEST(KillStorm, EveryRole) {
  kill_storm({Role::ventilator, Role::sink, Role::worker}, 12, "kill -9 storm: every role");
}

// The ventilator and the sink killed together, again and again: nothing survives but the
// workers and the journal.
TEST(KillStorm, VentilatorAndSinkTogether) {
  std::mt19937 rng(std::random_device{}());
  test::TempDir dir;
  test::Batch b = logged_batch(dir, 600, "0.05");
  Roles roles(dir, b, 3);
  ASSERT_TRUE(roles.start_all_until(10)) << roles.log(Role::sink);
  std::uniform_int_distribution<int> gap_ms(100, 600);
  int done = 0;
  while (done < 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms(rng)));
    if (roles.records_written() >= static_cast<std::size_t>(b.count) * 9 / 10) break;
    roles.kill(Role::ventilator);
    roles.kill(Role::sink);
    roles.start(Role::sink);
    roles.start(Role::ventilator);
    ++done;
  }
  EXPECT_GE(done, 3);
  roles.expect_all_end(60s);
  report(roles.expect_exactly_once("kill -9 storm: ventilator and sink together",
                                   std::to_string(done) + " double kills, gaps 100-600 ms"));
}

}  // namespace
}  // namespace zpipe::faults
