#pragma once
// Shared by the tests: temporary folders, JSON Lines reading, and real child processes
// of the zpipe binary with their exit codes and output captured.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zpipe::test {

// A fresh folder under /tmp, removed with everything in it at scope exit.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& file, const std::string& text);
std::string read_file(const std::filesystem::path& file);
std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& file);

// A TCP port on 127.0.0.1 that was free a moment ago, below the ephemeral range and never
// handed out twice in this process (for tests of separate processes,
// which must know their endpoints before any of them starts).
int free_port();

// A running child process; killed (SIGKILL) and reaped at scope exit if still running.
class Child {
public:
  // argv[0] is the program; stdin from `stdin_file` (or /dev/null), stdout/stderr to files.
  Child(std::vector<std::string> argv, const std::filesystem::path& out, const std::filesystem::path& err,
        const std::filesystem::path& stdin_file = {});
  ~Child();
  Child(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // Waits up to `limit`; returns the exit code, 128+signal if killed, or -1 on timeout.
  int wait(std::chrono::milliseconds limit);
  void signal(int sig);
  // Peak resident set size in KiB, valid after wait() returned.
  long max_rss_kib() const { return max_rss_kib_; }

private:
  pid_t pid_ = -1;
  long max_rss_kib_ = 0;
};

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
  long max_rss_kib = 0;
};

// Runs the zpipe binary with `args` (stdin from `stdin_text`; the captured files live in
// `dir`), waits up to `limit`. Paths in `args` should be absolute.
Outcome run_zpipe(const std::vector<std::string>& args, const TempDir& dir, const std::string& stdin_text = {},
                  std::chrono::milliseconds limit = std::chrono::seconds(60));

std::string zpipe_binary();

// "from\n...to\n", as seq(1) prints it: inputs for a batch.
std::string seq(int from, int to);

// The program `name` found on PATH; empty when it is not installed.
std::filesystem::path find_program(const std::string& name);

}  // namespace zpipe::test

// --- Helpers for the reliability and hostile-input tests (tests/test_reliability.cpp,
// tests/test_hostile.cpp). ---
#include <functional>

namespace zpipe::test {

// Polls `condition` every `every` until it holds (true) or `limit` passes (false).
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit,
                std::chrono::milliseconds every = std::chrono::milliseconds(10));

// Complete lines ('\n'-terminated) in a file; 0 if it does not exist.
std::size_t count_lines(const std::filesystem::path& file);

// Starts the zpipe binary with `args`; stdout/stderr go to dir/TAG.out and dir/TAG.err.
Child start_zpipe(const std::vector<std::string>& args, const TempDir& dir, const std::string& tag,
                  const std::filesystem::path& stdin_file = {});

// The port of "http: listening on 127.0.0.1:PORT" (a role's --http 127.0.0.1:0) in
// dir/TAG.err; 0 if not logged within 10 s.
int logged_http_port(const TempDir& dir, const std::string& tag);

// The records of a JSON Lines file that may end in a torn line (a crash mid-write): every
// complete line must parse; an incomplete last line is ignored.
std::vector<nlohmann::json> read_whole_records(const std::filesystem::path& file);

// --- Helpers for the signal and liveness tests (tests/test_role_signals.cpp,
// tests/test_liveness.cpp). ---

// How a signalled child ended: its exit code (-1: still running at the limit), and how long
// after the signal it was seen gone.
struct Ended {
  int code = -1;
  std::chrono::milliseconds after{0};
};
// Sends `sig` to `child` and waits up to `limit` for it to end, timed from the signal.
Ended signal_and_wait(Child& child, int sig, std::chrono::milliseconds limit);
// "exit 143 after 35 ms", or "still running 2000 ms after the signal".
std::string describe(const Ended& ended);

// The state letter of /proc/PID/stat (R, S, T stopped, Z zombie...); 0 if no such process.
char process_state(pid_t pid);
// Some process of process group `pgid` is alive (zombies do not count).
bool process_group_alive(pid_t pgid);

// Stops a child (SIGSTOP) for the guard's lifetime and resumes it (SIGCONT) at scope exit.
// Declare it after the Child: the child is then resumed before its destructor kills it.
class Frozen {
public:
  explicit Frozen(Child& child);
  ~Frozen();
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;
  // The child was seen stopped (state T) within 2 s of the SIGSTOP.
  bool stopped() const { return stopped_; }

private:
  Child& child_;
  bool stopped_ = false;
};

// Some socket listens on TCP port `port` (a role has bound it), as /proc/net/tcp says.
bool port_bound(int port);

// Lines of `text` (without their '\n') that contain every one of `needles`.
std::vector<std::string> lines_with(const std::string& text, const std::vector<std::string>& needles);

}  // namespace zpipe::test
