// Placeholder expansion and shell quoting (GNU parallel semantics).

#include "zpipe/worker/placeholders.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace zpipe::worker {
namespace {

using Words = std::vector<std::string>;

TEST(ShellQuoteIfNeeded, LeavesPlainWordsAndNumbersAlone) {
  EXPECT_EQ(shell_quote_if_needed("7"), "7");
  EXPECT_EQ(shell_quote_if_needed("-12"), "-12");
  EXPECT_EQ(shell_quote_if_needed("dir/file_1.tar.gz"), "dir/file_1.tar.gz");
  EXPECT_EQ(shell_quote_if_needed("user@host:/a,b=c+d%"), "user@host:/a,b=c+d%");
}

TEST(ShellQuoteIfNeeded, QuotesSpecialCharacters) {
  EXPECT_EQ(shell_quote_if_needed("a b"), "'a b'");
  EXPECT_EQ(shell_quote_if_needed("$HOME"), "'$HOME'");
  EXPECT_EQ(shell_quote_if_needed("a;rm -rf x"), "'a;rm -rf x'");
  EXPECT_EQ(shell_quote_if_needed("*"), "'*'");
  EXPECT_EQ(shell_quote_if_needed("\"x\""), "'\"x\"'");
  EXPECT_EQ(shell_quote_if_needed("tab\there"), "'tab\there'");
  EXPECT_EQ(shell_quote_if_needed("caf\xc3\xa9"), "'caf\xc3\xa9'");
}

TEST(ShellQuoteIfNeeded, EscapesSingleQuotes) {
  EXPECT_EQ(shell_quote_if_needed("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote_if_needed("'"), "''\\'''");
}

TEST(ShellQuoteIfNeeded, QuotesEmptyString) { EXPECT_EQ(shell_quote_if_needed(""), "''"); }

TEST(ExpandShell, InputPlaceholder) {
  EXPECT_EQ(expand_shell("echo {}", "hello", 1), "echo hello");
  EXPECT_EQ(expand_shell("cp {} {}.bak", "a.txt", 1), "cp a.txt a.txt.bak");
}

TEST(ExpandShell, ArithmeticWithNumbersStaysUnquoted) {
  EXPECT_EQ(expand_shell("echo $(( {} * {} ))", "7", 3), "echo $(( 7 * 7 ))");
}

TEST(ExpandShell, TaskIdPlaceholder) {
  EXPECT_EQ(expand_shell("echo {#}:{}", "x", 42), "echo 42:x");
}

TEST(ExpandShell, PathPlaceholders) {
  const std::string input = "dir/sub/file.tar.gz";
  EXPECT_EQ(expand_shell("{.}", input, 1), "dir/sub/file.tar");
  EXPECT_EQ(expand_shell("{/}", input, 1), "file.tar.gz");
  EXPECT_EQ(expand_shell("{//}", input, 1), "dir/sub");
  EXPECT_EQ(expand_shell("{/.}", input, 1), "file.tar");
}

TEST(ExpandShell, ExtensionOnlyOfLastComponent) {
  EXPECT_EQ(expand_shell("{.}", "a/b.c.txt", 1), "a/b.c");
  EXPECT_EQ(expand_shell("{.}", "a.d/b", 1), "a.d/b");
  EXPECT_EQ(expand_shell("{.}", "plain", 1), "plain");
  EXPECT_EQ(expand_shell("{/.}", "a.d/b", 1), "b");
  EXPECT_EQ(expand_shell("{/.}", "x.y", 1), "x");
}

TEST(ExpandShell, BasenameAndDirnameEdgeCases) {
  EXPECT_EQ(expand_shell("{/}", "c", 1), "c");
  EXPECT_EQ(expand_shell("{//}", "a/b/c", 1), "a/b");
  EXPECT_EQ(expand_shell("{//}", "c", 1), ".");
  EXPECT_EQ(expand_shell("{//}", "/c", 1), "/");
  EXPECT_EQ(expand_shell("{//}", "/a/b", 1), "/a");
  EXPECT_EQ(expand_shell("{//}", "a/b/", 1), "a");
  EXPECT_EQ(expand_shell("{//}", "a//b", 1), "a");
}

TEST(ExpandShell, SubstitutedValuesAreQuoted) {
  EXPECT_EQ(expand_shell("cat {}", "my file.txt", 1), "cat 'my file.txt'");
  EXPECT_EQ(expand_shell("echo {}", "$(reboot)", 1), "echo '$(reboot)'");
  EXPECT_EQ(expand_shell("echo {}", "it's", 1), "echo 'it'\\''s'");
  EXPECT_EQ(expand_shell("echo {}", "", 1), "echo ''");
  EXPECT_EQ(expand_shell("echo {/}", "my dir/my file", 1), "echo 'my file'");
  EXPECT_EQ(expand_shell("echo {//}", "my dir/f", 1), "echo 'my dir'");
}

TEST(ExpandShell, UnknownBracesLeftAsIs) {
  EXPECT_EQ(expand_shell("echo {x} {} {", "v", 1), "echo {x} v {");
  EXPECT_EQ(expand_shell("awk '{print $1}' {}", "f", 1), "awk '{print $1}' f");
}

TEST(ExpandShell, AppendsQuotedInputWithoutPlaceholder) {
  EXPECT_EQ(expand_shell("echo", "a b", 1), "echo 'a b'");
  EXPECT_EQ(expand_shell("gzip -9", "file", 1), "gzip -9 file");
  EXPECT_EQ(expand_shell("echo {x}", "", 1), "echo {x} ''");
}

TEST(ExpandShell, IdPlaceholderAloneSuppressesAppend) {
  EXPECT_EQ(expand_shell("echo {#}", "ignored", 9), "echo 9");
}

TEST(ExpandArgv, SubstitutesPerWordWithoutQuoting) {
  EXPECT_EQ(expand_argv({"convert", "{}", "{.}.png"}, "my pic.jpg", 1),
            (Words{"convert", "my pic.jpg", "my pic.png"}));
  EXPECT_EQ(expand_argv({"echo", "{#}-{/}", "{//}", "{/.}"}, "a/b.c", 5),
            (Words{"echo", "5-b.c", "a", "b"}));
  EXPECT_EQ(expand_argv({"echo", "$x 'q'"}, "it's", 1), (Words{"echo", "$x 'q'", "it's"}));
}

TEST(ExpandArgv, AppendsInputAsOneWordWithoutPlaceholder) {
  EXPECT_EQ(expand_argv({"wc", "-l"}, "a file", 1), (Words{"wc", "-l", "a file"}));
  EXPECT_EQ(expand_argv({"echo", "{x}"}, "", 1), (Words{"echo", "{x}", ""}));
}

TEST(ExpandArgv, PlaceholderInAnyWordSuppressesAppend) {
  EXPECT_EQ(expand_argv({"echo", "x", "--id={#}"}, "in", 2), (Words{"echo", "x", "--id=2"}));
}

// --- argument lists (zpipe run with several inputs, -n, --colsep), positional and {%} ---

TaskArgs task_of(const Words& args, std::uint64_t id = 1, unsigned slot = 1) { return TaskArgs{args, id, slot, false}; }

TEST(ExpandPositional, NumbersFromOneAndFromTheEnd) {
  const Words args{"a", "b c", "d"};
  EXPECT_EQ(expand_shell("echo {1} {2} {3} {-1} {-3}", task_of(args)), "echo a 'b c' d d a");
}

TEST(ExpandPositional, TakesThePathModifiersOfTheirArgument) {
  const Words args{"x/y.tar.gz", "dir/sub/f.c", "plain"};
  EXPECT_EQ(expand_shell("{1.} {2/} {2//} {2/.} {-1.} {3/}", task_of(args)), "x/y.tar f.c dir/sub f plain plain");
}

TEST(ExpandPositional, BeyondTheArgumentsIsEmpty) {
  // As in parallel: `parallel echo '[{2}]' ::: a` prints [].
  EXPECT_EQ(expand_shell("echo [{2}] [{-2}]", task_of({"a"})), "echo [''] ['']");
  EXPECT_EQ(expand_argv({"echo", "[{2}]"}, task_of({"a"})), (Words{"echo", "[]"}));
}

TEST(ExpandPositional, OneInputIsArgumentOne) {
  EXPECT_EQ(expand_shell("echo {1} {-1} {1/}", "d/it's", 1), "echo 'd/it'\\''s' 'd/it'\\''s' 'it'\\''s'");
}

TEST(ExpandPositional, ZeroAndMalformedStayAsWritten) {
  EXPECT_EQ(expand_shell("echo {0} {-} {1x} {-0} {1", task_of({"a"})), "echo {0} {-} {1x} {-0} {1 a");
}

TEST(ExpandArgumentList, BracesAreEveryArgumentEachQuotedJoinedBySpaces) {
  const Words args{"a b", "it's", "c"};
  EXPECT_EQ(expand_shell("echo [{}]", task_of(args)), "echo ['a b' 'it'\\''s' c]");
  EXPECT_EQ(expand_shell("x{/}y", task_of({"d/e.f", "g/h"})), "xe.f hy");
  EXPECT_EQ(expand_argv({"echo", "[{}]"}, task_of(args)), (Words{"echo", "[a b it's c]"}));
}

TEST(ExpandArgumentList, WithoutPlaceholderEveryArgumentIsAppended) {
  const Words args{"a b", "", "$x"};
  EXPECT_EQ(expand_shell("echo", task_of(args)), "echo 'a b' '' '$x'");
  EXPECT_EQ(expand_argv({"printf", "%s|"}, task_of(args)), (Words{"printf", "%s|", "a b", "", "$x"}));
}

TEST(ExpandSlot, IsTheSlotNumber) {
  EXPECT_EQ(expand_shell("echo {%} {#}", task_of({"a"}, 12, 3)), "echo 3 12");
  EXPECT_EQ(expand_argv({"echo", "{%}"}, task_of({"a"}, 1, 2)), (Words{"echo", "2"}));
}

// --- -X and -N: GNU parallel's context replace ------------------------------------------

TaskArgs repeating(const Words& args, std::uint64_t id = 1) { return TaskArgs{args, id, 1, true}; }

TEST(ExpandContextReplace, AWordHoldingBracesIsRepeatedPerArgument) {
  // parallel -X echo 'x{}y z{}w' ::: a b  ->  echo xay xby zaw zbw
  EXPECT_EQ(expand_shell("echo x{}y z{}w", repeating({"a", "b"})), "echo xay xby zaw zbw");
  EXPECT_EQ(expand_shell("echo x{}y", repeating({"a b", "c'd"})), "echo x'a b'y x'c'\\''d'y");
  EXPECT_EQ(expand_shell("echo {.}.{}", repeating({"d/a.1", "b"})), "echo d/a.d/a.1 b.b");
}

TEST(ExpandContextReplace, OtherWordsAndPositionalsAreNotRepeated) {
  // {1} is argument 1 of the whole list, in a repeated word too; {#} is the task's.
  EXPECT_EQ(expand_shell("echo {1} {#} x{1}y{}", repeating({"a", "b"}, 7)), "echo a 7 xaya xayb");
  EXPECT_EQ(expand_shell("echo\t-n  x{}", repeating({"a", "b"})), "echo\t-n  xa xb") << "white space kept";
  EXPECT_EQ(expand_shell("echo", repeating({"a", "b"})), "echo a b") << "appended as without -X";
}

TEST(ExpandContextReplace, AnArgvWordBecomesOneWordPerArgument) {
  EXPECT_EQ(expand_argv({"echo", "-x{}", "{1}"}, repeating({"a b", "c"})), (Words{"echo", "-xa b", "-xc", "a b"}));
}

TEST(LineShape, CountsTheCopiesOfAnArgumentAndWhatEachAdds) {
  const LineShape appended = line_shape("echo", false);
  EXPECT_EQ(appended.copies, 1u);
  EXPECT_EQ(appended.per_arg, 1u) << "a space";
  const LineShape twice = line_shape("echo {} {2}", false);
  EXPECT_EQ(twice.copies, 2u);
  const LineShape context = line_shape("echo x{}y", true);
  EXPECT_EQ(context.per_arg, 4u + 1u + 1u) << "the word again (4 bytes) and its space, and a space per copy";
  EXPECT_GE(line_shape("echo {#}", false).fixed, 20u) << "a task id's digits";
}

}  // namespace
}  // namespace zpipe::worker
