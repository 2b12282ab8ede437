// GNU parallel's --joblog and --results files through `zpipe run` (issue 11): the same job
// log columns (times aside) and the same results tree, byte for byte. Skipped when GNU
// parallel is not installed (scripts/install-deps.sh installs it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "test_support.hpp"

namespace zpipe {
namespace {

using test::TempDir;

std::vector<std::vector<std::string>> rows_of(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> cells;
    std::istringstream fields(line);
    for (std::string cell; std::getline(fields, cell, '\t');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

// Every file under `dir`, by its path relative to it, with its bytes.
std::map<std::string, std::string> tree_of(const std::filesystem::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) files[entry.path().lexically_relative(dir).string()] = test::read_file(entry.path());
  return files;
}

class ParallelFiles : public testing::Test {
protected:
  void SetUp() override {
    parallel_ = test::find_program("parallel");
    if (parallel_.empty()) GTEST_SKIP() << "GNU parallel is not installed (apt-get install parallel)";
    ::setenv("PARALLEL_SHELL", "/bin/sh", 1);
    ::setenv("HOME", dir_.path().c_str(), 1);  // parallel keeps state in ~/.parallel
  }
  // Runs `parallel -j 1 OPTIONS WORDS` and `zpipe run -j 1 OPTIONS -- WORDS`.
  void run_both(const std::vector<std::string>& gnu_options, const std::vector<std::string>& our_options,
                const std::vector<std::string>& words) {
    std::vector<std::string> gnu{parallel_.string(), "-j", "1"};
    gnu.insert(gnu.end(), gnu_options.begin(), gnu_options.end());
    gnu.insert(gnu.end(), words.begin(), words.end());
    test::Child child(gnu, dir_ / "parallel.out", dir_ / "parallel.err");
    ASSERT_EQ(child.wait(std::chrono::seconds(60)), 0) << test::read_file(dir_ / "parallel.err");
    std::vector<std::string> ours{"-q", "run", "-j", "1"};
    ours.insert(ours.end(), our_options.begin(), our_options.end());
    ours.push_back("--");
    ours.insert(ours.end(), words.begin(), words.end());
    const auto o = test::run_zpipe(ours, dir_);
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_EQ(o.out, test::read_file(dir_ / "parallel.out"));
  }
  std::filesystem::path parallel_;
  TempDir dir_;
};

TEST_F(ParallelFiles, JoblogHasParallelsColumns) {
  const std::string gnu = (dir_ / "gnu.log").string(), ours = (dir_ / "ours.log").string();
  // exit 0 and exit 0 again: a failed task's exit code would make both exit non-zero.
  run_both({"--joblog", gnu}, {"--joblog", ours}, {"echo {}; echo e >&2; exit 0", ":::", "a", "bc"});
  const auto expected = rows_of(test::read_file(gnu)), got = rows_of(test::read_file(ours));
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_EQ(got[0], expected[0]) << "the header";
  for (std::size_t i = 1; i < got.size(); ++i) {
    ASSERT_EQ(got[i].size(), 9u);
    EXPECT_TRUE(std::regex_match(got[i][2], std::regex("[0-9]{10}\\.[0-9]{3}"))) << got[i][2];
    EXPECT_TRUE(std::regex_match(got[i][3], std::regex(" *[0-9]+\\.[0-9]{3}"))) << got[i][3];
    EXPECT_EQ(got[i][3].size(), 10u) << "JobRuntime is %10.3f";
    for (const std::size_t column : {0, 1, 4, 5, 6, 7, 8}) EXPECT_EQ(got[i][column], expected[i][column]) << column;
  }
}

TEST_F(ParallelFiles, JoblogOfAFailedTask) {
  const std::string ours = (dir_ / "ours.log").string();
  const auto o = test::run_zpipe({"-q", "run", "--joblog", ours, "--", "exit {}"}, dir_, "3\n");
  EXPECT_EQ(o.code, 1);
  const auto rows = rows_of(test::read_file(ours));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][6], "3");
  EXPECT_EQ(rows[1][8], "exit 3");
}

TEST_F(ParallelFiles, ResultsTreeIsParallels) {
  run_both({"--results", (dir_ / "gnu").string()}, {"--results", (dir_ / "ours").string()},
           {"echo {}; echo err >&2", ":::", "a/b", "c d", "back\\slash", "x"});
  EXPECT_EQ(tree_of(dir_ / "ours"), tree_of(dir_ / "gnu"));
}

TEST_F(ParallelFiles, ResultsTreeOfTwoSources) {
  run_both({"--results", (dir_ / "gnu").string()}, {"--results", (dir_ / "ours").string()},
           {"echo", ":::", "a", "b", ":::", "1", "2"});
  EXPECT_EQ(tree_of(dir_ / "ours"), tree_of(dir_ / "gnu"));
}

}  // namespace
}  // namespace zpipe
