// shell_free_argv: which shell commands may skip the shell, and the argv they become.

#include "zpipe/worker/direct_exec.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace zpipe::worker {
namespace {

using Argv = std::vector<std::string>;

TEST(ShellFreeArgv, PlainWordsBecomeTheArgv) {
  EXPECT_EQ(shell_free_argv("./script.sh {}", "a b", 1), Argv({"./script.sh", "a b"}));
  EXPECT_EQ(shell_free_argv("  convert\t-v  {} {.}.png ", "x/y.jpg", 1),
            Argv({"convert", "-v", "x/y.jpg", "x/y.png"}));
  EXPECT_EQ(shell_free_argv("tool {/} {//} {/.} n{#}", "d/f.t", 42), Argv({"tool", "f.t", "d", "f", "n42"}));
  EXPECT_EQ(shell_free_argv("grep héllo", "fïle ✓", 1), Argv({"grep", "héllo", "fïle ✓"}));
}

TEST(ShellFreeArgv, AValueIsOneWordWhateverItHolds) {
  // The shell sees these values single-quoted: one word each, nothing expanded.
  EXPECT_EQ(shell_free_argv("prog {}", "", 1), Argv({"prog", ""}));
  EXPECT_EQ(shell_free_argv("prog x{}y", "", 1), Argv({"prog", "xy"}));
  EXPECT_EQ(shell_free_argv("prog {}", "$(rm -rf ~); 'q' *\n", 1), Argv({"prog", "$(rm -rf ~); 'q' *\n"}));
  EXPECT_EQ(shell_free_argv("prog {} {}", " a\tb ", 1), Argv({"prog", " a\tb ", " a\tb "}));
}

TEST(ShellFreeArgv, NoPlaceholderAppendsTheInputAsOneWord) {
  EXPECT_EQ(shell_free_argv("prog -x", "a b", 1), Argv({"prog", "-x", "a b"}));
  EXPECT_EQ(shell_free_argv("prog", "", 1), Argv({"prog", ""}));
}

TEST(ShellFreeArgv, ShellSyntaxInTheCommandNeedsTheShell) {
  for (const char c : std::string("|&;<>()$`\\\"'*?[]#~=%{}!^\n\r\v\f\x01\x7f")) {
    const std::string command = std::string("prog a") + c + "b";
    EXPECT_EQ(shell_free_argv(command, "in", 1), std::nullopt) << "byte " << int(c) << " in " << command;
  }
  EXPECT_EQ(shell_free_argv("prog {x}", "in", 1), std::nullopt);  // not a placeholder: literal braces
  EXPECT_EQ(shell_free_argv("VAR=1 prog", "in", 1), std::nullopt);
  EXPECT_EQ(shell_free_argv("", "in", 1), std::nullopt);
  EXPECT_EQ(shell_free_argv(" \t ", "in", 1), std::nullopt);
}

TEST(ShellFreeArgv, KeywordsAndBuiltinsNeedTheShell) {
  for (const char* command : {"cd /tmp", "export X", "if x", "for x", "while x", "case x", "exec prog", ". ./file",
                              "source file", "eval x", "set -e", "ulimit -n", "umask 022", "alias x", "echo hi",
                              "printf x", "test -f", "[ -f", "true", "false", "kill 1", "pwd", "read x", "wait",
                              "time prog", "!", "command prog", "type prog", "local x", "readonly x", "unset x"}) {
    EXPECT_EQ(shell_free_argv(command, "in", 1), std::nullopt) << command;
  }
  // A path is never a builtin: the shell execs it too.
  EXPECT_EQ(shell_free_argv("/bin/echo hi", "in", 1), Argv({"/bin/echo", "hi", "in"}));
}

TEST(ShellFreeArgv, AProgramNamedByTheInputIsCheckedToo) {
  EXPECT_EQ(shell_free_argv("{} x", "if", 1), std::nullopt);   // a keyword to the shell
  EXPECT_EQ(shell_free_argv("{} x", "echo", 1), std::nullopt);  // a builtin
  EXPECT_EQ(shell_free_argv("{} x", "A=1", 1), std::nullopt);   // an assignment (unquoted: all safe bytes)
  EXPECT_EQ(shell_free_argv("{} x", "", 1), std::nullopt);      // the shell's own error
  EXPECT_EQ(shell_free_argv("{}", "ls", 1), Argv({"ls"}));
}

}  // namespace
}  // namespace zpipe::worker
