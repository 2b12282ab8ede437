#pragma once
// Moving protocol messages over ZeroMQ sockets, and counting what gets dropped.
// Error style: would-block is a value (false / nullopt), as in cppzmq; real socket
// failures propagate as zmq::error_t. Malformed input is never an exception: it is
// counted by FaultCounter and dropped.

#include <chrono>
#include <cstdint>
#include <map>
#include <utility>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "zpipe/core/metrics.hpp"
#include "zpipe/core/protocol.hpp"

namespace zpipe::core {

// One received protocol message, decoded, plus the routing id on a ROUTER socket.
struct Received {
  std::string routing_id;
  Message message;
};

// Counts dropped messages by kind and logs each kind at most once per interval. With
// `wire` (a role's /metrics counters), it also counts them there by kind, and try_receive
// counts the bytes it receives there: every receive of a role goes through its counter.
class FaultCounter {
public:
  explicit FaultCounter(std::string role, WireCounters* wire = nullptr,
                        std::chrono::seconds log_every = std::chrono::seconds(10))
      : role_(std::move(role)), log_every_(log_every), wire_(wire) {}
  void count(const std::string& kind);
  std::uint64_t total() const { return total_; }
  const std::map<std::string, std::uint64_t>& by_kind() const { return by_kind_; }
  WireCounters* wire() const { return wire_; }

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
  WireCounters* wire_;
};

// Sends [routing_id] header body, the body encoded straight into the frame ZeroMQ sends
// (no intermediate copy), never blocking: false if it would block (ZMQ_DONTWAIT). Tasks
// and Results have their own overloads because wrapping them in a Message would copy
// their items. There is no blocking send: a role's loop must never wait on a peer. With
// `wire`, the bytes of a message that went are counted there.
bool try_send(zmq::socket_t& socket, const Message& message, std::string_view routing_id = {},
              WireCounters* wire = nullptr);
bool try_send(zmq::socket_t& socket, const Tasks& message, std::string_view routing_id = {},
              WireCounters* wire = nullptr);
bool try_send(zmq::socket_t& socket, const Results& message, std::string_view routing_id = {},
              WireCounters* wire = nullptr);

// What one non-blocking receive found. "Nothing waiting" and "malformed" are different
// answers: after a malformed message more may be waiting.
struct [[nodiscard]] Receive {
  enum class Outcome { message, nothing, malformed };
  Outcome outcome = Outcome::nothing;
  Received received;            // the message, when outcome == message; on a ROUTER socket the
                                // routing id is also set for a malformed one
  const char* error = nullptr;  // the kind of fault, when outcome == malformed
};

// Receives one multipart message without blocking and decodes it; a malformed one is
// counted by `faults` and dropped. `routed` says the socket is a ROUTER (first frame is
// the peer's routing id). Its bytes count in `faults.wire()`, if it has one.
Receive try_receive(zmq::socket_t& socket, bool routed, FaultCounter& faults);

// Handles the messages waiting on `socket`, at most `limit` (so one busy socket cannot
// starve a loop's timers); malformed ones (already counted) go to `on_malformed`. Returns
// true when the limit stopped it: more may be waiting.
template <typename Handle, typename OnMalformed>
bool receive_waiting(zmq::socket_t& socket, bool routed, FaultCounter& faults, int limit, Handle&& handle,
                     OnMalformed&& on_malformed) {
  for (int i = 0; i < limit; ++i) {
    Receive r = try_receive(socket, routed, faults);
    if (r.outcome == Receive::Outcome::nothing) return false;
    if (r.outcome == Receive::Outcome::message) {
      handle(std::move(r.received));
    } else {
      on_malformed(r);
    }
  }
  return true;
}
template <typename Handle>
bool receive_waiting(zmq::socket_t& socket, bool routed, FaultCounter& faults, int limit, Handle&& handle) {
  return receive_waiting(socket, routed, faults, limit, std::forward<Handle>(handle), [](const Receive&) {});
}

// Largest message a zpipe socket accepts (ZMQ_MAXMSGSIZE); bigger ones drop the peer.
inline constexpr std::int64_t kMaxMessageBytes = 256LL << 20;

// How long a closing socket may still try to deliver what it queued: bounded, so that a
// role whose peer is gone or frozen still exits within a second of deciding to.
inline constexpr std::chrono::milliseconds kLinger{500};

// Reconnection of a connecting socket: the first retry after kReconnectFirst, doubling up
// to kReconnectMax.
inline constexpr std::chrono::milliseconds kReconnectFirst{10};
inline constexpr std::chrono::milliseconds kReconnectMax{100};
// Connections a bound socket queues before it accepts them (a join storm of workers).
inline constexpr int kListenBacklog = 4096;
// A connect() that has no answer by then is given up and tried again: an address that went
// away (a moved pod, a dead host) answers no SYN, and the kernel alone would keep trying it
// for two minutes while the name may already resolve somewhere else.
inline constexpr std::chrono::milliseconds kConnectTimeout{2000};

// Applies the options every zpipe socket uses (linger kLinger, max message size, reconnection).
void configure_socket(zmq::socket_t& socket);

}  // namespace zpipe::core

namespace zpipe::core {
// bind/connect that name the endpoint when they fail (std::runtime_error), so
// "Address already in use" says which address.
void bind(zmq::socket_t& socket, const std::string& endpoint);
void connect(zmq::socket_t& socket, const std::string& endpoint);
}  // namespace zpipe::core
