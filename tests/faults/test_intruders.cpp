// Intruders on a live batch: every other writer of its output is refused (exit 3) before it
// reads, cuts or truncates a byte, and a second sink with an output of its own cannot take
// the batch over (the ventilator tells it to wait). The batch ends with every id once.
#include <gtest/gtest.h>

#include "fault_support.hpp"

namespace zpipe::faults {
namespace {

using namespace std::chrono_literals;

TEST(Intruders, SecondWritersAndAHijackingSinkLeaveTheLiveBatchWhole) {
  test::TempDir dir;
  test::Batch b = logged_batch(dir, 500, "0.02");
  Roles roles(dir, b, 2);
  ASSERT_TRUE(roles.start_all_until(20)) << roles.log(Role::sink);

  const std::string other_port = "tcp://127.0.0.1:" + std::to_string(test::free_port());
  const std::string holder = "is in use by pid " + std::to_string(roles.child(Role::sink).pid());
  struct Writer {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Writer> writers{
      {{"sink", "-c", roles.file(), "--fresh"}, "cannot bind"},        // same port: fails before the file
      {{"sink", "-c", roles.file()}, "cannot bind"},                   // would have cut a "torn" line
      {{"sink", "-c", roles.file(), "--sink", other_port}, holder},    // another port, same output
      {{"sink", "-c", roles.file(), "--sink", other_port, "--fresh"}, holder},
      {{"run", roles.file()}, holder},                                 // in-process endpoints
  };
  for (const auto& w : writers) {
    const auto o = test::run_zpipe(w.args, dir, {}, 10s);
    EXPECT_EQ(o.code, 3) << o.err;
    EXPECT_NE(o.err.find(w.says), std::string::npos) << o.err;
  }
  // A sink of its own output and port is no restart of the live one: told to wait, it gives
  // up (its connect timeout) once the ventilator is gone.
  test::Child hijacker = test::start_zpipe({"sink", "-c", roles.file(), "--sink", other_port, "--output",
                                            (dir / "other.jsonl").string(), "--connect-timeout", "2s"},
                                           dir, "hijacker");
  EXPECT_TRUE(test::wait_until(
      [&] { return test::read_file(dir / "hijacker.err").find("another sink") != std::string::npos; }, 10s))
      << test::read_file(dir / "hijacker.err");
  roles.expect_all_end(60s);
  EXPECT_EQ(hijacker.wait(10s), 3) << test::read_file(dir / "hijacker.err");
  EXPECT_TRUE(test::read_whole_records(dir / "other.jsonl").empty());
  const std::string vent_log = roles.log(Role::ventilator);
  EXPECT_NE(vent_log.find("refused a second sink"), std::string::npos) << vent_log;
  Figures f = roles.expect_exactly_once("second writers and a hijacking sink",
                                        std::to_string(writers.size()) + " writers refused, 1 sink told to wait");
  EXPECT_EQ(f.duplicates, 0u) << "nothing in flight ran again";
  EXPECT_EQ(f.reruns, 0u);
  report(f);
}

}  // namespace
}  // namespace zpipe::faults
