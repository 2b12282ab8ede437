#pragma once
// Whether a connecting socket has a ZeroMQ peer at the other end, from libzmq's socket
// monitor (a completed ZMTP handshake, or a disconnection), read on the role's loop. A
// worker uses it to say when its sink cannot be reached: nothing else would tell, since
// PUSH queues results towards a missing peer without a word.
//
// Error style: exceptions (zmq::error_t) if the monitor cannot be set up.

#include <functional>
#include <string>

#include <zmq.hpp>

#include "zpipe/core/loop.hpp"

namespace zpipe::core {

class ConnectionMonitor {
public:
  // Call before `socket` connects. `on_change` gets each change of connected().
  ConnectionMonitor(zmq::context_t& context, zmq::socket_t& socket, Loop& loop, std::function<void(bool)> on_change);
  ~ConnectionMonitor();
  ConnectionMonitor(const ConnectionMonitor&) = delete;
  ConnectionMonitor& operator=(const ConnectionMonitor&) = delete;

  bool connected() const { return connected_; }

  // inproc:// has no connections to watch: it is there as soon as both ends are.
  static bool applies_to(const std::string& endpoint) { return endpoint.rfind("inproc://", 0) != 0; }

private:
  void on_readable();

  zmq::socket_t& watched_;
  zmq::socket_t events_;  // PAIR connected to the monitor's inproc endpoint
  std::function<void(bool)> on_change_;
  bool connected_ = false;
};

}  // namespace zpipe::core
