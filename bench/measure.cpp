// Runs a command and reports its wall time and peak resident set size (wait4's ru_maxrss)
// as one JSON line, because /usr/bin/time is not installed everywhere.
//
//   measure [-o FILE] [--] COMMAND [ARGS...]
//   {"wall_seconds":1.234567,"max_rss_kb":10240,"exit_code":0}
//
// The JSON goes to FILE (or stdout); the command's own stdin/stdout/stderr are untouched.
// measure exits with the command's exit code (128 + signal if it was killed).
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

extern char** environ;

namespace {
constexpr const char* kUsage = "measure [-o FILE] [--] COMMAND [ARGS...]";
}

int main(int argc, char** argv) {
  std::string output;
  int first = 1;
  while (first < argc) {
    const std::string arg = argv[first];
    if (arg == "-o" && first + 1 < argc) {
      output = argv[first + 1];
      first += 2;
    } else if (arg == "--") {
      ++first;
      break;
    } else {
      break;
    }
  }
  if (first >= argc) {
    std::fprintf(stderr, "measure: no command given\nusage: %s\n", kUsage);
    return 2;
  }

  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, argv[first], nullptr, nullptr, argv + first, environ);
  if (rc != 0) {
    std::fprintf(stderr, "measure: cannot run %s: %s\n", argv[first], std::strerror(rc));
    return 127;
  }
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::fprintf(stderr, "measure: wait4: %s\n", std::strerror(errno));
      return 3;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

  std::FILE* out = output.empty() ? stdout : std::fopen(output.c_str(), "w");
  if (out == nullptr) {
    std::fprintf(stderr, "measure: cannot write %s: %s\n", output.c_str(), std::strerror(errno));
    return 3;
  }
  std::fprintf(out, "{\"wall_seconds\":%.6f,\"max_rss_kb\":%ld,\"exit_code\":%d}\n", seconds, usage.ru_maxrss,
               exit_code);
  if (out != stdout) std::fclose(out);
  return exit_code;
}
