#include "signals.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

SignalWatcher::SignalWatcher(std::function<void(int)> first, std::function<void(int)> second, std::string first_says)
    : first_(std::move(first)), second_(std::move(second)), first_says_(std::move(first_says)) {
  const sigset_t set = termination_signals();
  signal_fd_ = ::signalfd(-1, &set, SFD_CLOEXEC);
  if (signal_fd_ < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
  thread_ = std::thread([this] { watch(); });
}

void SignalWatcher::watch() {
  for (;;) {
    pollfd fds[] = {{signal_fd_, POLLIN, 0}, {quit_.fd(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;  // EINTR (e.g. after SIGSTOP/SIGCONT)
    if (fds[1].revents != 0) return;
    signalfd_siginfo info{};
    if (::read(signal_fd_, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
    const int sig = static_cast<int>(info.ssi_signo);
    if (first_signal_.load() == 0) {
      first_signal_.store(sig);
      spdlog::warn("{} received: {}", strsignal(sig), first_says_);
      first_(sig);
    } else {
      spdlog::warn("{} received again: stopping now", strsignal(sig));
      second_(sig);
    }
  }
}

SignalWatcher::~SignalWatcher() {
  quit_.notify();
  thread_.join();
  ::close(signal_fd_);
}

}  // namespace zpipe::app
