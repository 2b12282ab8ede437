#include "zpipe/core/connection_monitor.hpp"

#include <atomic>
#include <cstdint>
#include <cstring>

namespace zpipe::core {

ConnectionMonitor::ConnectionMonitor(zmq::context_t& context, zmq::socket_t& socket, Loop& loop,
                                     std::function<void(bool)> on_change)
    : watched_(socket), events_(context, zmq::socket_type::pair), on_change_(std::move(on_change)) {
  static std::atomic<unsigned> instance{0};
  const std::string address = "inproc://zpipe-monitor-" + std::to_string(++instance);
  if (zmq_socket_monitor(socket.handle(), address.c_str(), ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) != 0)
    throw zmq::error_t();
  events_.set(zmq::sockopt::linger, 0);
  events_.connect(address);
  loop.watch(events_, [this] { on_readable(); });
}

ConnectionMonitor::~ConnectionMonitor() {
  // Stops the monitor before the PAIR end goes, so libzmq never writes to a closed peer.
  zmq_socket_monitor(watched_.handle(), nullptr, 0);
}

void ConnectionMonitor::on_readable() {
  // Each event is two frames: u16 event and u32 value, then the endpoint.
  for (;;) {
    zmq::message_t event;
    if (!events_.recv(event, zmq::recv_flags::dontwait)) return;
    zmq::message_t address;
    if (event.more()) (void)events_.recv(address, zmq::recv_flags::none);
    if (event.size() < sizeof(std::uint16_t)) continue;
    std::uint16_t id = 0;
    std::memcpy(&id, event.data(), sizeof id);
    const bool now = id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    if (now != connected_) {
      connected_ = now;
      on_change_(now);
    }
  }
}

}  // namespace zpipe::core
