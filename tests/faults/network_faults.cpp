// Faults of the network for the fault-injection suite: two namespaces joined by a veth link
// (loss through iptables), and a relay that delays every byte (fault_support.hpp).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <deque>
#include <future>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "fault_support.hpp"

namespace zpipe::faults {

using Clock = std::chrono::steady_clock;

// --- network namespaces -----------------------------------------------------------------


namespace {

std::string unique_namespace_stem() {
  static std::atomic<int> counter{0};
  return "zpf" + std::to_string(::getpid()) + "n" + std::to_string(++counter);
}

std::string binary(const std::vector<std::string>& candidates) {
  for (const auto& c : candidates)
    if (::access(c.c_str(), X_OK) == 0) return c;
  throw std::runtime_error("none of " + candidates.front() + "... is installed (scripts/install-deps.sh)");
}

std::string ip() { return binary({"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}); }
std::string iptables() { return binary({"/usr/sbin/iptables", "/sbin/iptables"}); }

}  // namespace

NetworkPair::NetworkPair() {
  const std::string stem = unique_namespace_stem();
  a_ = stem + "a";
  b_ = stem + "b";
  sh(ip() + " netns add " + a_);
  sh(ip() + " netns add " + b_);
  sh(ip() + " -n " + a_ + " link set lo up");
  sh(ip() + " -n " + b_ + " link set lo up");
  // Made inside a, so the link's names never meet those of another pair.
  sh(ip() + " -n " + a_ + " link add va type veth peer name vb netns " + b_);
  sh(ip() + " -n " + a_ + " addr add " + a_address + "/24 dev va");
  sh(ip() + " -n " + b_ + " addr add " + b_address + "/24 dev vb");
  sh(ip() + " -n " + a_ + " link set va up");
  sh(ip() + " -n " + b_ + " link set vb up");
}

NetworkPair::~NetworkPair() {
  // Removing a namespace removes its end of the link, and with it the other end.
  std::system((ip() + " netns del " + a_ + " >/dev/null 2>&1").c_str());
  std::system((ip() + " netns del " + b_ + " >/dev/null 2>&1").c_str());
}

std::vector<std::string> NetworkPair::exec_in(const std::string& ns) { return {ip(), "netns", "exec", ns}; }

void NetworkPair::lose_in_b(double probability) {
  std::ostringstream p;
  p << std::fixed << std::setprecision(3) << probability;
  for (const char* rule : {"INPUT -i vb", "OUTPUT -o vb"})
    sh(ip() + " netns exec " + b_ + " " + iptables() + " -A " + rule + " -m statistic --mode random --probability " +
       p.str() + " -j DROP");
}

void NetworkPair::link_b(bool up) { sh(ip() + " -n " + b_ + " link set vb " + (up ? "up" : "down")); }

// --- the delaying relay -----------------------------------------------------------------

namespace {

void enter_namespace(const std::string& ns) {
  if (ns.empty()) return;
  const int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("cannot enter network namespace " + ns);
  ::close(fd);
}

sockaddr_in address_of(const std::string& host, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) throw std::runtime_error("bad address " + host);
  return a;
}

bool write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

struct DelayRelay::State {
  std::chrono::milliseconds delay;
  int listener = -1;
  int port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> connections{0};
  std::mutex mutex;
  std::vector<std::thread> pumps;
  std::thread acceptor;

  // Hands bytes from `from` to `to`, each chunk `delay` after it was read; on end of file
  // passes the end on once everything before it is delivered; on error ends both ways.
  void pump(int from, int to) {
    std::deque<std::pair<Clock::time_point, std::string>> queue;
    bool ended = false;
    while (!stopping) {
      int timeout = 50;
      if (!queue.empty()) {
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(queue.front().first - Clock::now());
        timeout = static_cast<int>(std::clamp<long long>(wait.count(), 0, 50));
      }
      pollfd p{from, static_cast<short>(ended ? 0 : POLLIN), 0};
      if (::poll(&p, 1, timeout) < 0 && errno != EINTR) break;
      if (!ended && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
        char buffer[16384];
        const ssize_t n = ::recv(from, buffer, sizeof buffer, 0);
        if (n > 0) queue.emplace_back(Clock::now() + delay, std::string(buffer, static_cast<std::size_t>(n)));
        else ended = true;
      }
      while (!queue.empty() && queue.front().first <= Clock::now()) {
        if (!write_all(to, queue.front().second)) {
          ::shutdown(from, SHUT_RDWR);
          return;
        }
        queue.pop_front();
      }
      if (ended && queue.empty()) {
        ::shutdown(to, SHUT_WR);
        return;
      }
    }
  }

  void accept_loop(const std::string& target_host, int target_port) {
    while (!stopping) {
      pollfd p{listener, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const sockaddr_in to = address_of(target_host, target_port);
      if (::connect(server, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      ++connections;
      std::lock_guard lock(mutex);
      // Each pump owns the descriptor it reads from and closes it at its end.
      pumps.emplace_back([this, client, server] { pump(client, server); ::shutdown(client, SHUT_RDWR); });
      pumps.emplace_back([this, client, server] { pump(server, client); ::shutdown(server, SHUT_RDWR); });
      closers.emplace_back(client);
      closers.emplace_back(server);
    }
  }
  std::vector<int> closers;
};

DelayRelay::DelayRelay(const std::string& ns, const std::string& listen_host, const std::string& target_host,
                       int target_port, std::chrono::milliseconds delay)
    : state_(std::make_unique<State>()) {
  state_->delay = delay;
  std::promise<int> bound;
  auto port = bound.get_future();
  state_->acceptor = std::thread([this, ns, listen_host, target_host, target_port, &bound] {
    try {
      // setns changes only this thread: the relay's sockets live in `ns`, the test stays out.
      enter_namespace(ns);
      state_->listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const int yes = 1;
      ::setsockopt(state_->listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      sockaddr_in at = address_of(listen_host, 0);
      socklen_t len = sizeof at;
      if (::bind(state_->listener, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 ||
          ::listen(state_->listener, 64) != 0 ||
          ::getsockname(state_->listener, reinterpret_cast<sockaddr*>(&at), &len) != 0)
        throw std::runtime_error("relay cannot listen on " + listen_host);
      bound.set_value(ntohs(at.sin_port));
    } catch (...) {
      bound.set_exception(std::current_exception());
      return;
    }
    state_->accept_loop(target_host, target_port);
  });
  try {
    state_->port = port.get();
  } catch (...) {
    state_->acceptor.join();
    throw;
  }
}

DelayRelay::~DelayRelay() {
  state_->stopping = true;
  state_->acceptor.join();
  for (auto& t : state_->pumps) t.join();
  for (int fd : state_->closers) ::close(fd);
  if (state_->listener >= 0) ::close(state_->listener);
}

int DelayRelay::port() const { return state_->port; }
std::uint64_t DelayRelay::connections() const { return state_->connections; }

}  // namespace zpipe::faults
