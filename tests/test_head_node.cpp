// Kubernetes issue, item 5: `zpipe run` as a head node. Its in-process workers and
// `zpipe worker` processes that connect over tcp (--listen, or the file's `bind` keys)
// share one batch; every record exactly once. Real processes on loopback.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "reliability_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;

std::map<std::string, int> tasks_per_worker(const std::vector<nlohmann::json>& records) {
  std::map<std::string, int> n;
  for (const auto& r : records) ++n[r["worker"].get<std::string>().substr(0, 6)];
  return n;
}

// The head node runs one slow slot itself; two remote workers join and take most tasks.
void expect_shared_batch(const TempDir& dir, const Batch& b, const std::vector<std::string>& run_args,
                         const std::vector<std::string>& worker_endpoints) {
  Child head = start_zpipe(run_args, dir, "head");
  std::vector<Child> remote;
  for (int i = 1; i <= 2; ++i) {
    std::vector<std::string> args{"worker", "-c", (dir / "p.yaml").string(), "--name", "remote" + std::to_string(i)};
    args.insert(args.end(), worker_endpoints.begin(), worker_endpoints.end());
    remote.push_back(start_zpipe(args, dir, "remote" + std::to_string(i)));
  }
  ASSERT_EQ(head.wait(60s), 0) << read_file(dir / "head.err");
  for (int i = 1; i <= 2; ++i)
    EXPECT_EQ(remote[static_cast<std::size_t>(i - 1)].wait(10s), 0) << read_file(dir / ("remote" + std::to_string(i) + ".err"));
  const auto records = read_jsonl(dir / "out.jsonl");
  expect_square_records(records, b.count);
  const auto per_worker = tasks_per_worker(records);
  EXPECT_GT(per_worker.count("remote"), 0u) << "no task ran on a remote worker";
  EXPECT_GT(per_worker.size(), 1u) << "the head node's own worker ran nothing";
}

TEST(HeadNode, ListenLetsWorkerProcessesJoinTheRun) {
  TempDir dir;
  Batch b;
  b.count = 60;
  b.command = "sleep 0.02; echo $(( {} * {} ))";
  b.workers = "{ count: 1, slots: 1 }";
  b.write(dir);
  const int port = free_port();
  expect_shared_batch(dir, b, {"run", (dir / "p.yaml").string(), "--listen", "127.0.0.1:" + std::to_string(port)},
                      {"--ventilator", "tcp://127.0.0.1:" + std::to_string(port), "--sink",
                       "tcp://127.0.0.1:" + std::to_string(port + 1)});
}

TEST(HeadNode, APipelineFilesBindKeysAreBoundByRun) {
  TempDir dir;
  Batch b;
  b.count = 60;
  b.command = "sleep 0.02; echo $(( {} * {} ))";
  b.workers = "{ count: 1, slots: 1 }";
  b.vent_keys += ", bind: \"tcp://127.0.0.1:" + std::to_string(b.vent_port) + "\"";
  b.write(dir);
  expect_shared_batch(dir, b, {"run", (dir / "p.yaml").string()}, {});  // workers use the file's endpoints
}

TEST(HeadNode, BadListenValuesNameTheFlag) {
  TempDir dir;
  Batch b;
  b.write(dir);
  for (const char* bad : {"x", "65535", "0", "host:", "127.0.0.1:99999"}) {
    const Outcome o = run_zpipe({"run", (dir / "p.yaml").string(), "--listen", bad}, dir, {}, 10s);
    EXPECT_EQ(o.code, 2) << bad << ": " << o.err;
    EXPECT_NE(o.err.find("--listen"), std::string::npos) << bad << ": " << o.err;
  }
}

TEST(HeadNode, AListenPortInUseFailsBeforeAnyTaskRuns) {
  TempDir dir;
  Batch b;
  b.count = 5;
  b.command = "echo {} >> " + (dir / "ran").string();
  b.write(dir);
  const int port = free_port();
  TempDir other;  // its own output file
  Batch slow;
  slow.count = 1;
  slow.command = "sleep 30";
  slow.write(other);
  Child holder = start_zpipe({"run", (other / "p.yaml").string(), "--listen", "127.0.0.1:" + std::to_string(port)},
                             other, "holder");
  ASSERT_TRUE(wait_until([&] { return port_bound(port); }, 10s));
  const Outcome o = run_zpipe({"run", (dir / "p.yaml").string(), "--listen", "127.0.0.1:" + std::to_string(port)}, dir);
  EXPECT_EQ(o.code, 3) << o.err;
  EXPECT_NE(o.err.find(std::to_string(port)), std::string::npos) << o.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "ran")) << "a task ran although the run could not listen";
  holder.signal(SIGKILL);
}

}  // namespace
}  // namespace zpipe
