// Child processes for tasks.
//
// Things that matter here and why:
// - The worker spawns from several threads at once. Every fd we create is O_CLOEXEC from
//   birth (pipe2), so a child spawned by another thread never inherits our pipe ends; if it
//   did, our reader would not see EOF until that unrelated child exited.
// - The child leads its own process group, so a timeout can kill the whole tree a shell
//   built (grandchildren included) with one killpg.
// - The child's signal mask is emptied and dispositions reset: the worker may block
//   signals or ignore SIGPIPE, and an ignored/blocked signal survives exec.
// - The child is reaped only at the very end. Until then its pid (a zombie at worst)
//   keeps the process group id reserved, so killpg can never hit a recycled group.

#include "zpipe/worker/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace zpipe::worker {
namespace {

using Clock = std::chrono::steady_clock;

// How long we keep draining pipes after killing the group. Only a descendant that left
// the group (setsid) could keep them open past the kill; we stop waiting for it.
constexpr std::chrono::milliseconds kDrainAfterKill{2000};
constexpr std::size_t kReadChunk = 64 * 1024;

[[noreturn]] void throw_errno(int error, const char* what) {
  throw std::system_error(error, std::generic_category(), what);
}

class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  void reset() {
    // close() must not be retried on EINTR on Linux: the fd is released either way.
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
};

// If the worker runs with fd 0/1/2 closed, pipe2 may hand out one of them, and
// dup2(fd, same fd) in the child would be a no-op that leaves FD_CLOEXEC set. Moving such
// an fd above 2 keeps the child's stdout/stderr wiring correct.
UniqueFd move_above_stdio(UniqueFd fd) {
  if (fd.get() > STDERR_FILENO) return fd;
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (moved < 0) throw_errno(errno, "fcntl(F_DUPFD_CLOEXEC)");
  return UniqueFd(moved);
}

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
  p.read_end = move_above_stdio(std::move(p.read_end));
  p.write_end = move_above_stdio(std::move(p.write_end));
  return p;
}

// posix_spawn attribute and file-action objects with guaranteed destruction.
class SpawnSetup {
public:
  SpawnSetup(int stdout_fd, int stderr_fd) {
    if (int rc = ::posix_spawnattr_init(&attr_); rc != 0) throw_errno(rc, "posix_spawnattr_init");
    if (int rc = ::posix_spawn_file_actions_init(&actions_); rc != 0) {
      ::posix_spawnattr_destroy(&attr_);
      throw_errno(rc, "posix_spawn_file_actions_init");
    }
    try {
      configure(stdout_fd, stderr_fd);
    } catch (...) {
      destroy();
      throw;
    }
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() { destroy(); }

  const posix_spawnattr_t* attr() const { return &attr_; }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }

private:
  void configure(int stdout_fd, int stderr_fd) {
    sigset_t empty_mask;
    sigemptyset(&empty_mask);
    sigset_t all_signals;  // SIGKILL/SIGSTOP cannot be reset; glibc skips them
    sigfillset(&all_signals);
    check(::posix_spawnattr_setflags(
              &attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
          "posix_spawnattr_setflags");
    check(::posix_spawnattr_setpgroup(&attr_, 0), "posix_spawnattr_setpgroup");
    check(::posix_spawnattr_setsigmask(&attr_, &empty_mask), "posix_spawnattr_setsigmask");
    check(::posix_spawnattr_setsigdefault(&attr_, &all_signals), "posix_spawnattr_setsigdefault");

    // Tasks never read input interactively: a task reading stdin gets EOF, not the worker's
    // terminal or socket.
    check(::posix_spawn_file_actions_addopen(&actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0),
          "posix_spawn_file_actions_addopen");
    // dup2 clears FD_CLOEXEC on the target; the originals still close at exec.
    check(::posix_spawn_file_actions_adddup2(&actions_, stdout_fd, STDOUT_FILENO),
          "posix_spawn_file_actions_adddup2");
    check(::posix_spawn_file_actions_adddup2(&actions_, stderr_fd, STDERR_FILENO),
          "posix_spawn_file_actions_adddup2");
  }

  static void check(int rc, const char* what) {
    if (rc != 0) throw_errno(rc, what);
  }

  void destroy() {
    if (destroyed_) return;
    destroyed_ = true;
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attr_);
  }

  posix_spawnattr_t attr_{};
  posix_spawn_file_actions_t actions_{};
  bool destroyed_ = false;
};

// Owns a running child: if we leave early (an exception), the whole group is killed and
// the child reaped, so no process or zombie outlives run_process.
class ChildProcess {
public:
  ChildProcess(pid_t pid, ProcessGroups& groups) : pid_(pid), groups_(groups) { groups_.add(pid); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) {
      kill_group();
      groups_.remove(pid_);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }

  // The child is its group's leader, so its pid is the group id.
  void kill_group() const { ::killpg(pid_, SIGKILL); }

  int wait() {
    // Wait for the exit without reaping (the zombie keeps the pid taken), leave the running
    // set, then reap.
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) < 0) {
      if (errno != EINTR) throw_errno(errno, "waitid");
    }
    groups_.remove(pid_);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) throw_errno(errno, "waitpid");
    }
    pid_ = -1;
    return status;
  }

private:
  pid_t pid_;
  ProcessGroups& groups_;
};

// One captured stream: keeps the first `limit` bytes (in memory, or beyond the memory bound
// in a spill file, or passed on line by line), reads and drops the rest so the child never
// blocks on a full pipe.
struct CapturedStream {
  UniqueFd fd;
  std::string* text;
  std::size_t limit;
  bool* truncated;
  core::SpillFile* spill = nullptr;                               // null: everything in `text`
  const std::function<void(std::string_view)>* lines = nullptr;  // null: nothing passed on
  std::uint64_t taken = 0;
  bool cut = false;

  // Reads what poll() reported; closes the stream at EOF.
  void read_available(std::vector<char>& buffer) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) return;
      throw_errno(errno, "read");
    }
    if (n == 0) {
      fd.reset();
      pass_rest();
      return;
    }
    const auto received = static_cast<std::size_t>(n);
    const std::uint64_t room = limit - std::min<std::uint64_t>(limit, taken);
    const std::size_t kept = static_cast<std::size_t>(std::min<std::uint64_t>(received, room));
    if (received > room) *truncated = cut = true;
    taken += kept;
    keep(std::string_view(buffer.data(), kept));
  }

private:
  void keep(std::string_view bytes) {
    if (bytes.empty()) return;
    if (lines != nullptr) {
      const std::size_t before = text->size();
      text->append(bytes);
      const std::size_t last_newline = bytes.rfind('\n');
      if (last_newline == std::string_view::npos) return;
      const std::size_t complete = before + last_newline + 1;
      (*lines)(std::string_view(*text).substr(0, complete));
      text->erase(0, complete);
      return;
    }
    const std::size_t memory_room =
        spill != nullptr ? core::Spills::kMemoryBound - std::min(core::Spills::kMemoryBound, text->size()) : bytes.size();
    text->append(bytes.substr(0, memory_room));
    if (bytes.size() <= memory_room) return;
    if (!spill->is_open()) *spill = core::SpillFile::create();
    spill->append(bytes.substr(memory_room));
  }

  // At EOF: the last unterminated line is passed on too; after a cut it ends the line, so
  // the next output starts on its own.
  void pass_rest() {
    if (lines == nullptr || text->empty()) return;
    if (cut) text->push_back('\n');
    (*lines)(*text);
    text->clear();
  }
};

std::string spawn_error_message(const std::string& program, int error) {
  return "zpipe: " + program + ": " + std::generic_category().message(error);
}

// Like a shell: 127 when the program is not found, 126 when it exists but can't be run.
int exit_code_for_spawn_error(int error) {
  return (error == ENOENT || error == ENOTDIR) ? 127 : 126;
}

}  // namespace

ProcessGroups& ProcessGroups::unowned() {
  static ProcessGroups groups;
  return groups;
}

void ProcessGroups::add(pid_t group) {
  std::lock_guard lock(mutex_);
  groups_.insert(group);
  if (killed_all_) ::killpg(group, SIGKILL);
}

void ProcessGroups::remove(pid_t group) {
  std::lock_guard lock(mutex_);
  groups_.erase(group);
}

void ProcessGroups::kill_all() {
  std::lock_guard lock(mutex_);
  killed_all_ = true;
  for (pid_t group : groups_) ::killpg(group, SIGKILL);
}

ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          std::size_t max_output, ProcessGroups& groups, char* const* environment,
                          const OutputRoute& route) {
  ProcessResult result;
  if (argv.empty()) {
    result.exit_code = 127;
    result.error = "zpipe: empty command";
    return result;
  }

  Pipe out_pipe = make_pipe();
  Pipe err_pipe = make_pipe();

  std::vector<char*> c_argv;
  c_argv.reserve(argv.size() + 1);
  for (const std::string& word : argv) c_argv.push_back(const_cast<char*>(word.c_str()));
  c_argv.push_back(nullptr);

  pid_t pid = -1;
  {
    const SpawnSetup setup(out_pipe.write_end.get(), err_pipe.write_end.get());
    const int rc = ::posix_spawnp(&pid, c_argv[0], setup.actions(), setup.attr(), c_argv.data(),
                                  environment != nullptr ? environment : environ);
    if (rc != 0) {
      // glibc reports exec failures from the child and reaps it itself: nothing to wait for.
      result.spawn_error = rc;
      result.exit_code = exit_code_for_spawn_error(rc);
      result.error = spawn_error_message(argv[0], rc);
      return result;
    }
  }
  ChildProcess child(pid, groups);

  // Our copies of the write ends must go, or we would never see EOF.
  out_pipe.write_end.reset();
  err_pipe.write_end.reset();

  CapturedStream streams[2] = {
      {std::move(out_pipe.read_end), &result.out, max_output, &result.truncated,
       route.spill ? &result.spilled.out : nullptr, route.stdout_lines ? &route.stdout_lines : nullptr},
      {std::move(err_pipe.read_end), &result.error, max_output, &result.truncated,
       route.spill ? &result.spilled.err : nullptr, nullptr},
  };
  std::vector<char> buffer(kReadChunk);

  // Read until both pipes are at EOF. That normally happens when the child exits; a
  // background grandchild holding the pipes keeps us reading (as GNU parallel does), still
  // bounded by the task's timeout when it has one.
  const bool has_timeout = timeout.count() > 0;
  auto deadline = Clock::now() + timeout;
  bool killed = false;
  while (streams[0].fd.is_open() || streams[1].fd.is_open()) {
    int poll_timeout_ms = -1;
    if (has_timeout) {
      const auto now = Clock::now();
      if (now >= deadline) {
        if (killed) break;  // a descendant outside the group still holds a pipe: give up
        child.kill_group();
        result.timed_out = true;
        killed = true;
        deadline = now + kDrainAfterKill;
      }
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
      poll_timeout_ms = static_cast<int>(std::min<std::int64_t>(left.count(), 60'000));
    }

    pollfd fds[2];
    nfds_t count = 0;
    CapturedStream* polled[2];
    for (CapturedStream& stream : streams) {
      if (!stream.fd.is_open()) continue;
      fds[count] = pollfd{stream.fd.get(), POLLIN, 0};
      polled[count++] = &stream;
    }
    const int ready = ::poll(fds, count, poll_timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "poll");
    }
    for (nfds_t i = 0; i < count; ++i) {
      // POLLHUP without POLLIN is EOF; read() returns 0 and closes the stream.
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) polled[i]->read_available(buffer);
    }
  }

  const int status = child.wait();
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
    result.core_dumped = WCOREDUMP(status);
  }
  return result;
}

}  // namespace zpipe::worker
