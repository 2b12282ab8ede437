#include "zpipe/ventilator/source.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace zpipe::ventilator {
namespace {

class RangeSource final : public TaskSource {
public:
  explicit RangeSource(const config::RangeSource& r) : next_(r.start), left_(r.count) {}
  std::optional<std::string> next() override {
    if (left_ == 0) return std::nullopt;
    --left_;
    return std::to_string(next_++);
  }

private:
  std::int64_t next_;
  std::uint64_t left_;
};

// Lines of a file or stdin; the trailing newline is not part of the input.
class LinesSource final : public TaskSource {
public:
  static constexpr std::size_t kReadBuffer = 1 << 20;

  explicit LinesSource(const std::string& path) : path_(path) {
    if (path == "-") {
      file_ = stdin;
    } else {
      file_ = std::fopen(path.c_str(), "rb");
      if (!file_) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
      owned_ = true;
      // stdio's default 4 KiB buffer costs a read() per line of 4 KiB inputs.
      if (std::setvbuf(file_, nullptr, _IOFBF, kReadBuffer) != 0)
        throw std::runtime_error(path + ": cannot set a read buffer");
    }
  }
  ~LinesSource() override {
    if (owned_) std::fclose(file_);
    std::free(buffer_);
  }
  LinesSource(const LinesSource&) = delete;
  LinesSource& operator=(const LinesSource&) = delete;

  std::optional<std::string> next() override {
    const ssize_t n = ::getline(&buffer_, &capacity_, file_);
    if (n < 0) {
      if (std::ferror(file_)) throw std::runtime_error(path_ + ": read error: " + std::strerror(errno));
      return std::nullopt;
    }
    std::size_t len = static_cast<std::size_t>(n);
    if (len > 0 && buffer_[len - 1] == '\n') --len;
    return std::string(buffer_, len);
  }

private:
  std::string path_;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  char* buffer_ = nullptr;
  std::size_t capacity_ = 0;
};

class ItemsSource final : public TaskSource {
public:
  explicit ItemsSource(const config::ItemsSource& s) : items_(s.items) {}
  std::optional<std::string> next() override {
    if (index_ >= items_.size()) return std::nullopt;
    return items_[index_++];
  }

private:
  const std::vector<std::string>& items_;  // owned by the pipeline, which outlives the source
  std::size_t index_ = 0;
};

}  // namespace

std::unique_ptr<TaskSource> open_source(const config::Source& source) {
  if (const auto* r = std::get_if<config::RangeSource>(&source)) return std::make_unique<RangeSource>(*r);
  if (const auto* l = std::get_if<config::LinesSource>(&source)) return std::make_unique<LinesSource>(l->path);
  return std::make_unique<ItemsSource>(std::get<config::ItemsSource>(source));
}

}  // namespace zpipe::ventilator
