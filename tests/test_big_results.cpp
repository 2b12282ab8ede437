// A task's output bigger than one message a zpipe socket takes (core::kMaxMessageBytes,
// 256 MiB) from a worker process: before, the sink dropped the message with its
// connection, the worker pushed it again, forever, and the batch never ended. Now the
// worker cuts it to fit, marks the record truncated and names the task on stderr.
#include <gtest/gtest.h>

#include "reliability_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;

TEST(BigResults, AnOutputBeyondOneMessageIsCutMarkedAndNamedNotPushedForever) {
  TempDir dir;
  Batch b;
  b.count = 2;
  b.command = "if [ {} = 1 ]; then yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | head -c 270000000; else echo small; fi";
  b.task_keys = ", max_output: 1GiB";
  b.workers = "{ count: 1, slots: 1 }";
  const std::string file = b.write(dir);
  Child sink = start_zpipe({"sink", "-c", file}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child worker = start_zpipe({"worker", "-c", file}, dir, "worker");
  ASSERT_EQ(vent.wait(60s), 0) << read_file(dir / "vent.err");
  EXPECT_EQ(sink.wait(10s), 0) << read_file(dir / "sink.err");
  EXPECT_EQ(worker.wait(10s), 0) << read_file(dir / "worker.err");
  const auto records = read_jsonl(dir / "out.jsonl");
  ASSERT_EQ(records.size(), 2u);
  for (const auto& r : records) {
    EXPECT_EQ(r["status"], "ok");
    EXPECT_EQ(r["attempts"], 1) << "pushed more than once";
    if (r["id"] == 1) {
      EXPECT_EQ(r["truncated"], true);
      const std::size_t kept = r["output"].get<std::string>().size();
      EXPECT_GT(kept, 200u << 20);
      EXPECT_LT(kept, 256u << 20);
    } else {
      EXPECT_EQ(r["output"], "small\n");
    }
  }
  EXPECT_NE(read_file(dir / "worker.err").find("task 1: output cut from 270000000 to"), std::string::npos)
      << read_file(dir / "worker.err");
}

}  // namespace
}  // namespace zpipe
