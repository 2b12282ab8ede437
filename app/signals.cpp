#include "signals.hpp"

#include <signal.h>

#include <cerrno>
#include <ctime>
#include <system_error>

#include <spdlog/spdlog.h>

namespace zpipe::app {
namespace {

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void block_termination_signals() {
  const sigset_t set = termination_signals();
  if (const int rc = ::pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0)
    throw std::system_error(rc, std::generic_category(), "pthread_sigmask");
}

SignalWatcher::SignalWatcher(std::function<void(int)> first, std::function<void(int)> second)
    : first_(std::move(first)), second_(std::move(second)) {
  thread_ = std::thread([this] {
    const sigset_t set = termination_signals();
    const timespec tick{0, 100'000'000};  // wake to notice stop_
    while (!stop_.load()) {
      const int sig = ::sigtimedwait(&set, nullptr, &tick);
      if (sig < 0) continue;  // EAGAIN (tick) or EINTR
      if (first_signal_.load() == 0) {
        first_signal_.store(sig);
        spdlog::warn("{} received: finishing what is in flight (send it again to stop at once)", strsignal(sig));
        first_(sig);
      } else {
        spdlog::warn("{} received again: stopping now", strsignal(sig));
        second_(sig);
      }
    }
  });
}

SignalWatcher::~SignalWatcher() {
  stop_.store(true);
  thread_.join();
}

}  // namespace zpipe::app
