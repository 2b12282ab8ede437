#include "zpipe/core/spill.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace zpipe::core {
namespace {

constexpr std::size_t kReadChunk = std::size_t{1} << 20;

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

std::string temp_dir() {
  const char* dir = std::getenv("TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

}  // namespace

SpillFile SpillFile::create() {
  const std::string dir = temp_dir();
  SpillFile file;
  file.fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (file.fd_ >= 0) return file;
  // Filesystems without O_TMPFILE (EOPNOTSUPP, EISDIR on old kernels): name it, then unlink.
  std::string path = dir + "/zpipe-output-XXXXXX";
  file.fd_ = ::mkostemp(path.data(), O_CLOEXEC);
  if (file.fd_ < 0) throw_errno(("cannot create a temporary file in " + dir).c_str());
  ::unlink(path.c_str());
  return file;
}

SpillFile::SpillFile(SpillFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(std::exchange(other.size_, 0)) {}

SpillFile& SpillFile::operator=(SpillFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SpillFile::~SpillFile() {
  if (fd_ >= 0) ::close(fd_);
}

void SpillFile::append(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(size_));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write task output to its temporary file");
    }
    size_ += static_cast<std::uint64_t>(n);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void SpillFile::read(const std::function<void(std::string_view)>& chunk) const {
  std::vector<char> buffer(kReadChunk);
  for (std::uint64_t at = 0; at < size_;) {
    const ssize_t n = ::pread(fd_, buffer.data(), buffer.size(), static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = EIO;  // shorter than written: someone else truncated it
    if (n <= 0) throw_errno("cannot read task output back from its temporary file");
    chunk(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    at += static_cast<std::uint64_t>(n);
  }
}

void Spills::put(TaskId id, SpilledStreams streams) {
  std::lock_guard lock(mutex_);
  files_.insert_or_assign(id, std::move(streams));
}

std::optional<SpilledStreams> Spills::take(TaskId id) {
  std::lock_guard lock(mutex_);
  const auto it = files_.find(id);
  if (it == files_.end()) return std::nullopt;
  std::optional<SpilledStreams> streams(std::move(it->second));
  files_.erase(it);
  return streams;
}

}  // namespace zpipe::core
