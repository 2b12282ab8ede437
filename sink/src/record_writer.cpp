#include "record_writer.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <unistd.h>

#include "zpipe/sink/record.hpp"

namespace zpipe::sink {
namespace {

// Owns a FILE* unless it is stdout/stderr.
class OutputFile {
public:
  OutputFile(const std::string& path, bool append) : path_(path.empty() ? "<stdout>" : path) {
    if (path.empty()) {
      file_ = stdout;
    } else {
      file_ = std::fopen(path.c_str(), append ? "a" : "w");
      if (!file_) throw std::runtime_error(path + ": cannot open for writing: " + std::strerror(errno));
      owned_ = true;
      std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
    }
  }
  ~OutputFile() {
    if (owned_) std::fclose(file_);
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(std::string_view bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) fail();
  }
  void flush() {
    if (std::fflush(file_) != 0 || std::ferror(file_)) fail();
  }
  void sync() {
    flush();
    // stdout may be a pipe or terminal, where fsync means nothing (EINVAL).
    if (::fsync(::fileno(file_)) != 0 && errno != EINVAL && errno != EROFS) fail();
  }

private:
  [[noreturn]] void fail() { throw std::runtime_error(path_ + ": write failed: " + std::strerror(errno)); }
  std::string path_;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
};

// Records are formatted straight into one buffer that goes to the file in large writes:
// one fwrite per record cost more than formatting the record (stdio locks per call).
// What is still buffered when the writer is destroyed without flush() was never
// acknowledged, so the ventilator runs those tasks again: nothing is lost by dropping it.
class JsonlWriter final : public RecordWriter {
public:
  static constexpr std::size_t kBuffer = 1 << 20;
  JsonlWriter(const std::string& path, bool append) : out_(path, append) { buffer_.reserve(kBuffer + 4096); }
  void write(const core::TaskResult& result, std::string_view worker) override {
    append_record(buffer_, result, worker);
    buffer_.push_back('\n');
    if (buffer_.size() >= kBuffer) drain();
  }
  void flush() override {
    drain();
    out_.flush();
  }
  void sync() override {
    drain();
    out_.sync();
  }

private:
  void drain() {
    out_.write(buffer_);
    buffer_.clear();
  }
  OutputFile out_;
  std::string buffer_;
};

// GNU parallel's grouped output: a task's stdout (and stderr) printed whole, never interleaved.
class TextWriter final : public RecordWriter {
public:
  TextWriter(const std::string& path, bool append) : out_(path, append) {}
  void write(const core::TaskResult& result, std::string_view) override {
    out_.write(result.output);
    if (!result.error.empty()) {
      std::fwrite(result.error.data(), 1, result.error.size(), stderr);
    }
  }
  void flush() override { out_.flush(); }
  void sync() override { out_.sync(); }

private:
  OutputFile out_;
};

}  // namespace

std::unique_ptr<RecordWriter> open_writer(Format format, const std::string& path, bool append) {
  if (format == Format::text) return std::make_unique<TextWriter>(path, append);
  return std::make_unique<JsonlWriter>(path, append);
}

}  // namespace zpipe::sink
