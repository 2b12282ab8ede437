// A shell task exec'd directly gives the record `/bin/sh -c` gives (docs/tasks.md, "Shell or
// direct exec"): each case runs once with use_shell auto and once with always, and every
// field of the two results must match.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "zpipe/worker/direct_exec.hpp"
#include "zpipe/worker/task_runner.hpp"

#include "doc_support.hpp"
#include "test_support.hpp"

namespace zpipe::worker {
namespace {

using namespace std::chrono_literals;
using config::TaskKind;
using config::TaskSpec;
using config::UseShell;

TaskSpec shell_task(std::string command, UseShell use_shell) {
  TaskSpec spec;
  spec.kind = TaskKind::shell;
  spec.shell = std::move(command);
  spec.use_shell = use_shell;
  return spec;
}

void write_script(const std::filesystem::path& file, const std::string& text, mode_t mode = 0755) {
  test::write_file(file, text);
  ::chmod(file.c_str(), mode);
}

// Programs with awkward habits, in a folder whose path needs no quoting.
class ShellOrDirect : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(direct_exec_environment().has_value()) << "this machine's /bin/sh is not dash: nothing to compare";
    write_script(dir / "args", "#!/bin/sh\nfor a do printf '[%s]' \"$a\"; done\nprintf '|%s\\n' \"$0\"\ncat\n"
                               "printf 'err:%s\\n' \"$#\" >&2\n");
    write_script(dir / "exit3", "#!/bin/sh\nexit 3\n");
    write_script(dir / "selfkill", "#!/bin/sh\nulimit -c 0\necho before >&2\nkill -$1 $$\n");
    write_script(dir / "noshebang", "printf 'no #! line: %s\\n' \"$1\"\n");
    write_script(dir / "notexec", "#!/bin/sh\necho never\n", 0644);
    write_script(dir / "loud", "#!/bin/sh\nhead -c 100000 /dev/zero\nhead -c 5000 /dev/zero >&2\n");
    write_script(dir / "spawner", "#!/bin/sh\nsleep 30 &\nsleep 30\n");
  }

  // Runs `command` both ways on `input`; every record field but the duration must match.
  void expect_same(const std::string& command, const std::string& input, TaskSpec base = {}) {
    TaskSpec direct = base;
    direct.kind = TaskKind::shell;
    direct.shell = command;
    direct.use_shell = UseShell::automatic;
    TaskSpec shell = direct;
    shell.use_shell = UseShell::always;
    const core::TaskResult a = run_task(direct, 7, input, 0);
    const core::TaskResult b = run_task(shell, 7, input, 0);
    const std::string where = "command '" + command + "' on input '" + input + "'";
    EXPECT_EQ(a.status, b.status) << where;
    EXPECT_EQ(a.exit_code, b.exit_code) << where;
    EXPECT_EQ(a.output, b.output) << where;
    EXPECT_EQ(a.error, b.error) << where;
    EXPECT_EQ(a.truncated, b.truncated) << where;
    EXPECT_EQ(a.attempts, b.attempts) << where;
  }

  std::string at(const std::string& name) const { return (dir / name).string(); }

  test::TempDir dir;
};

const std::vector<std::string> kAwkwardInputs = {
    "plain", "a b", "  two  spaces ", "tab\there", "it's", "\"dq\"", "$HOME", "${X:-y}", "$(echo no)", "`echo no`",
    "*", "?", "[ab]", "~", "~/x", "", "line1\nline2", "\n", "héllo wörld ✓", "-n", "--help", "a\\b", "{}", "%s",
    "A=1", "if", "x;y", "a|b", "a&&b", "#c", "!x", "d/f.ext", ".hidden", "/",
};

TEST_F(ShellOrDirect, ArgumentsMatchOnAwkwardInputs) {
  for (const std::string& input : kAwkwardInputs) {
    expect_same(at("args") + " {}", input);
    expect_same(at("args") + " x{}y {.} {/} {//} {/.} {#} {}", input);
    expect_same(at("args") + "\t-a  ", input);  // no placeholder: the input is appended
  }
}

TEST_F(ShellOrDirect, AProgramNamedByTheInputMatches) {
  for (const std::string& input : kAwkwardInputs) expect_same("{} x", input);
  expect_same("{} x", at("args"));
  expect_same("{}", "ls");
}

TEST_F(ShellOrDirect, FailuresToStartMatchTheShellsWords) {
  expect_same("zpipe-no-such-program-x7 {}", "a");         // 127, "/bin/sh: 1: ...: not found"
  expect_same(at("notexec") + " {}", "a");                   // 126, Permission denied
  expect_same(dir.path().string() + " {}", "a");            // a directory
  expect_same(at("nothing-here") + " {}", "a");              // a path that does not exist
  expect_same(at("args") + "/x {}", "a");                    // ENOTDIR
  expect_same(at("noshebang") + " {}", "it's");              // ENOEXEC: the shell runs it as a script
}

TEST_F(ShellOrDirect, ExitCodesSignalsAndStdinMatch) {
  expect_same(at("exit3"), "a");
  for (const char* signal : {"KILL", "TERM", "INT", "PIPE", "USR1", "SEGV", "HUP", "40"}) {
    expect_same(at("selfkill"), signal);  // dash: 128 + S, and a line unless INT or PIPE
  }
  TaskSpec tight;
  tight.max_output = 9;  // "before\n" and part of dash's line
  expect_same(at("selfkill"), "TERM", tight);
  expect_same("cat", "");  // stdin is /dev/null both ways: cat gets "" as a file name, fails the same
  expect_same("cat /dev/stdin", "");
}

TEST_F(ShellOrDirect, CaptureLimitsMatch) {
  TaskSpec limited;
  limited.max_output = 1000;
  expect_same(at("loud"), "a", limited);
  limited.max_output = 0;
  expect_same(at("loud"), "a", limited);
  expect_same(at("args") + " {}", "a", limited);
}

TEST_F(ShellOrDirect, TimeoutKillsTheWholeGroupBothWays) {
  TaskSpec timed;
  timed.timeout = 300ms;
  const auto started = std::chrono::steady_clock::now();
  expect_same(at("spawner"), "a", timed);  // a background grandchild holds the pipes
  expect_same("sleep 30", "", timed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

// The environment reaches the program as the shell would pass it. A direct exec is also
// visible: the variables keep this process's order, where dash lists them in its own.
TEST_F(ShellOrDirect, EnvironmentMatchesAndShowsNoShellInBetween) {
  const std::string command = "/usr/bin/env -u {}";
  const std::string input = "ZPIPE_NO_SUCH_VARIABLE_X9";
  const core::TaskResult direct = run_task(shell_task(command, UseShell::automatic), 1, input, 0);
  const core::TaskResult shell = run_task(shell_task(command, UseShell::always), 1, input, 0);
  ASSERT_EQ(direct.exit_code, 0) << direct.error;
  ASSERT_EQ(shell.exit_code, 0) << shell.error;
  std::vector<std::string> direct_lines = test::lines_of(direct.output);
  std::vector<std::string> shell_lines = test::lines_of(shell.output);
  ASSERT_GT(direct_lines.size(), 3u);
  EXPECT_NE(direct_lines, shell_lines) << "dash lists the variables in its own order: no direct exec happened";
  std::sort(direct_lines.begin(), direct_lines.end());
  std::sort(shell_lines.begin(), shell_lines.end());
  EXPECT_EQ(direct_lines, shell_lines);
}

}  // namespace
}  // namespace zpipe::worker
