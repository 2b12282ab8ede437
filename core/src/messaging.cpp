#include "zpipe/core/messaging.hpp"

#include <spdlog/spdlog.h>

namespace zpipe::core {

void FaultCounter::count(const std::string& kind) {
  ++total_;
  ++by_kind_[kind];
  if (wire_) wire_->dropped.count(kind);
  Kind& k = kinds_[kind];
  ++k.count;
  const auto now = std::chrono::steady_clock::now();
  if (k.logged == 0 || now - k.last_log >= log_every_) {
    spdlog::warn("{}: dropped malformed message ({}); {} of this kind so far", role_, kind, k.count);
    k.logged = k.count;
    k.last_log = now;
  }
}

namespace {

// Header and body frames of a message, the body encoded in place.
struct Frames {
  template <typename M>
  explicit Frames(const M& message) : header{kProtocolVersion, type_byte(message)}, body(body_size(message)) {
    write_body(message, body.data<char>());
  }
  std::uint8_t header[2];
  zmq::message_t body;
};

bool try_send_frames(zmq::socket_t& socket, Frames&& frames, std::string_view routing_id, WireCounters* wire) {
  if (!routing_id.empty()) {
    if (!socket.send(zmq::buffer(routing_id), zmq::send_flags::sndmore | zmq::send_flags::dontwait))
      return false;
  }
  // Once the first frame is queued the rest of a multipart message is always accepted.
  if (!socket.send(zmq::buffer(frames.header, 2), zmq::send_flags::sndmore | zmq::send_flags::dontwait))
    return false;
  const std::size_t body = frames.body.size();  // a sent message_t is emptied
  socket.send(frames.body, zmq::send_flags::dontwait);
  if (wire) wire->bytes_sent.add(routing_id.size() + 2 + body);
  return true;
}

}  // namespace

bool try_send(zmq::socket_t& socket, const Message& message, std::string_view routing_id, WireCounters* wire) {
  return try_send_frames(socket, Frames(message), routing_id, wire);
}
bool try_send(zmq::socket_t& socket, const Tasks& message, std::string_view routing_id, WireCounters* wire) {
  return try_send_frames(socket, Frames(message), routing_id, wire);
}
bool try_send(zmq::socket_t& socket, const Results& message, std::string_view routing_id, WireCounters* wire) {
  return try_send_frames(socket, Frames(message), routing_id, wire);
}

Receive try_receive(zmq::socket_t& socket, bool routed, FaultCounter& faults) {
  zmq::message_t frames[4];
  std::size_t n = 0;
  bool overflow = false;
  std::size_t bytes = 0;
  do {
    zmq::message_t part;
    // Only the first frame can be missing: the rest of a multipart message arrives with it.
    if (!socket.recv(part, n == 0 ? zmq::recv_flags::dontwait : zmq::recv_flags::none)) return {};
    bytes += part.size();
    if (n < 4) {
      frames[n++] = std::move(part);
    } else {
      overflow = true;  // keep draining the parts of this message, then drop it
    }
  } while (socket.get(zmq::sockopt::rcvmore));
  if (WireCounters* wire = faults.wire()) wire->bytes_received.add(bytes);

  Receive r;
  r.outcome = Receive::Outcome::malformed;
  if (routed && n > 0) r.received.routing_id = frames[0].to_string();
  const std::size_t expected = routed ? 3 : 2;
  if (overflow || n != expected) {
    r.error = n < expected ? "missing frames" : "extra frames";
    faults.count(r.error);
    return r;
  }
  const std::size_t first = routed ? 1 : 0;
  Decoded d = decode(frames[first].to_string_view(), frames[first + 1].to_string_view());
  if (!d.message) {
    r.error = d.error;
    faults.count(r.error);
    return r;
  }
  r.outcome = Receive::Outcome::message;
  r.received.message = std::move(*d.message);
  return r;
}

void configure_socket(zmq::socket_t& socket) {
  socket.set(zmq::sockopt::linger, static_cast<int>(kLinger.count()));
  // A peer started before the one it connects to retries after 10 ms, then 20, 40... up to
  // 100 ms (ZeroMQ's default is a flat 100 ms): it joins within milliseconds of the bind,
  // before a short batch can end without it.
  socket.set(zmq::sockopt::reconnect_ivl, static_cast<int>(kReconnectFirst.count()));
  socket.set(zmq::sockopt::reconnect_ivl_max, static_cast<int>(kReconnectMax.count()));
  socket.set(zmq::sockopt::connect_timeout, static_cast<int>(kConnectTimeout.count()));
  socket.set(zmq::sockopt::maxmsgsize, kMaxMessageBytes);
  // Hundreds of workers connect at once when a ventilator or sink (re)starts. ZeroMQ's
  // default backlog of 100 drops the rest of their SYNs, and TCP retries a dropped SYN
  // only after a second: 500 workers took 1.2 s to deliver a batch of 1 ms tasks. The
  // kernel caps it at net.core.somaxconn (4096 on Linux since 5.4).
  socket.set(zmq::sockopt::backlog, kListenBacklog);
}

}  // namespace zpipe::core

namespace zpipe::core {

void bind(zmq::socket_t& socket, const std::string& endpoint) {
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("cannot bind " + endpoint + ": " + e.what());
  }
}

void connect(zmq::socket_t& socket, const std::string& endpoint) {
  try {
    socket.connect(endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("cannot connect to " + endpoint + ": " + e.what());
  }
}

}  // namespace zpipe::core
