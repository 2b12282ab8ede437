#include "task_files.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <utility>

namespace zpipe::sink {
namespace {

[[noreturn]] void fail(const std::string& path, const char* what) {
  throw std::runtime_error(path + ": " + what + ": " + std::strerror(errno));
}

// Owns a FILE* opened for writing.
class File {
public:
  File(const std::string& path, const char* mode) : path_(path), file_(std::fopen(path.c_str(), mode)) {
    if (file_ == nullptr) fail(path_, "cannot open for writing");
  }
  ~File() {
    if (file_ != nullptr) std::fclose(file_);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  void write(std::string_view bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) fail(path_, "write failed");
  }
  void close() {
    const int rc = std::fclose(std::exchange(file_, nullptr));
    if (rc != 0) fail(path_, "write failed");
  }

private:
  std::string path_;
  std::FILE* file_;
};

// parallel's escaping of an argument made a directory name.
std::string directory_name(std::string_view arg) {
  std::string name;
  for (const char c : arg) {
    if (c == '\\') name += "\\\\";
    else if (c == '/') name += "\\_";
    else name += c;
  }
  return name;
}

void write_file(const std::filesystem::path& path, std::string_view memory, const core::SpillFile& spilled) {
  File file(path.string(), "w");
  file.write(memory);
  if (spilled.is_open()) spilled.read([&](std::string_view bytes) { file.write(bytes); });
  file.close();
}

}  // namespace

JobLog::JobLog(const std::string& path, bool append, CommandLine command_line)
    : path_(path), file_(std::fopen(path.c_str(), append ? "a" : "w")), command_line_(std::move(command_line)) {
  if (file_ == nullptr) fail(path_, "cannot open for writing");
  if (std::ftell(file_) == 0)
    std::fputs("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n", file_);
}

JobLog::~JobLog() { std::fclose(file_); }

void JobLog::record(const core::TaskResult& r, const core::SpilledStreams* spilled,
                    std::chrono::system_clock::time_point finished) {
  const double runtime = static_cast<double>(r.duration_us) / 1e6;
  const double start = std::chrono::duration<double>(finished.time_since_epoch()).count() - runtime;
  const std::uint64_t received = r.output.size() + (spilled != nullptr ? spilled->out.size() : 0);
  // A timed-out task was killed by zpipe (SIGKILL): parallel writes -1 and the signal.
  const bool timed_out = r.status == core::TaskStatus::timeout;
  const int exit_value = timed_out || !r.exit_code ? -1 : *r.exit_code;
  const int signal = timed_out ? 9 : 0;
  std::fprintf(file_, "%llu\t:\t%.3f\t%10.3f\t0\t%llu\t%d\t%d\t%s\n", static_cast<unsigned long long>(r.id), start,
               runtime, static_cast<unsigned long long>(received), exit_value, signal, command_line_(r).c_str());
  if (std::ferror(file_)) fail(path_, "write failed");
}

void JobLog::flush() {
  if (std::fflush(file_) != 0) fail(path_, "write failed");
}

void write_results(const std::string& dir, const core::TaskResult& r, const core::SpilledStreams* spilled) {
  const std::span<const std::string> args = r.args.empty() ? std::span(&r.input, 1) : std::span(r.args);
  std::filesystem::path path = dir;
  for (std::size_t i = 0; i < args.size(); ++i) path = path / std::to_string(i + 1) / directory_name(args[i]);
  std::filesystem::create_directories(path);
  const core::SpilledStreams none;
  const core::SpilledStreams& files = spilled != nullptr ? *spilled : none;
  {
    File seq((path / "seq").string(), "w");
    seq.write(std::to_string(r.id));
    seq.close();
  }
  write_file(path / "stdout", r.output, files.out);
  write_file(path / "stderr", r.error, files.err);
}

}  // namespace zpipe::sink
