// The halt policy: its YAML (on, after in counts or percentages, when) and GNU parallel's
// --halt values, old numeric forms included.
#include <gtest/gtest.h>

#include "config_test_support.hpp"

using namespace zpipe::config::testing;

namespace zpipe::config {
namespace {

TEST(ConfigHalt, EveryEventPercentagesAndNow) {
  const Pipeline p = parse(kHead + "halt: {on: success, after: \"10%\", when: now}\n");
  EXPECT_EQ(p.halt.on, HaltSpec::On::success);
  EXPECT_EQ(p.halt.when, HaltSpec::When::now);
  EXPECT_EQ(p.halt.after, 10u);
  EXPECT_TRUE(p.halt.percent);
  EXPECT_EQ(p.halt.describe(), "now (running tasks are killed), once 10% of the tasks succeeded");
  EXPECT_EQ(parse(kHead + "halt: {on: done, after: 4}\n").halt.describe(),
            "soon (running tasks finish), once 4 tasks ended");
}

// GNU parallel's --halt values, its old numeric forms included.
TEST(ConfigHalt, GnuParallelHaltValues) {
  struct Case {
    const char* value;
    HaltSpec::On on;
    HaltSpec::When when;
    std::uint64_t after;
    bool percent;
  };
  using On = HaltSpec::On;
  using When = HaltSpec::When;
  for (const Case& c : {Case{"now,fail=1", On::failure, When::now, 1, false},
                        Case{"soon,fail=3", On::failure, When::soon, 3, false},
                        Case{"soon,fail=3%", On::failure, When::soon, 3, true},
                        Case{"now,success=2", On::success, When::now, 2, false},
                        Case{"soon,done=50%", On::done, When::soon, 50, true},
                        Case{"1", On::failure, When::soon, 1, false}, Case{"2", On::failure, When::now, 1, false},
                        Case{"-1", On::success, When::soon, 1, false}, Case{"-2", On::success, When::now, 1, false},
                        Case{"20%", On::failure, When::soon, 20, true}}) {
    const HaltSpec h = parse_halt("--halt", c.value);
    EXPECT_EQ(h.on, c.on) << c.value;
    EXPECT_EQ(h.when, c.when) << c.value;
    EXPECT_EQ(h.after, c.after) << c.value;
    EXPECT_EQ(h.percent, c.percent) << c.value;
  }
  EXPECT_EQ(parse_halt("--halt", "now,success=10%").spelling(), "now,success=10%");
  EXPECT_EQ(parse_halt("--halt", "1").spelling(), "soon,fail=1");
  EXPECT_FALSE(parse_halt("--halt", "never").enabled());
  EXPECT_FALSE(parse_halt("--halt", "0").enabled());
  for (const char* bad : {"later,fail=1", "now,fail", "now,fail=0", "now,oops=1", "soon,fail=101%", "100%", "3", "x"}) {
    try {
      parse_halt("--halt", bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(std::string("--halt: '") + bad + "' is not a halt policy", 0), 0u)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace zpipe::config
