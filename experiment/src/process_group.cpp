#include "process_group.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <system_error>

extern char** environ;

namespace zpipe::experiment::detail {
namespace {

[[noreturn]] void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::system_category(), what);
}

// posix_spawn's attribute and file-action objects, destroyed whatever happens.
class SpawnSetup {
public:
  SpawnSetup() {
    if (int rc = ::posix_spawnattr_init(&attr_); rc != 0) throw_errno(rc, "posix_spawnattr_init");
    if (int rc = ::posix_spawn_file_actions_init(&actions_); rc != 0) {
      ::posix_spawnattr_destroy(&attr_);
      throw_errno(rc, "posix_spawn_file_actions_init");
    }
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

void check(int rc, const char* what) {
  if (rc != 0) throw_errno(rc, what);
}

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; }

}  // namespace

ProcessGroup::~ProcessGroup() { kill_all(); }

std::size_t ProcessGroup::spawn(const std::vector<std::string>& argv, const std::filesystem::path& out,
                                const std::filesystem::path& err, int* stderr_pipe) {
  SpawnSetup setup;
  int pipe_fds[2] = {-1, -1};
  if (stderr_pipe != nullptr && ::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) throw_errno(errno, "pipe2");
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGPIPE);
  check(::posix_spawnattr_setflags(&setup.attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
        "posix_spawnattr_setflags");
  check(::posix_spawnattr_setpgroup(&setup.attr_, group_), "posix_spawnattr_setpgroup");
  check(::posix_spawnattr_setsigmask(&setup.attr_, &empty), "posix_spawnattr_setsigmask");
  check(::posix_spawnattr_setsigdefault(&setup.attr_, &defaults), "posix_spawnattr_setsigdefault");
  check(::posix_spawn_file_actions_addopen(&setup.actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0), "addopen stdin");
  check(::posix_spawn_file_actions_addopen(&setup.actions_, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644),
        "addopen stdout");
  if (stderr_pipe != nullptr) {
    // dup2 clears close-on-exec on the child's copy; the child's stderr need not block.
    check(::posix_spawn_file_actions_adddup2(&setup.actions_, pipe_fds[1], STDERR_FILENO), "adddup2 stderr");
  } else {
    check(::posix_spawn_file_actions_addopen(&setup.actions_, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                             0644),
          "addopen stderr");
  }
  std::vector<char*> args;
  for (const std::string& word : argv) args.push_back(const_cast<char*>(word.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    bool drop = false;
    for (const std::string& name : unset_)
      drop = drop || (entry.size() > name.size() && entry.substr(0, name.size()) == name && entry[name.size()] == '=');
    if (!drop) env.push_back(*e);
  }
  env.push_back(nullptr);
  Child child;
  const int rc = ::posix_spawn(&child.pid, args[0], &setup.actions_, &setup.attr_, args.data(), env.data());
  if (stderr_pipe != nullptr) {
    ::close(pipe_fds[1]);
    if (rc != 0) ::close(pipe_fds[0]);
    else *stderr_pipe = pipe_fds[0];
  }
  if (rc != 0) throw_errno(rc, "cannot start " + argv[0]);
  if (group_ == 0) group_ = child.pid;
  // A pidfd is readable once its process has ended: poll() then waits for children, the
  // stop request and the deadline together.
  child.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child.pid, 0));
  if (child.pidfd < 0) {
    const int error = errno;
    ::kill(child.pid, SIGKILL);
    reap(child, true);
    throw_errno(error, "pidfd_open");
  }
  children_.push_back(child);
  return children_.size() - 1;
}

void ProcessGroup::reap(Child& child, bool block) {
  if (child.exit.ended || child.pid <= 0) return;
  int status = 0;
  rusage usage{};
  const pid_t got = ::wait4(child.pid, &status, block ? 0 : WNOHANG, &usage);
  if (got != child.pid) return;
  child.exit.ended = true;
  child.exit.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  child.exit.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  child.exit.max_rss_kb = usage.ru_maxrss;  // Linux: kilobytes
  if (child.pidfd >= 0) ::close(child.pidfd);
  child.pidfd = -1;
}

ProcessGroup::Waited ProcessGroup::wait(std::chrono::steady_clock::time_point deadline,
                                        const std::function<std::vector<Watch>()>& watches,
                                        const std::function<bool(std::size_t)>& on_exit) {
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<std::size_t> owners;
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (children_[i].exit.ended) continue;
      fds.push_back(pollfd{children_[i].pidfd, POLLIN, 0});
      owners.push_back(i);
    }
    if (fds.empty()) return Waited::all_ended;
    const std::size_t children = fds.size();
    std::vector<Watch> extra = watches();
    for (const Watch& w : extra) fds.push_back(pollfd{w.fd, w.events, 0});
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Waited::deadline;
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "poll");
    }
    // Watches first: a pipe's last lines are read before its writer's exit is handled.
    for (std::size_t k = 0; k < extra.size(); ++k) {
      const short revents = fds[children + k].revents;
      if (revents != 0 && extra[k].events != 0 && !extra[k].ready(revents)) return Waited::stopped_early;
    }
    for (std::size_t k = 0; k < children; ++k) {
      if (fds[k].revents == 0) continue;
      reap(children_[owners[k]], true);
      if (!on_exit(owners[k])) return Waited::stopped_early;
    }
  }
}

void ProcessGroup::kill_all() {
  // The group is ours while one of its members is unreaped (a reaped group id may be reused).
  bool running = false;
  for (const Child& child : children_) running = running || !child.exit.ended;
  if (group_ > 0 && running) ::kill(-group_, SIGKILL);
  for (Child& child : children_) {
    if (!child.exit.ended && child.pid > 0) ::kill(child.pid, SIGKILL);  // one that left the group
    reap(child, true);
  }
}

}  // namespace zpipe::experiment::detail
