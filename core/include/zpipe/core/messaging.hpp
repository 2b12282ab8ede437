#pragma once
// Moving protocol messages over ZeroMQ sockets, and counting what gets dropped.
// Error style: would-block is a value (false / nullopt), as in cppzmq; real socket
// failures propagate as zmq::error_t. Malformed input is never an exception: it is
// counted by FaultCounter and dropped.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "zpipe/core/protocol.hpp"

namespace zpipe::core {

// One received protocol message, decoded, plus the routing id on a ROUTER socket.
struct Received {
  std::string routing_id;
  Message message;
};

// Counts dropped messages by kind and logs each kind at most once per interval.
class FaultCounter {
public:
  explicit FaultCounter(std::string role, std::chrono::seconds log_every = std::chrono::seconds(10))
      : role_(std::move(role)), log_every_(log_every) {}
  void count(const std::string& kind);
  std::uint64_t total() const { return total_; }
  const std::map<std::string, std::uint64_t>& by_kind() const { return by_kind_; }

private:
  struct Kind {
    std::uint64_t count = 0;
    std::uint64_t logged = 0;
    std::chrono::steady_clock::time_point last_log{};
  };
  std::string role_;
  std::chrono::seconds log_every_;
  std::map<std::string, Kind> kinds_;
  std::map<std::string, std::uint64_t> by_kind_;
  std::uint64_t total_ = 0;
};

// Sends [routing_id] header body, the body encoded straight into the frame ZeroMQ sends
// (no intermediate copy). try_send returns false if it would block (ZMQ_DONTWAIT); send
// blocks until the message is queued. Tasks and Results have their own overloads because
// wrapping them in a Message would copy their items.
bool try_send(zmq::socket_t& socket, const Message& message, std::string_view routing_id = {});
bool try_send(zmq::socket_t& socket, const Tasks& message, std::string_view routing_id = {});
bool try_send(zmq::socket_t& socket, const Results& message, std::string_view routing_id = {});
void send(zmq::socket_t& socket, const Message& message, std::string_view routing_id = {});

// Receives one multipart message without blocking and decodes it. Returns nullopt when
// nothing is waiting or when the message was malformed (then `faults` counted it).
// `routed` says the socket is a ROUTER (first frame is the peer's routing id).
std::optional<Received> try_receive(zmq::socket_t& socket, bool routed, FaultCounter& faults);

// Largest message a zpipe socket accepts (ZMQ_MAXMSGSIZE); bigger ones drop the peer.
inline constexpr std::int64_t kMaxMessageBytes = 256LL << 20;

// Applies the options every zpipe socket uses (linger, max message size).
void configure_socket(zmq::socket_t& socket, std::chrono::milliseconds linger);

}  // namespace zpipe::core

namespace zpipe::core {
// bind/connect that name the endpoint when they fail (std::runtime_error), so
// "Address already in use" says which address.
void bind(zmq::socket_t& socket, const std::string& endpoint);
void connect(zmq::socket_t& socket, const std::string& endpoint);
}  // namespace zpipe::core
