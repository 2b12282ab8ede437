// core::LoopPulse, the staleness rule behind /healthz, on an injected clock: a loop is stuck
// once its last turn is older than its limit, and a loop that is not running (before its
// first turn, after its end) never is.
#include <gtest/gtest.h>

#include "zpipe/core/health.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using core::Clock;

const Clock::time_point t0 = Clock::time_point(1000s);

TEST(LoopPulse, RestingBeforeTheFirstTurnIsNeverStuck) {
  core::LoopPulse pulse;
  EXPECT_FALSE(pulse.stuck_for(t0 + 1h));
}

TEST(LoopPulse, StuckOnlyOnceTheLastTurnIsOlderThanTheLimit) {
  core::LoopPulse pulse;
  pulse.set_limit(600ms);
  pulse.beat(t0);
  EXPECT_FALSE(pulse.stuck_for(t0));
  EXPECT_FALSE(pulse.stuck_for(t0 + 600ms));
  ASSERT_TRUE(pulse.stuck_for(t0 + 601ms));
  EXPECT_EQ(*pulse.stuck_for(t0 + 2s), 2s);
  pulse.beat(t0 + 2s);  // it turned again: alive again
  EXPECT_FALSE(pulse.stuck_for(t0 + 2500ms));
}

TEST(LoopPulse, AnEndedLoopRestsInsteadOfGoingStale) {
  core::LoopPulse pulse;
  pulse.set_limit(1s);
  pulse.beat(t0);
  pulse.rest();
  EXPECT_FALSE(pulse.stuck_for(t0 + 1h));
}

TEST(LoopPulse, TheLimitIsTheSilenceLimitButNeverUnderASecond) {
  EXPECT_EQ(core::stuck_limit(600ms), 1s);
  EXPECT_EQ(core::stuck_limit(5s), 5s);
}

}  // namespace
}  // namespace zpipe
