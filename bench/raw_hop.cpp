// Baseline: one raw ZeroMQ hop, PUSH -> PULL over tcp://127.0.0.1 (ephemeral port), sender
// and receiver in two threads of one process with separate contexts (so nothing is shared
// but the TCP connection). One warm-up message proves the connection is up; the clock then
// runs from the first timed send to the last receive.
//
//   raw_hop [--size BYTES] [--count N]
//   {"bench":"raw_hop","size":16,"count":1000000,"seconds":0.41,"msgs_per_second":2.4e6,"bytes_per_second":3.9e7}
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "args.hpp"

namespace {

constexpr const char* kUsage = "raw_hop [--size BYTES] [--count N]";
using Clock = std::chrono::steady_clock;

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t size = 16;
  std::uint64_t count = 1'000'000;
  zpipe::bench::parse_counts(argc, argv, kUsage, {{"--size", &size}, {"--count", &count}});

  try {
    zmq::context_t send_context;
    zmq::socket_t push(send_context, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 0);
    push.bind("tcp://127.0.0.1:*");
    const std::string endpoint = push.get(zmq::sockopt::last_endpoint);

    std::promise<void> warmed_up;
    std::future<void> warmed_up_future = warmed_up.get_future();
    Clock::time_point received_all;
    std::thread receiver([&] {
      zmq::context_t context;
      zmq::socket_t pull(context, zmq::socket_type::pull);
      pull.set(zmq::sockopt::linger, 0);
      pull.connect(endpoint);
      zmq::message_t message;
      (void)pull.recv(message);  // warm-up: the connection is established
      warmed_up.set_value();
      for (std::uint64_t n = 0; n < count; ++n) {
        (void)pull.recv(message);
      }
      received_all = Clock::now();
    });

    const std::vector<char> payload(size, 'x');
    push.send(zmq::buffer(payload), zmq::send_flags::none);
    warmed_up_future.get();
    const Clock::time_point start = Clock::now();
    for (std::uint64_t n = 0; n < count; ++n) {
      push.send(zmq::buffer(payload), zmq::send_flags::none);
    }
    receiver.join();

    const double seconds = std::chrono::duration<double>(received_all - start).count();
    const double rate = static_cast<double>(count) / seconds;
    std::printf(
        "{\"bench\":\"raw_hop\",\"size\":%llu,\"count\":%llu,\"seconds\":%.6f,\"msgs_per_second\":%.1f,"
        "\"bytes_per_second\":%.1f}\n",
        static_cast<unsigned long long>(size), static_cast<unsigned long long>(count), seconds, rate,
        rate * static_cast<double>(size));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "raw_hop: %s\n", e.what());
    return 3;
  }
  return 0;
}
