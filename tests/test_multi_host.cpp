// Kubernetes issue, items 4 and 5: a batch across real hosts, each role on its own network
// namespace cabled to a bridge, peers addressed by host name. The batch ends with every
// record exactly once while workers join mid-batch, a worker host's cable is cut and
// plugged back, a worker is stopped with SIGTERM, and the sink moves to another host (its
// name now resolves to another address, as a Service IP that changed). Then `zpipe run` as
// a head node with workers on two other hosts, one of them without the pipeline file. Needs root; skips saying why without it.
#include <gtest/gtest.h>

#include <signal.h>

#include <iostream>
#include <regex>
#include <string>

#include "reliability_support.hpp"
#include "zpipe/experiment/virtual_hosts.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;
using experiment::VirtualHosts;

class MultiHost : public ::testing::Test {
protected:
  void SetUp() override {
    if (const std::string why = VirtualHosts::unavailable(); !why.empty()) GTEST_SKIP() << why;
  }

  // A role on host `host`: stdout/stderr in dir/TAG.out and dir/TAG.err.
  Child start_on(const VirtualHosts& hosts, const std::string& host, const std::vector<std::string>& args,
                 const std::string& tag) {
    std::vector<std::string> argv = hosts.exec_on(host);
    argv.push_back(zpipe_binary());
    argv.insert(argv.end(), args.begin(), args.end());
    return Child(argv, dir / (tag + ".out"), dir / (tag + ".err"));
  }
  std::size_t records() const { return count_lines(dir / "out.jsonl"); }
  bool logged(const std::string& tag, const std::string& text) const {
    return read_file(dir / (tag + ".err")).find(text) != std::string::npos;
  }

  TempDir dir;
};

// The pipeline every host reads: roles bind all interfaces, peers connect by host name.
Batch by_host_name(int count) {
  Batch b;
  b.count = count;
  b.command = "sleep 0.05; echo $(( {} * {} ))";
  b.workers = "{ count: 1, slots: 2 }";
  b.vent_port = 5557;  // each host has its own ports: no clash with the machine's
  b.sink_port = 5558;
  return b;
}

std::string pipeline_yaml(const Batch& b, const std::string& ventilator_host, const std::string& sink_host) {
  std::string yaml = b.yaml();
  yaml = std::regex_replace(yaml, std::regex("tcp://127\\.0\\.0\\.1:5557\""),
                            "tcp://" + ventilator_host + ":5557\", bind: \"tcp://*:5557\"");
  return std::regex_replace(yaml, std::regex("tcp://127\\.0\\.0\\.1:5558\""),
                            "tcp://" + sink_host + ":5558\", bind: \"tcp://*:5558\"");
}

TEST_F(MultiHost, OneBatchSurvivesJoinsACutCableSigtermAndASinkThatMoves) {
  VirtualHosts hosts({"ventilator", "sink", "sink-b", "w1", "w2", "w3", "w4"});
  const Batch b = by_host_name(600);
  write_file(dir / "p.yaml", pipeline_yaml(b, "ventilator", "sink"));
  const std::string file = (dir / "p.yaml").string();
  const auto worker = [&](const std::string& name) {
    return start_on(hosts, name, {"worker", "-c", file, "--name", name}, name);
  };

  std::optional<Child> sink(start_on(hosts, "sink", {"sink", "-c", file, "--resume"}, "sink"));
  Child vent = start_on(hosts, "ventilator", {"ventilator", "-c", file}, "vent");
  std::vector<Child> workers;
  workers.push_back(worker("w1"));
  workers.push_back(worker("w2"));
  const auto passes = [&](std::size_t n) { return wait_until([&] { return records() >= n; }, 30s); };

  // (a) two more hosts join mid-batch
  ASSERT_TRUE(passes(60)) << read_file(dir / "vent.err");
  workers.push_back(worker("w3"));
  workers.push_back(worker("w4"));
  ASSERT_TRUE(wait_until([&] { return logged("vent", "worker 'w4' joined"); }, 10s)) << read_file(dir / "vent.err");

  // (b) w2's cable is cut until the ventilator gives it up, then plugged back
  ASSERT_TRUE(passes(150));
  hosts.cable("w2", false);
  ASSERT_TRUE(wait_until([&] { return logged("vent", "'w2' silent for"); }, 10s)) << read_file(dir / "vent.err");
  hosts.cable("w2", true);

  // (c) w1 is stopped with SIGTERM: it finishes what it runs and leaves
  ASSERT_TRUE(passes(250));
  const Ended w1 = signal_and_wait(workers[0], SIGTERM, 10s);
  EXPECT_EQ(w1.code, 143) << describe(w1) << read_file(dir / "w1.err");

  // (d) the sink's host vanishes (its cable cut: no reset reaches anyone, as when a pod and
  // its address are gone) and the sink comes back on another host; "sink" now names it.
  // Results pushed into the dead connection run again (unsent).
  ASSERT_TRUE(passes(350));
  hosts.cable("sink", false);
  sink->signal(SIGKILL);
  sink->wait(5s);
  hosts.point("sink", "sink-b");
  sink.emplace(start_on(hosts, "sink-b", {"sink", "-c", file, "--resume"}, "sink-b"));

  EXPECT_EQ(vent.wait(60s), 0) << read_file(dir / "vent.err");
  EXPECT_EQ(sink->wait(10s), 0) << read_file(dir / "sink-b.err");
  for (std::size_t i = 1; i < workers.size(); ++i)
    EXPECT_EQ(workers[i].wait(15s), 0) << read_file(dir / ("w" + std::to_string(i + 1) + ".err"));
  expect_only_records(dir / "out.jsonl");
  const auto all = read_jsonl(dir / "out.jsonl");
  expect_square_records(all, b.count);
  std::map<std::string, int> per_worker;
  for (const auto& r : all) ++per_worker[r["worker"].get<std::string>().substr(0, 2)];
  for (const char* w : {"w1", "w2", "w3", "w4"}) EXPECT_GT(per_worker[w], 0) << w << " recorded no task";
  std::smatch done;
  const std::string vent_log = read_file(dir / "vent.err");
  if (std::regex_search(vent_log, done, std::regex("batch done, [0-9]+ tasks \\([0-9]+ redelivered\\)")))
    std::cout << "[ hosts ] " << done.str() << "; per worker: w1 " << per_worker["w1"] << ", w2 " << per_worker["w2"]
              << ", w3 " << per_worker["w3"] << ", w4 " << per_worker["w4"] << std::endl;
}

TEST_F(MultiHost, RunOnAHeadNodeSharesItsBatchWithWorkersOfOtherHosts) {
  VirtualHosts hosts({"head", "w1", "w2"});
  Batch b = by_host_name(200);
  b.workers = "{ count: 1, slots: 1 }";
  write_file(dir / "p.yaml", pipeline_yaml(b, "head", "head"));
  const std::string file = (dir / "p.yaml").string();
  Child head = start_on(hosts, "head", {"run", file}, "head");
  Child w1 = start_on(hosts, "w1", {"worker", "-c", file, "--name", "w1"}, "w1");
  // w2 has no pipeline file: it asks the head node what to run.
  Child w2 = start_on(hosts, "w2", {"worker", "--ventilator", "tcp://head:5557", "--sink", "tcp://head:5558", "--name", "w2"},
                      "w2");
  EXPECT_EQ(head.wait(60s), 0) << read_file(dir / "head.err");
  EXPECT_EQ(w1.wait(10s), 0) << read_file(dir / "w1.err");
  EXPECT_EQ(w2.wait(10s), 0) << read_file(dir / "w2.err");
  const auto all = read_jsonl(dir / "out.jsonl");
  expect_square_records(all, b.count);
  std::map<std::string, int> per_worker;
  for (const auto& r : all) ++per_worker[r["worker"].get<std::string>().substr(0, 2)];
  EXPECT_GT(per_worker["w1"], 0);
  EXPECT_GT(per_worker["w2"], 0);
  EXPECT_GT(all.size() - static_cast<std::size_t>(per_worker["w1"] + per_worker["w2"]), 0u)
      << "the head node's own worker ran nothing";
}

}  // namespace
}  // namespace zpipe
