// Issue 11, "feedback": command mode (`zpipe run -- CMD`) is quiet when all goes well, as GNU
// parallel and xargs are; every failed or timed-out task is named on stderr in one line
// (id, input, how it ended, the first line of its stderr); -j reads GNU parallel's forms;
// a mistyped subcommand and `check` of several files say what they should.
#include <gtest/gtest.h>

#include <thread>

#include "test_support.hpp"

namespace zpipe {
namespace {

using namespace zpipe::test;

TEST(CliFeedback, SuccessfulCommandModeRunSaysNothingOnStderr) {
  TempDir dir;
  const auto o = run_zpipe({"run", "-k", "--", "echo", "{}"}, dir, seq(1, 50));
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, seq(1, 50));
  EXPECT_EQ(o.err, "") << "no log line on success";
}

TEST(CliFeedback, VerboseCommandModeShowsTheRolesAndTheSummary) {
  TempDir dir;
  const auto o = run_zpipe({"run", "-v", "--", "echo", "{}"}, dir, seq(1, 5));
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("5 tasks: 5 ok, 0 failed"), std::string::npos) << o.err;
}

TEST(CliFeedback, EveryFailedTaskIsNamedOnOneLineThenCounted) {
  TempDir dir;
  const auto o = run_zpipe(
      {"run", "-k", "--", "if [ {} = 3 ] || [ {} = 5 ]; then printf 'bad {}\\nmore\\n' >&2; exit 4; fi; echo {}"}, dir,
      seq(1, 6));
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_EQ(o.out, "1\n2\n4\n6\n");
  EXPECT_NE(o.err.find("zpipe: task 3 failed with exit code 4 (input '3'): bad 3\nmore\n"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("zpipe: task 5 failed with exit code 4 (input '5'): bad 5\nmore\n"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("zpipe: 2 of 6 tasks failed (0 timed out)\n"), std::string::npos) << o.err;
}

TEST(CliFeedback, TimedOutTaskIsNamedOnAWholeLine) {
  TempDir dir;
  const auto o = run_zpipe({"run", "--timeout", "150ms", "--", "sleep"}, dir, "5\n");
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_EQ(o.err, "zpipe: task 1 timed out (input '5'): timed out after 150 ms\nzpipe: 1 of 1 tasks failed (1 timed out)\n");
}

TEST(CliFeedback, AnInputWithANewlineStaysOnTheFailureLine) {
  TempDir dir;
  const auto o = run_zpipe({"run", "-0", "--", "exit 2 #"}, dir, std::string("a\nb\0", 4));
  EXPECT_NE(o.err.find("zpipe: task 1 failed with exit code 2 (input 'a\\nb')\n"), std::string::npos) << o.err;
}

TEST(CliFeedback, JobsTakeGnuParallelForms) {
  TempDir dir;
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  auto credit = [&](const std::string& jobs) {
    const auto o = run_zpipe({"-v", "run", "-j", jobs, "--", "true"}, dir, "1\n");
    EXPECT_EQ(o.code, 0) << o.err;
    const std::size_t at = o.err.find("joined with credit ");
    return at == std::string::npos ? -1 : std::stoi(o.err.substr(at + 19));
  };
  EXPECT_EQ(credit("3"), 3);
  EXPECT_EQ(credit("0"), 256);
  EXPECT_EQ(credit("+2"), static_cast<int>(cpus + 2));
  EXPECT_EQ(credit("-100"), 1);
  EXPECT_EQ(credit("200%"), static_cast<int>(2 * cpus));
  for (const std::string bad : {"x", "1.5", "+5%", "%"}) {
    const auto o = run_zpipe({"run", "-j", bad, "--", "true"}, dir, "1\n");
    EXPECT_EQ(o.code, 2) << bad;
    EXPECT_NE(o.err.find("-j/--jobs: '" + bad + "' is not a number of jobs"), std::string::npos) << o.err;
    EXPECT_LT(o.err.size(), 200u) << "one short line, no 300-digit range";
  }
}

TEST(CliFeedback, UnknownSubcommandIsNamedWithTheKnownOnes) {
  TempDir dir;
  const auto o = run_zpipe({"fo"}, dir);
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "zpipe: unknown subcommand 'fo' (expected one of: run, ventilator, worker, sink, check, experiment)\n");
}

// A GNU parallel habit: the command without `--`. zpipe says where it goes.
TEST(CliFeedback, ACommandWithoutTheDoubleDashIsToldWhereItGoes) {
  TempDir dir;
  const auto with_sources = run_zpipe({"run", "-k", "echo", "x{}y", ":::", "a", "b"}, dir);
  EXPECT_EQ(with_sources.code, 2);
  EXPECT_NE(with_sources.err.find("run: 'echo' is not a pipeline file; a command goes after '--'"), std::string::npos)
      << with_sources.err;
  const auto alone = run_zpipe({"run", "echo"}, dir);
  EXPECT_EQ(alone.code, 2);
  EXPECT_NE(alone.err.find("run: 'echo': no such pipeline file (a command goes after '--'"), std::string::npos)
      << alone.err;
}

TEST(CliFeedback, CheckTakesSeveralFilesAndReportsEach) {
  TempDir dir;
  write_file(dir / "good.yaml", "version: 1\nname: good\nsource: { range: { count: 3 } }\ntask: { shell: \"true\" }\n");
  write_file(dir / "bad.yaml", "version: 1\nname: bad\nsource: { range: { count: 3 } }\ntask: { shel: \"true\" }\n");
  const auto o = run_zpipe({"check", (dir / "good.yaml").string(), (dir / "bad.yaml").string(),
                            (dir / "good.yaml").string()},
                           dir);
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_NE(o.out.find("==> " + (dir / "bad.yaml").string() + " <=="), std::string::npos) << o.out;
  EXPECT_EQ(lines_with(o.out, {"pipeline   good"}).size(), 2u) << "the file after the bad one is checked too\n" << o.out;
  EXPECT_NE(o.err.find("bad.yaml:4:"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace zpipe
