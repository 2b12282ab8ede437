// The reference Python worker (examples/python-worker) in real batches beside zpipe's own
// roles: separate processes, TCP on free ports. It must be a worker like any other: killed
// with SIGKILL its tasks run again elsewhere, drained with SIGTERM it hands back and leaves,
// refused it exits 2.
#include <gtest/gtest.h>

#include <signal.h>

#include "python_worker_support.hpp"
#include "reliability_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;

std::size_t records_by(const std::filesystem::path& out, const std::string& worker) {
  std::size_t n = 0;
  for (const auto& r : read_whole_records(out)) n += r["worker"] == worker;
  return n;
}

TEST(PythonWorker, KilledWithSigkillMidBatchBesideACppWorkerLosesNothing) {
  TempDir dir;
  Batch b;
  b.count = 120;
  b.command = "sleep 0.05; echo $(( {} * {} ))";
  const std::string file = b.write(dir);
  const auto out = dir / "out.jsonl";
  Child sink = start_zpipe({"sink", "-c", file}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child py = start_python_worker({"-c", file, "--name", "py", "--slots", "4"}, dir, "py");
  Child cpp = start_zpipe({"worker", "-c", file, "--name", "cpp", "--slots", "2"}, dir, "cpp");
  // The Python worker has recorded work and the batch is far from done: it holds tasks.
  ASSERT_TRUE(wait_until([&] { return records_by(out, "py") >= 8; }, 20s)) << read_file(dir / "py.err");
  const std::size_t before = count_lines(out);
  ASSERT_LT(before, static_cast<std::size_t>(b.count) - 20);
  py.signal(SIGKILL);
  EXPECT_EQ(py.wait(5s), 128 + SIGKILL);
  EXPECT_EQ(cpp.wait(30s), 0) << read_file(dir / "cpp.err");
  EXPECT_EQ(vent.wait(10s), 0) << read_file(dir / "vent.err");
  EXPECT_EQ(sink.wait(10s), 0) << read_file(dir / "sink.err");

  const auto records = read_jsonl(out);
  expect_square_records(records, b.count);
  const std::uint64_t redelivered =
      sum_matches(read_file(dir / "vent.err"), R"(presumed dead; (\d+) tasks will run again)");
  EXPECT_GT(redelivered, 0u) << "the Python worker held tasks when it was killed";
  std::uint64_t retried = 0;
  for (const auto& r : records) retried += r["attempts"].get<int>() >= 2;
  EXPECT_EQ(retried, redelivered) << "every task it held ran again, recorded with its second attempt";
  EXPECT_GE(records_by(out, "py"), 8u);
  EXPECT_GT(records_by(out, "cpp"), 0u);
}

TEST(PythonWorker, SigtermDrainsHandsBackAndExits143) {
  TempDir dir;
  Batch b;
  b.count = 60;
  b.command = "sleep 0.1; echo $(( {} * {} ))";
  b.workers = "{ slots: 2, prefetch: 2 }";
  const std::string file = b.write(dir);
  const auto out = dir / "out.jsonl";
  Child sink = start_zpipe({"sink", "-c", file}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child py = start_python_worker({"-c", file, "--name", "py"}, dir, "py");
  ASSERT_TRUE(wait_until([&] { return records_by(out, "py") >= 2; }, 20s)) << read_file(dir / "py.err");
  py.signal(SIGTERM);
  EXPECT_EQ(py.wait(10s), 128 + SIGTERM) << read_file(dir / "py.err");
  const std::string log = read_file(dir / "py.err");
  EXPECT_NE(log.find("leaving; handed back"), std::string::npos) << log;
  ASSERT_LT(count_lines(out), static_cast<std::size_t>(b.count)) << "the batch was not over at the drain";
  Child rescuer = start_zpipe({"worker", "-c", file, "--name", "cpp", "--slots", "4"}, dir, "cpp");
  EXPECT_EQ(rescuer.wait(30s), 0) << read_file(dir / "cpp.err");
  EXPECT_EQ(vent.wait(10s), 0) << read_file(dir / "vent.err");
  EXPECT_EQ(sink.wait(10s), 0) << read_file(dir / "sink.err");
  expect_square_records(read_jsonl(out), b.count);
}

TEST(PythonWorker, ADifferentTaskIsRefusedAndExits2) {
  TempDir dir;
  Batch b;
  b.count = 5;
  const std::string file = b.write(dir);
  Batch other = b;
  other.command = "echo something else";
  const std::string other_file = other.write(dir, "other.yaml");
  Child sink = start_zpipe({"sink", "-c", file}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child py = start_python_worker({"-c", other_file, "--name", "py"}, dir, "py");
  EXPECT_EQ(py.wait(20s), 2) << read_file(dir / "py.err");
  EXPECT_NE(read_file(dir / "py.err").find("pipeline mismatch"), std::string::npos) << read_file(dir / "py.err");
  Child cpp = start_zpipe({"worker", "-c", file}, dir, "cpp");
  EXPECT_EQ(cpp.wait(20s), 0) << read_file(dir / "cpp.err");
  EXPECT_EQ(vent.wait(10s), 0);
  EXPECT_EQ(sink.wait(10s), 0);
}

}  // namespace
}  // namespace zpipe

namespace zpipe {
namespace {

// halt: { when: now }: the ventilator tells the workers to halt; the Python worker kills its
// running 10 s sleeps, says bye{final} and exits 0 at once, as zpipe's own worker does.
TEST(PythonWorker, HaltNowKillsItsRunningTasksAndExitsZero) {
  using namespace std::chrono_literals;
  test::TempDir dir;
  test::Batch b;
  b.count = 12;
  b.command = "if [ {} = 3 ]; then exit 1; fi; sleep 10";
  b.extra = "halt: { on: failure, when: now }\n";
  const std::string file = b.write(dir);
  test::Child sink = test::start_zpipe({"sink", "-c", file}, dir, "sink");
  test::Child vent = test::start_zpipe({"ventilator", "-c", file}, dir, "vent");
  test::Child py = test::start_python_worker({"-c", file, "--name", "py", "--slots", "4"}, dir, "py");
  EXPECT_EQ(vent.wait(10s), 1) << test::read_file(dir / "vent.err");
  EXPECT_EQ(sink.wait(10s), 1) << test::read_file(dir / "sink.err");
  EXPECT_EQ(py.wait(5s), 0) << "still running its sleeps?\n" << test::read_file(dir / "py.err");
  EXPECT_NE(test::read_file(dir / "py.err").find("killing"), std::string::npos) << test::read_file(dir / "py.err");
}

}  // namespace
}  // namespace zpipe
