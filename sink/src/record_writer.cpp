#include "record_writer.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "zpipe/sink/line_tagger.hpp"
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
  void write(const core::TaskResult& result, std::string_view worker, const RecordExtras& extras) override {
    // A spilled output is copied into the record a piece at a time, the buffer passed on as
    // it fills: the record is one line, but never all in memory.
    append_record(buffer_, result, worker, extras.spilled, [this] {
      if (buffer_.size() >= kBuffer) drain();
    });
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

// An input as a failure line shows it: one line, at most 80 bytes, control bytes escaped.
std::string shown_input(std::string_view input) {
  std::string shown;
  for (const char c : input.substr(0, 80)) {
    if (c == '\n') shown += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) shown += '?';
    else shown += c;
  }
  if (input.size() > 80) shown += "...";
  return shown;
}

// One stream of a task as text: its bytes in the result, then what was spilled, tagged when
// --tag, ended with a newline when it was cut (the next output starts on its own line).
void write_stream(std::string_view memory, const core::SpillFile* spilled, LineTagger* tagger, bool cut,
                  const std::function<void(std::string_view)>& out) {
  std::string tagged;
  char last = '\n';
  const auto piece = [&](std::string_view bytes) {
    if (bytes.empty()) return;
    last = bytes.back();
    if (tagger == nullptr) return out(bytes);
    tagged.clear();
    tagger->apply(bytes, tagged);
    out(tagged);
  };
  piece(memory);
  if (spilled != nullptr && spilled->is_open()) spilled->read(piece);
  if (cut && last != '\n') out("\n");
}

void to_stderr(std::string_view bytes) { std::fwrite(bytes.data(), 1, bytes.size(), stderr); }

// What a failed or timed-out task gets on stderr: one line naming it (id, input, how it
// ended, the first line of its stderr), then the rest of its stderr as it was.
void report_failure(const core::TaskResult& r, const RecordExtras& extras, LineTagger* tagger) {
  const std::string_view error = r.error;
  const std::size_t newline = error.find('\n');
  const std::string_view first = error.substr(0, newline);
  std::string how = r.status == core::TaskStatus::timeout ? "timed out"
                    : r.exit_code                         ? "failed with exit code " + std::to_string(*r.exit_code)
                                                          : std::string("failed");
  // On a terminal a progress line may be there (zpipe run --bar): the line replaces it.
  if (::isatty(STDERR_FILENO)) std::fputs("\r\x1b[K", stderr);
  std::fprintf(stderr, "zpipe: task %llu %s (input '%s')%s%.*s\n", static_cast<unsigned long long>(r.id),
               how.c_str(), shown_input(r.input).c_str(), first.empty() ? "" : ": ", static_cast<int>(first.size()),
               first.data());
  const std::string_view rest = newline == std::string_view::npos ? std::string_view() : error.substr(newline + 1);
  const core::SpillFile* spilled = extras.spilled != nullptr ? &extras.spilled->err : nullptr;
  // Ends with a newline even when not cut: the failure line above is zpipe's own.
  write_stream(rest, spilled, tagger, true, to_stderr);
}

// GNU parallel's grouped output: a task's stdout (and stderr) printed whole, never
// interleaved; a task that failed is named on stderr.
class TextWriter final : public RecordWriter {
public:
  TextWriter(const std::string& path, bool append, bool tag) : out_(path, append), tag_(tag) {}
  void write(const core::TaskResult& result, std::string_view, const RecordExtras& extras) override {
    const core::SpilledStreams* spilled = extras.spilled;
    std::optional<LineTagger> out_tagger, err_tagger;
    if (tag_) out_tagger.emplace(result.input), err_tagger.emplace(result.input);
    if (!extras.saved)
      write_stream(result.output, spilled != nullptr ? &spilled->out : nullptr, out_tagger ? &*out_tagger : nullptr,
                   extras.output_cut, [this](std::string_view bytes) { out_.write(bytes); });
    if (result.status != core::TaskStatus::ok) return report_failure(result, extras, err_tagger ? &*err_tagger : nullptr);
    if (!extras.saved)
      write_stream(result.error, spilled != nullptr ? &spilled->err : nullptr, err_tagger ? &*err_tagger : nullptr,
                   extras.stderr_cut, to_stderr);
  }
  void flush() override { out_.flush(); }
  void sync() override { out_.sync(); }

private:
  OutputFile out_;
  bool tag_;
};

}  // namespace

std::unique_ptr<RecordWriter> open_writer(Format format, const std::string& path, bool append, bool tag) {
  if (format == Format::text) return std::make_unique<TextWriter>(path, append, tag);
  return std::make_unique<JsonlWriter>(path, append);
}

RecordExtras record_extras(const core::TaskResult& r, const core::SpilledStreams* spilled, std::uint64_t max_output,
                           bool saved) {
  RecordExtras extras{spilled, false, false, saved};
  if (!r.truncated) return extras;
  const auto captured = [&](const std::string& memory, const core::SpillFile core::SpilledStreams::*file) {
    return memory.size() + (spilled != nullptr ? (spilled->*file).size() : 0);
  };
  extras.stderr_cut = captured(r.error, &core::SpilledStreams::err) >= max_output;
  extras.output_cut = captured(r.output, &core::SpilledStreams::out) >= max_output || !extras.stderr_cut;
  return extras;
}

}  // namespace zpipe::sink
