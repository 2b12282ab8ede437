#include "test_support.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace zpipe::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "zpipe-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void write_file(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& file) {
  std::vector<nlohmann::json> records;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) records.push_back(nlohmann::json::parse(line));
  return records;
}

namespace {

// Binds a TCP socket to 127.0.0.1:`port` (0: the kernel picks) and closes it; the port, or
// 0 when taken.
int try_port(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  int got = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    got = ntohs(addr.sin_port);
  }
  ::close(fd);
  return got;
}

// The first port of the kernel's ephemeral range (32768 unless configured otherwise).
int ephemeral_start() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  return in >> low && low > 12000 ? low : 0;
}

}  // namespace

// A random port below the ephemeral range: a port the kernel handed out for bind(0) could
// be given next to the local end of some outgoing connection of another test before this
// test's role binds it (a flake seen with ~400 tests at -j 4). Never twice in a process.
int free_port() {
  static std::mutex mutex;
  static std::set<int> given;
  static std::mt19937 rng(std::random_device{}());
  std::lock_guard lock(mutex);
  if (const int high = ephemeral_start(); high > 0) {
    std::uniform_int_distribution<int> pick(10000, high - 1);
    for (int attempt = 0; attempt < 200; ++attempt) {
      const int port = pick(rng);
      if (!given.contains(port) && try_port(port) == port) {
        given.insert(port);
        return port;
      }
    }
  }
  const int port = try_port(0);
  if (port == 0) throw std::runtime_error("no free port");
  given.insert(port);
  return port;
}

Child::Child(std::vector<std::string> argv, const std::filesystem::path& out, const std::filesystem::path& err,
             const std::filesystem::path& stdin_file) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string in = stdin_file.empty() ? "/dev/null" : stdin_file.string();
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + " failed");
}

Child::Child(Child&& other) noexcept : pid_(other.pid_), max_rss_kib_(other.max_rss_kib_) { other.pid_ = -1; }

Child::~Child() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

int Child::wait(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (pid_ > 0) {
    int status = 0;
    rusage usage{};
    const pid_t r = ::wait4(pid_, &status, WNOHANG, &usage);
    if (r == pid_) {
      pid_ = -1;
      max_rss_kib_ = usage.ru_maxrss;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

void Child::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

std::string zpipe_binary() { return ZPIPE_BINARY; }

std::string seq(int from, int to) {
  std::string text;
  for (int i = from; i <= to; ++i) text += std::to_string(i) + "\n";
  return text;
}

std::filesystem::path find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  const std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

Outcome run_zpipe(const std::vector<std::string>& args, const TempDir& dir, const std::string& stdin_text,
                  std::chrono::milliseconds limit) {
  static int counter = 0;
  const std::string tag = std::to_string(++counter);
  const auto in = dir / ("stdin-" + tag), out = dir / ("stdout-" + tag), err = dir / ("stderr-" + tag);
  write_file(in, stdin_text);
  std::vector<std::string> argv{zpipe_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  Child child(argv, out, err, in);
  Outcome o;
  o.code = child.wait(limit);
  o.max_rss_kib = child.max_rss_kib();
  o.out = read_file(out);
  o.err = read_file(err);
  return o;
}

}  // namespace zpipe::test

namespace zpipe::test {

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit,
                std::chrono::milliseconds every) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

std::size_t count_lines(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::size_t n = 0;
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof buffer);
    for (std::streamsize i = 0; i < in.gcount(); ++i) n += buffer[i] == '\n';
  }
  return n;
}

Child start_zpipe(const std::vector<std::string>& args, const TempDir& dir, const std::string& tag,
                  const std::filesystem::path& stdin_file) {
  std::vector<std::string> argv{zpipe_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Child(argv, dir / (tag + ".out"), dir / (tag + ".err"), stdin_file);
}

std::vector<nlohmann::json> read_whole_records(const std::filesystem::path& file) {
  const std::string text = read_file(file);
  std::vector<nlohmann::json> records;
  std::size_t at = 0;
  for (std::size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    records.push_back(nlohmann::json::parse(text.substr(at, nl - at)));
  return records;
}

}  // namespace zpipe::test

namespace zpipe::test {
namespace {

// State letter and process group of /proc/<name>/stat; state 0 if it cannot be read.
std::pair<char, pid_t> stat_of(const std::string& name) {
  const std::string stat = read_file("/proc/" + name + "/stat");
  const std::size_t paren = stat.rfind(')');  // the command name may hold spaces and ')'
  if (paren == std::string::npos) return {0, 0};
  std::istringstream fields(stat.substr(paren + 1));
  char state = 0;
  long ppid = 0, pgrp = 0;
  if (!(fields >> state >> ppid >> pgrp)) return {0, 0};
  return {state, static_cast<pid_t>(pgrp)};
}

}  // namespace

Ended signal_and_wait(Child& child, int sig, std::chrono::milliseconds limit) {
  const auto sent = std::chrono::steady_clock::now();
  child.signal(sig);
  Ended ended;
  ended.code = child.wait(limit);
  ended.after = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent);
  return ended;
}

std::string describe(const Ended& ended) {
  if (ended.code < 0) return "still running " + std::to_string(ended.after.count()) + " ms after the signal";
  return "exit " + std::to_string(ended.code) + " after " + std::to_string(ended.after.count()) + " ms";
}

char process_state(pid_t pid) { return stat_of(std::to_string(pid)).first; }

bool process_group_alive(pid_t pgid) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto [state, group] = stat_of(name);
    if (group == pgid && state != 0 && state != 'Z' && state != 'X') return true;
  }
  return false;
}

Frozen::Frozen(Child& child) : child_(child) {
  child_.signal(SIGSTOP);
  stopped_ = wait_until([&] { return process_state(child_.pid()) == 'T'; }, std::chrono::seconds(2));
}

Frozen::~Frozen() { child_.signal(SIGCONT); }

bool port_bound(int port) {
  // Read from the kernel's table, not probed with a bind of our own: a probe holding the
  // port for a moment could make the role's own bind fail.
  std::istringstream table(read_file("/proc/net/tcp") + read_file("/proc/net/tcp6"));
  for (std::string line; std::getline(table, line);) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    if (!(fields >> slot >> local >> remote >> state)) continue;
    const std::size_t colon = local.rfind(':');
    if (colon == std::string::npos || state != "0A") continue;  // 0A: LISTEN
    if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) return true;
  }
  return false;
}

std::vector<std::string> lines_with(const std::string& text, const std::vector<std::string>& needles) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const auto& needle : needles) all = all && line.find(needle) != std::string::npos;
    if (all) lines.push_back(line);
  }
  return lines;
}

int logged_http_port(const TempDir& dir, const std::string& tag) {
  const std::string marker = "http: listening on 127.0.0.1:";
  int port = 0;
  wait_until(
      [&] {
        const std::string log = read_file(dir / (tag + ".err"));
        const std::size_t at = log.find(marker);
        if (at == std::string::npos) return false;
        port = std::atoi(log.c_str() + at + marker.size());
        return port > 0;
      },
      std::chrono::seconds(10));
  return port;
}

}  // namespace zpipe::test
