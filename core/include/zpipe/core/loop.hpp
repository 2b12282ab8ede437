#pragma once
// The event loop every role runs: one poll over its ZeroMQ sockets and file descriptors,
// a wake-up that other threads use to interrupt the poll at once (stop, drain), and
// timers. The loop sleeps exactly until the next event or due timer: no poll caps, no
// busy waiting.
//
// A role registers what it watches and a handler for each, plus one `on_turn` step that
// runs after every wake-up (dispatch, flush, "am I finished?"). Everything runs on the
// thread that called run(); only wake() may be called from other threads.
//
// Error style: exceptions. A handler's exception ends run() and propagates to its caller;
// a broken system call (eventfd) throws std::system_error; zmq::poll throws zmq::error_t.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <zmq.hpp>

#include "zpipe/core/health.hpp"

namespace zpipe::core {

// A level-triggered eventfd: notify() from any thread makes it readable until clear().
class Wakeup {
public:
  Wakeup();
  ~Wakeup();
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;
  void notify();
  void clear();
  int fd() const { return fd_; }

private:
  int fd_ = -1;
};

class Loop {
public:
  using Handler = std::function<void()>;
  // Asked before every poll: the events to wait for now (0 = not now). A PUSH socket
  // wants ZMQ_POLLOUT only while it has something to send.
  using Interest = std::function<short()>;

  // A one-shot timer owned by the loop; re-arm it from its own handler for a period.
  class Timer {
  public:
    void at(Clock::time_point due) { due_ = due; armed_ = true; }
    void after(Clock::duration delay) { at(Clock::now() + delay); }
    void cancel() { armed_ = false; }
    bool armed() const { return armed_; }
    Clock::time_point due() const { return due_; }

  private:
    friend class Loop;
    explicit Timer(Handler handler) : handler_(std::move(handler)) {}
    Handler handler_;
    Clock::time_point due_{};
    bool armed_ = false;
  };

  Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // `on_ready` gets the events that fired (ZMQ_POLLIN / ZMQ_POLLOUT).
  void watch(zmq::socket_t& socket, Interest interest, std::function<void(short)> on_ready);
  void watch(zmq::socket_t& socket, Handler on_readable);  // always ZMQ_POLLIN
  void watch(int fd, Handler on_readable);                 // always POLLIN
  void watch(int fd, Interest interest, std::function<void(short)> on_ready);
  Timer& timer(Handler on_due);
  void on_turn(Handler step) { on_turn_ = std::move(step); }

  // Runs until quit(). Returns at once if quit() was already called.
  void run();
  // Loop thread: run() returns after the current turn.
  void quit() { quit_ = true; }
  bool quitting() const { return quit_; }
  // Any thread: the poll returns at once and on_turn runs (which reads the caller's flags).
  void wake() { wakeup_.notify(); }
  // Any thread: stamped every turn while run() runs (a liveness probe reads it). A loop
  // turns at least as often as its timers fire: each role has a periodic heartbeat timer.
  LoopPulse& pulse() { return pulse_; }
  const LoopPulse& pulse() const { return pulse_; }

private:
  struct Watched {
    zmq::socket_t* socket = nullptr;
    int fd = -1;
    Interest interest;
    std::function<void(short)> on_ready;
  };
  std::chrono::milliseconds poll_timeout() const;
  void fire_due_timers(Clock::time_point now);

  Wakeup wakeup_;
  std::vector<Watched> watched_;
  std::vector<std::unique_ptr<Timer>> timers_;  // stable addresses for the references handed out
  std::vector<zmq::pollitem_t> items_;          // rebuilt each turn, capacity reused
  Handler on_turn_;
  bool quit_ = false;
  LoopPulse pulse_;
};

}  // namespace zpipe::core
