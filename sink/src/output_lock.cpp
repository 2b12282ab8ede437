#include "output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace zpipe::sink {
namespace {

std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return "unknown";
  return host;
}

std::string holder_of(int fd) {
  char text[300] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  std::string holder(text, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
  const std::size_t space = holder.find(' ');
  if (holder.empty() || space == std::string::npos) return "another process (no holder recorded)";
  return "pid " + holder.substr(0, space) + " (host " + holder.substr(space + 1) + ")";
}

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

OutputLock::OutputLock(const std::string& output) {
  // Only a file is a journal: /dev/null, a FIFO or a terminal is shared by design.
  struct stat st {};
  if (output.empty() || (::stat(output.c_str(), &st) == 0 && !S_ISREG(st.st_mode))) return;
  const std::string path = output + ".lock";
  for (;;) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) fail("cannot open the lock file", path);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      const std::string holder = holder_of(fd);
      ::close(fd);
      if (error == EWOULDBLOCK) throw std::runtime_error(output + " is in use by " + holder + " (lock " + path + ")");
      errno = error;
      fail("cannot lock", path);
    }
    // The holder before us may have removed the file between our open and our lock: then
    // this lock is on a file nobody else will see. Lock the one at the path instead.
    struct stat held {}, named {};
    if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
        held.st_dev == named.st_dev) {
      fd_ = fd;
      path_ = path;
      break;
    }
    ::close(fd);
  }
  const std::string holder = std::to_string(::getpid()) + " " + host_name() + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, holder.data(), holder.size(), 0) != static_cast<ssize_t>(holder.size()))
    fail("cannot write the lock file", path_);
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still locked: a waiter re-checks the path (see above)
  ::close(fd_);
}

}  // namespace zpipe::sink
