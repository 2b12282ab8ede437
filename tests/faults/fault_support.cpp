#include "fault_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <future>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace zpipe::faults {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// --- figures ----------------------------------------------------------------------------

void report(const Figures& f) {
  std::ostringstream row;
  row << "| " << f.scenario << " | " << f.faults << " | " << f.records << " | " << f.reruns << " | " << f.duplicates
      << " | " << std::fixed << std::setprecision(1) << f.seconds << " |";
  std::cout << "[ fault ] " << row.str() << std::endl;
  if (const char* file = std::getenv("ZPIPE_FAULTS_REPORT"); file && *file) {
    std::ofstream(file, std::ios::app) << row.str() << "\n";
  }
  ::testing::Test::RecordProperty("records", std::to_string(f.records));
  ::testing::Test::RecordProperty("reruns", std::to_string(f.reruns));
  ::testing::Test::RecordProperty("duplicates", std::to_string(f.duplicates));
}

const char* name_of(Role role) {
  switch (role) {
    case Role::ventilator: return "ventilator";
    case Role::sink: return "sink";
    case Role::worker: return "worker";
  }
  return "?";
}

// --- roles ------------------------------------------------------------------------------

Roles::Roles(const test::TempDir& dir, test::Batch batch, int workers)
    : dir_(dir), batch_(std::move(batch)), output_(dir / "out.jsonl"), workers_(static_cast<std::size_t>(workers)) {
  file_ = batch_.write(dir_);
}

void Roles::output_to(const std::filesystem::path& file) {
  output_ = file;
  flags_[Role::sink].insert(flags_[Role::sink].end(), {"--output", file.string()});
}

Roles::Slot& Roles::slot(Role role, int index) {
  return const_cast<Slot&>(static_cast<const Roles&>(*this).slot(role, index));
}

const Roles::Slot& Roles::slot(Role role, int index) const {
  switch (role) {
    case Role::ventilator: return ventilator_;
    case Role::sink: return sink_;
    case Role::worker: return workers_.at(static_cast<std::size_t>(index));
  }
  throw std::logic_error("no such role");
}

std::string Roles::tag(Role role, int index, int incarnation) const {
  std::string t = name_of(role);
  if (role == Role::worker) t += std::to_string(index);
  return t + "-" + std::to_string(incarnation);
}

void Roles::place(Role role, std::vector<std::string> prefix, std::vector<std::string> flags) {
  prefix_[role] = std::move(prefix);
  flags_[role] = std::move(flags);
}

test::Batch logged_batch(const test::TempDir& dir, int count, const std::string& seconds) {
  test::Batch b;
  b.count = count;
  b.command = test::logged(dir, (seconds.empty() ? "" : "sleep " + seconds + "; ") + "echo $(( {} * {} ))");
  return b;
}

bool Roles::start_all_until(std::size_t records) {
  start_all();
  return test::wait_until([&] { return records_written() >= records; }, 20s);
}

void Roles::start_all() {
  start(Role::sink);
  start(Role::ventilator);
  for (int i = 0; i < workers(); ++i) start(Role::worker, i);
}

void Roles::start(Role role, int index, std::vector<std::string> flags) {
  Slot& s = slot(role, index);
  if (s.child && s.child->pid() > 0) throw std::logic_error(std::string(name_of(role)) + " is still running");
  s.child.reset();
  const std::string t = tag(role, index, ++s.incarnations);
  std::vector<std::string> argv = prefix_[role];
  argv.push_back(test::zpipe_binary());
  argv.insert(argv.end(), {name_of(role), "-c", file_});
  if (role == Role::sink) argv.insert(argv.end(), {"--summary", (dir_ / "summary.json").string()});
  if (role == Role::worker) argv.insert(argv.end(), {"--name", t});
  argv.insert(argv.end(), flags_[role].begin(), flags_[role].end());
  argv.insert(argv.end(), flags.begin(), flags.end());
  s.child.emplace(argv, dir_ / (t + ".out"), dir_ / (t + ".err"));
}

test::Child& Roles::child(Role role, int index) {
  Slot& s = slot(role, index);
  if (!s.child) throw std::logic_error(std::string(name_of(role)) + " is not running");
  return *s.child;
}

bool Roles::running(Role role, int index) const {
  const Slot& s = slot(role, index);
  return s.child && s.child->pid() > 0;
}

void Roles::kill(Role role, int index) {
  Slot& s = slot(role, index);
  if (!s.child) return;
  s.child->signal(SIGKILL);
  s.child->wait(5s);
  s.child.reset();
}

std::size_t Roles::records_written() const { return test::count_lines(output_); }

std::string Roles::log(Role role, int index) const {
  std::string text;
  for (int n = 1; n <= slot(role, index).incarnations; ++n) {
    const std::string t = tag(role, index, n);
    text += "--- " + t + ".err\n" + test::read_file(dir_ / (t + ".err"));
  }
  return text;
}

void Roles::expect_all_end(std::chrono::milliseconds limit, int code) {
  const auto deadline = Clock::now() + limit;
  auto wait = [&](Role role, int index) {
    Slot& s = slot(role, index);
    if (!s.child || s.child->pid() <= 0) return;  // killed, or already waited for
    const auto left = std::max(std::chrono::milliseconds(1),
                               std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    const int got = s.child->wait(left);
    EXPECT_EQ(got, code) << tag(role, index, s.incarnations) << (got == -1 ? " did not end by itself" : " ended so")
                         << "\n" << log(role, index);
    if (got != -1) s.child.reset();
  };
  wait(Role::ventilator, 0);
  wait(Role::sink, 0);
  for (int i = 0; i < workers(); ++i) wait(Role::worker, i);
}

Figures Roles::expect_exactly_once(std::string scenario, std::string faults) const {
  return faults::expect_exactly_once(output_, batch_.count, dir_, started_, std::move(scenario), std::move(faults));
}

Figures expect_exactly_once(const std::filesystem::path& output, int count, const test::TempDir& dir,
                            Clock::time_point started, std::string scenario, std::string faults) {
  test::expect_only_records(output);
  const auto records = test::read_whole_records(output);
  test::expect_square_records(records, count);
  Figures f;
  f.scenario = std::move(scenario);
  f.faults = std::move(faults);
  f.records = records.size();
  for (const auto& [id, n] : test::executions(dir)) f.reruns += static_cast<std::size_t>(n - 1);
  if (std::filesystem::exists(dir / "summary.json"))
    f.duplicates = test::summary_of(dir / "summary.json").value("duplicates", std::uint64_t{0});
  f.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return f;
}

// --- network namespaces -----------------------------------------------------------------

void sh(const std::string& command) {
  const std::string full = command + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + command);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, p)) output += buffer;
  const int status = ::pclose(p);
  if (status != 0) throw std::runtime_error("'" + command + "' failed: " + output);
}

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

// --- tmpfs ------------------------------------------------------------------------------

Tmpfs::Tmpfs(std::filesystem::path at, std::size_t size_kib) : at_(std::move(at)) {
  std::filesystem::create_directories(at_);
  const std::string options = "size=" + std::to_string(size_kib) + "k";
  if (::mount("tmpfs", at_.c_str(), "tmpfs", 0, options.c_str()) != 0)
    throw std::runtime_error("cannot mount a tmpfs on " + at_.string() + ": " + std::strerror(errno));
}

Tmpfs::~Tmpfs() { ::umount2(at_.c_str(), MNT_DETACH); }

void Tmpfs::resize(std::size_t size_kib) {
  const std::string options = "size=" + std::to_string(size_kib) + "k";
  if (::mount("tmpfs", at_.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) != 0)
    throw std::runtime_error("cannot resize the tmpfs on " + at_.string() + ": " + std::strerror(errno));
}

}  // namespace zpipe::faults
