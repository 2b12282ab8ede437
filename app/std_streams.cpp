#include "std_streams.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

namespace zpipe::app {
namespace {

bool stdout_closed = false;

}  // namespace

void guard_standard_descriptors() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    if (fd == STDOUT_FILENO) stdout_closed = true;
    // open() returns the lowest free number: this one, since those below it are open now.
    const int opened = ::open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
    if (opened != fd && opened >= 0) ::close(opened);
  }
}

void require_stdout(const char* what) {
  if (stdout_closed)
    throw std::runtime_error(std::string("standard output is closed: ") + what +
                             " would be lost; give --output FILE or open stdout");
}

}  // namespace zpipe::app
