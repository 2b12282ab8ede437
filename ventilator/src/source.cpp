#include "zpipe/ventilator/source.hpp"

#include "input_sources.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

namespace zpipe::ventilator {
namespace {

class RangeSource final : public TaskSource {
public:
  explicit RangeSource(const config::RangeSource& r) : start_(r.start), next_(r.start), left_(r.count) {}
  Next next() override {
    if (left_ == 0) return {};
    --left_;
    return {Next::Kind::input, std::to_string(next_++), {}};
  }
  std::optional<std::vector<std::string>> reread(const std::vector<std::uint64_t>& ids) override {
    std::vector<std::string> inputs;
    for (const std::uint64_t id : ids) inputs.push_back(std::to_string(start_ + static_cast<std::int64_t>(id - 1)));
    return inputs;
  }

private:
  std::int64_t start_;
  std::int64_t next_;
  std::uint64_t left_;
};

constexpr std::size_t kReadBuffer = 1 << 20;

// Lines of a regular file: reading one never waits for a writer, so stdio's getdelim serves.
// The trailing delimiter (a newline unless -d/-0 says otherwise) is not part of the input.
class FileLinesSource final : public TaskSource {
public:
  FileLinesSource(std::FILE* file, bool owned, std::string path, char delimiter)
      : path_(std::move(path)), file_(file), owned_(owned), delimiter_(delimiter) {
    // stdio's default 4 KiB buffer costs a read() per line of 4 KiB inputs.
    if (std::setvbuf(file_, nullptr, _IOFBF, kReadBuffer) != 0)
      throw std::runtime_error(path_ + ": cannot set a read buffer");
  }
  ~FileLinesSource() override {
    if (owned_) std::fclose(file_);
    std::free(buffer_);
  }
  FileLinesSource(const FileLinesSource&) = delete;
  FileLinesSource& operator=(const FileLinesSource&) = delete;

  Next next() override {
    const ssize_t n = ::getdelim(&buffer_, &capacity_, delimiter_, file_);
    if (n < 0) {
      if (std::ferror(file_)) throw std::runtime_error(path_ + ": read error: " + std::strerror(errno));
      return {};
    }
    std::size_t len = static_cast<std::size_t>(n);
    if (len > 0 && buffer_[len - 1] == delimiter_) --len;
    return {Next::Kind::input, std::string(buffer_, len), {}};
  }

  // One pass from the start of the file with pread(), which leaves the stream's position
  // (and stdio's buffer) alone.
  std::optional<std::vector<std::string>> reread(const std::vector<std::uint64_t>& ids) override {
    std::vector<std::string> inputs;
    std::vector<char> chunk(kReadBuffer);
    std::string line;
    std::uint64_t id = 1;
    off_t offset = 0;
    auto wanted = ids.begin();
    while (wanted != ids.end()) {
      const ssize_t n = ::pread(::fileno(file_), chunk.data(), chunk.size(), offset);
      if (n < 0) throw std::runtime_error(path_ + ": read error: " + std::strerror(errno));
      if (n == 0) break;
      offset += n;
      for (ssize_t i = 0; i < n && wanted != ids.end(); ++i) {
        if (chunk[static_cast<std::size_t>(i)] != delimiter_) {
          if (id == *wanted) line += chunk[static_cast<std::size_t>(i)];
          continue;
        }
        if (id == *wanted) inputs.push_back(std::exchange(line, {})), ++wanted;
        ++id;
      }
    }
    if (wanted != ids.end() && id == *wanted && !line.empty()) inputs.push_back(line), ++wanted;  // no final newline
    if (wanted != ids.end()) throw std::runtime_error(path_ + ": has fewer lines than before: cannot read task " +
                                                      std::to_string(*wanted) + " again");
    return inputs;
  }

private:
  std::string path_;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  char delimiter_;
  char* buffer_ = nullptr;
  std::size_t capacity_ = 0;
};

// Lines of a pipe, a FIFO or a terminal, which may have no complete line for a long time:
// read only what poll() says is there, so the ventilator's loop never waits on a writer
// (and answers a signal at once). stdin is not switched to O_NONBLOCK: that flag would
// also change the descriptor the parent shell shares. Also serves a regular file whose
// delimiter is longer than one byte (-d '::'), which getdelim cannot find.
class StreamLinesSource final : public TaskSource {
public:
  StreamLinesSource(int fd, bool owned, std::string path, std::string delimiter)
      : path_(std::move(path)), fd_(fd), owned_(owned), delimiter_(std::move(delimiter)), chunk_(kReadBuffer) {}
  ~StreamLinesSource() override {
    if (owned_) ::close(fd_);
  }
  StreamLinesSource(const StreamLinesSource&) = delete;
  StreamLinesSource& operator=(const StreamLinesSource&) = delete;

  Next next() override {
    for (;;) {
      const std::size_t end = buffer_.find(delimiter_, scanned_);
      if (end != std::string::npos) return take(end, end + delimiter_.size());
      // A delimiter may be cut between two reads: its first bytes are scanned again.
      scanned_ = std::max(scanned_, buffer_.size() - std::min(buffer_.size() - start_, delimiter_.size() - 1));
      if (eof_) return start_ < buffer_.size() ? take(buffer_.size(), buffer_.size()) : Next{};
      if (!readable()) return {Next::Kind::later, {}, {}};
      fill();
    }
  }
  int wait_fd() const override { return eof_ ? -1 : fd_; }

private:
  // The line [start_, end) and the bytes up to `next` consumed.
  Next take(std::size_t end, std::size_t next) {
    Next line{Next::Kind::input, buffer_.substr(start_, end - start_), {}};
    start_ = scanned_ = next;
    return line;
  }
  bool readable() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;  // POLLHUP at the writer's end counts: read() then says EOF
  }
  void fill() {
    buffer_.erase(0, start_);  // what was taken goes before more comes
    scanned_ -= start_;
    start_ = 0;
    const ssize_t n = ::read(fd_, chunk_.data(), chunk_.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) return;
      throw std::runtime_error(path_ + ": read error: " + std::strerror(errno));
    }
    if (n == 0) eof_ = true;
    buffer_.append(chunk_.data(), static_cast<std::size_t>(n));
  }

  std::string path_;
  int fd_;
  bool owned_;  // a FIFO the source opened (not stdin)
  std::string delimiter_;
  std::vector<char> chunk_;
  std::string buffer_;       // bytes read, from the first not yet taken (start_)
  std::size_t start_ = 0;
  std::size_t scanned_ = 0;  // no newline before this offset
  bool eof_ = false;
};

}  // namespace

std::unique_ptr<TaskSource> open_lines(const config::LinesSource& lines) {
  const std::string& path = lines.path;
  const bool is_stdin = path == "-";
  const int fd = is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && lines.delimiter.size() == 1) {
    std::FILE* file = is_stdin ? stdin : ::fdopen(fd, "rb");
    if (!file) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
    return std::make_unique<FileLinesSource>(file, !is_stdin, path, lines.delimiter[0]);
  }
  return std::make_unique<StreamLinesSource>(fd, !is_stdin, path, lines.delimiter);
}

namespace {

class ItemsSource final : public TaskSource {
public:
  explicit ItemsSource(const config::ItemsSource& s) : items_(s.items) {}
  Next next() override {
    if (index_ >= items_.size()) return {};
    return {Next::Kind::input, items_[index_++], {}};
  }
  std::optional<std::vector<std::string>> reread(const std::vector<std::uint64_t>& ids) override {
    std::vector<std::string> inputs;
    for (const std::uint64_t id : ids) inputs.push_back(items_.at(id - 1));
    return inputs;
  }

private:
  const std::vector<std::string>& items_;  // owned by the pipeline, which outlives the source
  std::size_t index_ = 0;
};

}  // namespace

std::unique_ptr<TaskSource> open_items(const config::ItemsSource& items) { return std::make_unique<ItemsSource>(items); }

std::unique_ptr<TaskSource> open_source(const config::Source& source) {
  if (const auto* r = std::get_if<config::RangeSource>(&source)) return std::make_unique<RangeSource>(*r);
  if (const auto* l = std::get_if<config::LinesSource>(&source)) return open_lines(*l);
  if (const auto* a = std::get_if<config::ArgsSource>(&source)) return open_args(*a);
  return open_items(std::get<config::ItemsSource>(source));
}

}  // namespace zpipe::ventilator
