// What a program exec'd in place of `/bin/sh -c` must see to match: the same shell rules
// (dash's), the same PATH search, the same environment.
//
// dash, started by `sh -c`, changes its environment before it execs the command (checked
// with `env -i VARS sh -c env`): it drops entries whose name is not a shell name, keeps
// one of a duplicated name, resets IFS and OPTIND, sets PPID to its own parent, and sets
// PWD to the current directory when PWD is missing, relative or names another directory.
// It also lists the variables in its own order, which no program should depend on
// (docs/tasks.md). The last is reproduced here, the others make us use the shell.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "zpipe/worker/direct_exec.hpp"

namespace zpipe::worker {
namespace {

bool sh_is_dash() {
  std::error_code error;
  const std::filesystem::path shell = std::filesystem::canonical("/bin/sh", error);
  return !error && shell.filename() == "dash";
}

bool is_shell_name(std::string_view name) {
  auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (name.empty() || !is_alpha(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return is_alpha(c) || (c >= '0' && c <= '9'); });
}

// Every variable but PWD reaches the program as it is here.
bool dash_keeps_variables() {
  std::set<std::string_view> names;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::size_t equals = text.find('=');
    if (equals == std::string_view::npos) return false;
    const std::string_view name = text.substr(0, equals);
    if (!is_shell_name(name) || name == "IFS" || name == "OPTIND" || name == "PPID") return false;
    if (!names.insert(name).second) return false;
  }
  return true;
}

// dash keeps PWD when it is absolute and names the current directory (a path through a
// symlink does).
bool pwd_names_current_directory() {
  const char* pwd = std::getenv("PWD");
  if (pwd == nullptr || pwd[0] != '/') return false;
  struct stat named {};
  struct stat current {};
  return ::stat(pwd, &named) == 0 && ::stat(".", &current) == 0 && named.st_dev == current.st_dev &&
         named.st_ino == current.st_ino;
}

struct ShellEnvironment {
  bool usable = false;
  std::vector<std::string> entries;  // empty: environ as it is
  std::vector<char*> pointers;       // into entries, null-terminated
};

ShellEnvironment shell_environment() {
  ShellEnvironment shell;
  if (!sh_is_dash() || std::getenv("PATH") == nullptr || !dash_keeps_variables()) return shell;
  shell.usable = true;
  if (pwd_names_current_directory()) return shell;
  std::error_code error;
  const std::filesystem::path current = std::filesystem::current_path(error);
  if (error) {
    shell.usable = false;
    return shell;
  }
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!std::string_view(*entry).starts_with("PWD=")) shell.entries.emplace_back(*entry);
  }
  shell.entries.push_back("PWD=" + current.string());
  for (std::string& entry : shell.entries) shell.pointers.push_back(entry.data());
  shell.pointers.push_back(nullptr);
  return shell;
}

}  // namespace

std::optional<char* const*> direct_exec_environment() {
  static const ShellEnvironment shell = shell_environment();
  if (!shell.usable) return std::nullopt;
  return shell.pointers.empty() ? environ : shell.pointers.data();
}

}  // namespace zpipe::worker
