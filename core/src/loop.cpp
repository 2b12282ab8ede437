#include "zpipe/core/loop.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <system_error>

namespace zpipe::core {

Wakeup::Wakeup() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

Wakeup::~Wakeup() { ::close(fd_); }

void Wakeup::notify() {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is saturated: it is readable already, which is all we want.
  [[maybe_unused]] const ssize_t n = ::write(fd_, &one, sizeof one);
}

void Wakeup::clear() {
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t n = ::read(fd_, &count, sizeof count);
}

Loop::Loop() {
  watch(wakeup_.fd(), [this] { wakeup_.clear(); });
}

void Loop::watch(zmq::socket_t& socket, Interest interest, std::function<void(short)> on_ready) {
  watched_.push_back(Watched{&socket, -1, std::move(interest), std::move(on_ready)});
}

void Loop::watch(zmq::socket_t& socket, Handler on_readable) {
  watch(socket, [] { return static_cast<short>(ZMQ_POLLIN); },
        [handler = std::move(on_readable)](short) { handler(); });
}

void Loop::watch(int fd, Handler on_readable) {
  watch(fd, [] { return static_cast<short>(ZMQ_POLLIN); }, [handler = std::move(on_readable)](short) { handler(); });
}

void Loop::watch(int fd, Interest interest, std::function<void(short)> on_ready) {
  watched_.push_back(Watched{nullptr, fd, std::move(interest), std::move(on_ready)});
}

Loop::Timer& Loop::timer(Handler on_due) {
  timers_.push_back(std::unique_ptr<Timer>(new Timer(std::move(on_due))));
  return *timers_.back();
}

std::chrono::milliseconds Loop::poll_timeout() const {
  std::optional<Clock::time_point> next;
  for (const auto& t : timers_)
    if (t->armed_ && (!next || t->due_ < *next)) next = t->due_;
  if (!next) return std::chrono::milliseconds(-1);  // nothing due: sleep until an event
  const auto left = *next - Clock::now();
  if (left <= Clock::duration::zero()) return std::chrono::milliseconds(0);
  // Rounded up: waking a fraction of a millisecond early would spin until the timer is due.
  return std::chrono::ceil<std::chrono::milliseconds>(left);
}

void Loop::fire_due_timers(Clock::time_point now) {
  for (const auto& t : timers_) {
    if (!t->armed_ || t->due_ > now) continue;
    t->armed_ = false;  // a periodic timer re-arms itself from its handler
    t->handler_();
  }
}

void Loop::run() {
  // Also when a handler throws: a loop that ended is resting, not stuck.
  struct Resting {
    LoopPulse& pulse;
    ~Resting() { pulse.rest(); }
  } resting{pulse_};
  pulse_.beat(Clock::now());
  std::vector<std::size_t> owner;  // items_[i] polls watched_[owner[i]]
  while (!quit_) {
    items_.clear();
    owner.clear();
    for (std::size_t i = 0; i < watched_.size(); ++i) {
      const short events = watched_[i].interest();
      if (events == 0) continue;
      void* handle = watched_[i].socket ? watched_[i].socket->handle() : nullptr;
      items_.push_back(zmq::pollitem_t{handle, watched_[i].fd, events, 0});
      owner.push_back(i);
    }
    try {
      zmq::poll(items_.data(), items_.size(), poll_timeout());
    } catch (const zmq::error_t& e) {
      // A process stopped (SIGSTOP) and continued may see its poll interrupted.
      if (e.num() != EINTR) throw;
      continue;
    }
    for (std::size_t i = 0; i < items_.size(); ++i)
      if (items_[i].revents != 0) watched_[owner[i]].on_ready(items_[i].revents);
    const auto now = Clock::now();
    pulse_.beat(now);
    fire_due_timers(now);
    if (on_turn_) on_turn_();
  }
}

}  // namespace zpipe::core
