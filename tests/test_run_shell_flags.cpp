// zpipe run --shell / --no-shell, and the default (a shell-free command exec'd directly),
// through the real binary.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "doc_support.hpp"
#include "test_support.hpp"

namespace zpipe {
namespace {

using test::run_zpipe;
using test::TempDir;

TEST(RunShellFlags, NoShellExecsTheWordsAsGiven) {
  TempDir dir;
  const auto o = run_zpipe({"-q", "run", "--no-shell", "--", "printf", "[%s]", "a b", "$HOME", "{}"}, dir, "x 'y'\n");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "[a b][$HOME][x 'y']");
}

TEST(RunShellFlags, NoShellReportsAMissingProgramInZpipesWords) {
  TempDir dir;
  const auto o = run_zpipe({"-q", "run", "--no-shell", "--output", (dir / "r.jsonl").string(), "--",
                            "zpipe-no-such-program-x5"},
                           dir, "1\n");
  EXPECT_EQ(o.code, 1);
  const auto records = test::read_jsonl(dir / "r.jsonl");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["exit_code"], 127);
  EXPECT_EQ(records[0]["stderr"], "zpipe: zpipe-no-such-program-x5: No such file or directory");
}

TEST(RunShellFlags, DefaultReportsAMissingProgramInTheShellsWords) {
  TempDir dir;
  for (const char* flag : {"--shell", "-q"}) {
    const auto o = run_zpipe({"-q", "run", flag, "--fresh", "--output", (dir / "r.jsonl").string(), "--",
                              "zpipe-no-such-program-x5", "{}"},
                             dir, "1\n");
    EXPECT_EQ(o.code, 1) << flag;
    const auto records = test::read_jsonl(dir / "r.jsonl");
    ASSERT_EQ(records.size(), 1u) << flag;
    EXPECT_EQ(records[0]["exit_code"], 127) << flag;
    EXPECT_EQ(records[0]["stderr"], "/bin/sh: 1: zpipe-no-such-program-x5: not found\n") << flag;
  }
}

// dash lists the environment in its own order; a program exec'd directly sees zpipe's. So
// the order tells whether a shell ran in between; the variables themselves are the same.
TEST(RunShellFlags, ShellForcesTheShellAndTheDefaultSkipsIt) {
  TempDir dir;
  const std::vector<std::string> command = {"--", "/usr/bin/env", "-u", "{}"};
  auto env_seen = [&](std::vector<std::string> args) {
    args.insert(args.end(), command.begin(), command.end());
    const auto o = run_zpipe(args, dir, "ZPIPE_NO_SUCH_VARIABLE_X9\n");
    EXPECT_EQ(o.code, 0) << o.err;
    return test::lines_of(o.out);
  };
  std::vector<std::string> direct = env_seen({"-q", "run"});
  std::vector<std::string> shell = env_seen({"-q", "run", "--shell"});
  ASSERT_GT(direct.size(), 3u);
  EXPECT_NE(direct, shell) << "--shell did not change how the command ran";
  std::sort(direct.begin(), direct.end());
  std::sort(shell.begin(), shell.end());
  EXPECT_EQ(direct, shell);
}

TEST(RunShellFlags, MisuseIsAUsageError) {
  TempDir dir;
  const auto both = run_zpipe({"run", "--shell", "--no-shell", "--", "true"}, dir, "1\n");
  EXPECT_EQ(both.code, 2);
  EXPECT_NE(both.err.find("--shell excludes --no-shell"), std::string::npos) << both.err;
  test::write_file(dir / "p.yaml", "version: 1\nname: p\nsource: { items: [a] }\ntask: { shell: \"true\" }\n");
  const auto with_file = run_zpipe({"run", (dir / "p.yaml").string(), "--no-shell"}, dir);
  EXPECT_EQ(with_file.code, 2);
  EXPECT_NE(with_file.err.find("--no-shell goes with '-- COMMAND'"), std::string::npos) << with_file.err;
}

}  // namespace
}  // namespace zpipe
