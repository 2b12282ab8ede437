#pragma once
// A worker's or a sink's session with the ventilator, on its DEALER socket: the one
// conversation both roles share (docs/protocol.md, "Session").
//
//   hello ──> welcome        the peer adopts the ventilator's heartbeat and liveness
//   heartbeat every beat     unless something else went out
//   silence > beat×liveness  hello again (the ventilator restarted, or the network healed)
//   refuse "hello first"     hello again at once (the ventilator does not know us)
//   refuse "wait: ..."       silent for a silence period, then hello again (another sink
//                            is live); any other refuse goes to the role: it is final
//   no answer for a while    a warning naming the endpoint, repeated with backoff;
//                            with a connect timeout, give up (WaitTimeout)
//
// Nothing here blocks: messages go to a bounded outbox that drains as the socket accepts
// them (ZMQ_IMMEDIATE: nothing queues towards a ventilator that is not connected).
// Everything else the ventilator says goes to the role's handler.
//
// Error style: exceptions. WaitTimeout when the connect timeout passes; zmq::error_t
// from the socket. Malformed messages are counted by the role's FaultCounter.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "zpipe/core/connection_monitor.hpp"
#include "zpipe/core/loop.hpp"
#include "zpipe/core/messaging.hpp"
#include "zpipe/core/wait_warnings.hpp"

namespace zpipe::core {

struct SessionSettings {
  std::string endpoint;          // the ventilator's task channel
  std::string who;               // how logs name us: "worker 'host:42'", "sink"
  Clock::duration heartbeat{};   // the pipeline file's, until a welcome says otherwise
  std::uint32_t liveness = 1;
  std::optional<Clock::duration> connect_timeout;  // give up after this much silence
};

class VentilatorSession {
public:
  // `introduce` queues what a (re)introduction says: a hello, and for a sink its inventory.
  // `on_message` gets every message that is not the session's own (welcome, heartbeat and
  // "hello first" refusals are handled here).
  using Introduce = std::function<void(VentilatorSession&)>;
  using OnMessage = std::function<void(Message&&)>;

  VentilatorSession(zmq::context_t& context, Loop& loop, FaultCounter& faults, SessionSettings settings,
                    Introduce introduce, OnMessage on_message);

  // Connects and introduces us. Call once, before the loop runs.
  void start();
  // Queues a message; never blocks. A hello clears what is queued (it supersedes it);
  // credits and acks merge into a queued one of their kind.
  void say(Message message);
  // Introduces us again now (clears the outbox, then `introduce`).
  void reintroduce();

  // heartbeat × liveness in effect: the welcome's once one arrived.
  Clock::duration silence_limit() const { return heartbeat_ * liveness_; }
  bool welcomed() const { return welcomed_; }
  // Welcomed, and the ventilator heard within the silence limit: what a role's readiness
  // means by "joined".
  bool in_session() const { return welcomed_ && silence() <= silence_limit(); }
  // How long the ventilator has said nothing at all.
  Clock::duration silence() const { return Clock::now() - last_heard_; }
  // A connection to the ventilator is up (always true over inproc://). A frozen or busy
  // ventilator keeps it up (its kernel answers); a gone one, or a dead link (the socket's
  // TCP user timeout is the silence limit), takes it down.
  bool connected() const { return !connection_ || connection_->connected(); }

private:
  void on_readable();
  void flush();
  void beat();
  void check_contact();  // warnings while the ventilator is silent; the connect timeout

  zmq::context_t& context_;
  zmq::socket_t socket_;
  std::optional<ConnectionMonitor> connection_;  // tcp:// and ipc://
  Loop& loop_;
  FaultCounter& faults_;
  SessionSettings settings_;
  Introduce introduce_;
  OnMessage on_message_;
  Loop::Timer* beat_timer_ = nullptr;
  Loop::Timer* contact_timer_ = nullptr;
  WaitWarnings waiting_;  // for the ventilator's answer

  Clock::duration heartbeat_;
  std::uint32_t liveness_;
  bool welcomed_ = false;
  std::deque<Message> outbox_;
  std::uint64_t dropped_sends_ = 0;
  Clock::time_point last_heard_;  // any message from the ventilator (or our start)
  Clock::time_point last_hello_;  // our last (re)introduction
  std::optional<Clock::time_point> retry_at_;  // told to wait: the next hello is due then
};

}  // namespace zpipe::core
