// Faults of the network between hosts, made with two network namespaces: the ventilator and
// the sink in one (a), workers in the other (b). Loss comes from iptables' statistic match
// on b's end of the link (this kernel has no netem), delay from a relay in a that hands on
// every byte 200 ms late. A link taken down cuts b off.
#include <gtest/gtest.h>

#include <thread>

#include "fault_support.hpp"

namespace zpipe::faults {
namespace {

using namespace std::chrono_literals;

// Both servers bind every interface of namespace a; workers in b reach them over the link.
test::Batch network_batch(const test::TempDir& dir, int count, const std::string& vent_keys) {
  test::Batch b = logged_batch(dir, count, "0.01");
  b.vent_keys = vent_keys + ", bind: \"tcp://*:" + std::to_string(b.vent_port) + "\"";
  b.sink_keys = ", bind: \"tcp://*:" + std::to_string(b.sink_port) + "\"";
  return b;
}

std::string tcp(const std::string& host, int port) { return "tcp://" + host + ":" + std::to_string(port); }

// 20% of packets lost each way and 200 ms of delay each way between the workers and both
// servers. With a silence limit of 2 s, some workers are presumed dead on the way and their
// tasks run again: the sink drops what comes twice. The loss begins once every worker has
// joined: a worker that never reached its ventilator (a SYN lost four times takes 15 s)
// waits for one, by design, and the batch would end without it.
TEST(Network, LossAndDelayBetweenNamespaces) {
  ZPIPE_FAULTS_NEED_ROOT();
  test::TempDir dir;
  NetworkPair net;
  const test::Batch b = network_batch(dir, 100, "heartbeat: 500ms, liveness: 4");
  DelayRelay to_ventilator(net.a(), NetworkPair::a_address, "127.0.0.1", b.vent_port, 200ms);
  DelayRelay to_sink(net.a(), NetworkPair::a_address, "127.0.0.1", b.sink_port, 200ms);
  Roles roles(dir, b, 3);
  roles.place(Role::ventilator, NetworkPair::exec_in(net.a()));
  roles.place(Role::sink, NetworkPair::exec_in(net.a()));
  roles.place(Role::worker, NetworkPair::exec_in(net.b()),
              {"--ventilator", tcp(NetworkPair::a_address, to_ventilator.port()), "--sink",
               tcp(NetworkPair::a_address, to_sink.port())});
  roles.start_all();
  ASSERT_TRUE(test::wait_until(
      [&] { return test::lines_with(roles.log(Role::ventilator), {"worker '", "' joined"}).size() >= 3; }, 20s))
      << roles.log(Role::ventilator);
  net.lose_in_b(0.2);
  roles.expect_all_end(60s);
  Figures f = roles.expect_exactly_once("loss and delay between hosts",
                                        "20% loss each way (iptables), +200 ms each way (relay), 3 workers");
  report(f);
  EXPECT_GE(to_ventilator.connections(), 3u) << "the workers went through the relay";
}

// Worker b is cut off (its link down) mid-batch; worker a, beside the servers, finishes
// the batch. b holds tasks it cannot return: they run again on a. Then, the link still
// down, b must see its batch is over and leave by itself (an orphan: the silence limit has
// long passed and the dead link took its connection down). The link comes back after.
TEST(Network, WorkerCutOffWhileTheBatchEndsLeavesByItself) {
  ZPIPE_FAULTS_NEED_ROOT();
  test::TempDir dir;
  NetworkPair net;
  const test::Batch b = network_batch(dir, 300, "heartbeat: 200ms, liveness: 3");
  Roles roles(dir, b, 2);
  roles.place(Role::ventilator, NetworkPair::exec_in(net.a()));
  roles.place(Role::sink, NetworkPair::exec_in(net.a()));
  roles.start(Role::sink);
  roles.start(Role::ventilator);
  roles.place(Role::worker, NetworkPair::exec_in(net.a()));
  roles.start(Role::worker, 0);  // beside the servers, over loopback
  roles.place(Role::worker, NetworkPair::exec_in(net.b()),
              {"--ventilator", tcp(NetworkPair::a_address, b.vent_port), "--sink", tcp(NetworkPair::a_address, b.sink_port)});
  roles.start(Role::worker, 1);
  ASSERT_TRUE(test::wait_until([&] { return roles.records_written() >= 60; }, 20s)) << roles.log(Role::sink);
  net.link_b(false);
  const auto cut = std::chrono::steady_clock::now();
  EXPECT_EQ(roles.child(Role::ventilator).wait(60s), 0) << roles.log(Role::ventilator);
  EXPECT_EQ(roles.child(Role::sink).wait(10s), 0) << roles.log(Role::sink);
  EXPECT_EQ(roles.child(Role::worker, 0).wait(10s), 0) << roles.log(Role::worker, 0);
  EXPECT_EQ(roles.child(Role::worker, 1).wait(30s), 0) << "a cut-off worker must leave by itself\n"
                                                     << roles.log(Role::worker, 1);
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - cut);
  EXPECT_FALSE(test::lines_with(roles.log(Role::worker, 1), {"the batch ended without this worker; exiting"}).empty())
      << roles.log(Role::worker, 1);
  net.link_b(true);
  report(roles.expect_exactly_once("worker cut off while the batch ends",
                                   "link of 1 of 2 workers down; it left " + std::to_string(after.count()) +
                                       " ms after the cut"));
}

}  // namespace
}  // namespace zpipe::faults
