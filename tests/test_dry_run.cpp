// zpipe run --dry-run prints what would run, as GNU parallel's --dry-run: one command line
// per task, placeholders expanded and quoted as the shell gets them; nothing runs.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.hpp"

namespace zpipe {
namespace {

using namespace zpipe::test;

TEST(DryRun, PrintsTheCommandLinesAndRunsNothing) {
  TempDir dir;
  const auto marker = dir / "ran";
  const auto o = run_zpipe({"run", "-k", "--dry-run", "--", "touch " + marker.string() + "; echo {} {#}", ":::", "a b",
                            "c"},
                           dir);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "touch " + marker.string() + "; echo 'a b' 1\ntouch " + marker.string() + "; echo c 2\n");
  EXPECT_FALSE(std::filesystem::exists(marker)) << "a dry run runs nothing";
}

TEST(DryRun, NoShellPrintsTheWords) {
  TempDir dir;
  const auto o = run_zpipe({"run", "-k", "--dry-run", "--no-shell", "--", "printf", "%s\\n", "{}"}, dir, "x y\n");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "printf %s\\n x y\n");
}

TEST(DryRun, RefusesToWriteAJournal) {
  TempDir dir;
  const auto o = run_zpipe({"run", "--dry-run", "--output", (dir / "o.jsonl").string(), "--", "echo"}, dir, "1\n");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("--dry-run prints command lines"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace zpipe
