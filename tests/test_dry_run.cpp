// zpipe run --dry-run prints what would run, as GNU parallel's --dry-run: one command line
// per task, placeholders expanded and quoted as the shell gets them; nothing runs.
#include <gtest/gtest.h>

#include <algorithm>
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

namespace zpipe {
namespace {

// --delay spaces the tasks' starts, as GNU parallel's does: four tasks at -j 4 start at
// least (about) 200 ms apart instead of together. Only a lower bound is checked: a loaded
// machine spaces them more, never less.
TEST(Delay, SpacesTheStartsOfTasks) {
  TempDir dir;
  const auto o = run_zpipe({"run", "-k", "-j", "4", "--delay", "0.2", "--", "date +%s%N; : {}", ":::", "1", "2", "3", "4"},
                           dir);
  EXPECT_EQ(o.code, 0) << o.err;
  std::vector<long long> starts;
  for (const auto& line : lines_with(o.out, {""})) starts.push_back(std::stoll(line));
  ASSERT_EQ(starts.size(), 4u) << o.out;
  std::sort(starts.begin(), starts.end());
  for (std::size_t i = 1; i < starts.size(); ++i)
    EXPECT_GE(starts[i] - starts[i - 1], 150'000'000) << "start " << i << " came too soon after the one before";
}

}  // namespace
}  // namespace zpipe
