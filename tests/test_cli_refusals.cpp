// Issue 11, "refuse what would lose data": `zpipe run` refuses an --output that is one of
// its input files (it would empty the input and run nothing), reads `--output -` and
// `--summary -` as standard output (not files named "-"), refuses --resume of stdout, and
// refuses --resume of an output another command wrote (FILE.fingerprint beside it).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace zpipe {
namespace {

using namespace zpipe::test;

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = text.find('\n', at);
    out.push_back(nlohmann::json::parse(text.substr(at, end - at)));
    at = end == std::string::npos ? text.size() : end + 1;
  }
  return out;
}

TEST(CliRefusals, OutputNamingAnArgFileIsRefusedAndTheInputKept) {
  TempDir dir;
  const auto same = dir / "same.txt";
  write_file(same, "a\nb\n");
  const auto o = run_zpipe({"run", "-a", same.string(), "--output", same.string(), "--", "echo", "{}"}, dir);
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_NE(o.err.find("--output"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("input file"), std::string::npos) << o.err;
  EXPECT_EQ(read_file(same), "a\nb\n");
}

TEST(CliRefusals, OutputNamingAFourColonFileBySymlinkIsRefused) {
  TempDir dir;
  const auto input = dir / "in.txt";
  write_file(input, "a\n");
  std::filesystem::create_symlink(input, dir / "link.txt");
  std::filesystem::create_directory(dir / "sub");
  const auto o = run_zpipe({"run", "--output", (dir / "link.txt").string(), "--", "echo", "{}", "::::",
                            (dir.path() / "sub" / ".." / "in.txt").string()},
                           dir);
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_NE(o.err.find("--output"), std::string::npos) << o.err;
  EXPECT_EQ(read_file(input), "a\n");
}

TEST(CliRefusals, SummaryNamingAnInputFileIsRefused) {
  TempDir dir;
  const auto input = dir / "in.txt";
  write_file(input, "a\n");
  const auto o = run_zpipe({"run", "-a", input.string(), "--summary", input.string(), "--", "echo", "{}"}, dir);
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_NE(o.err.find("--summary"), std::string::npos) << o.err;
  EXPECT_EQ(read_file(input), "a\n");
}

TEST(CliRefusals, OutputNamingThePipelineSourceLinesIsRefused) {
  TempDir dir;
  write_file(dir / "in.txt", "1\n2\n");
  write_file(dir / "p.yaml", "version: 1\nname: same\nsource:\n  lines: in.txt\ntask:\n  shell: \"echo {}\"\n");
  const auto o = run_zpipe({"run", (dir / "p.yaml").string(), "--output", (dir / "in.txt").string()}, dir);
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_NE(o.err.find("--output"), std::string::npos) << o.err;
  EXPECT_EQ(read_file(dir / "in.txt"), "1\n2\n");
}

TEST(CliRefusals, OutputDashIsJsonLinesOnStdoutAndSummaryDashFollowsThem) {
  TempDir dir;
  const auto o = run_zpipe({"run", "-k", "--output", "-", "--summary", "-", "--", "echo", "{}"}, dir, "x\ny\nz\n");
  ASSERT_EQ(o.code, 0) << o.err;
  // Three records, one per line, then the summary (pretty-printed JSON, several lines).
  std::vector<std::string> lines;
  std::size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    const std::size_t end = o.out.find('\n', at);
    ASSERT_NE(end, std::string::npos) << o.out;
    lines.push_back(o.out.substr(at, end - at));
    at = end + 1;
  }
  for (const auto& line : lines) EXPECT_EQ(nlohmann::json::parse(line).value("status", ""), "ok") << line;
  EXPECT_EQ(nlohmann::json::parse(lines[0])["input"], "x");
  const auto summary = nlohmann::json::parse(o.out.substr(at));
  EXPECT_EQ(summary["total"], 3) << o.out;
  EXPECT_EQ(summary["ok"], 3) << o.out;
}

TEST(CliRefusals, SummaryDashAloneFollowsTheTasksOutput) {
  TempDir dir;
  const auto o = run_zpipe({"run", "--summary", "-", "--", "echo", "{}"}, dir, "x\n");
  ASSERT_EQ(o.code, 0) << o.err;
  ASSERT_EQ(o.out.rfind("x\n", 0), 0u) << o.out;
  EXPECT_EQ(nlohmann::json::parse(o.out.substr(2))["total"], 1) << o.out;
}

TEST(CliRefusals, ResumeOfStdoutIsRefused) {
  TempDir dir;
  const auto o = run_zpipe({"run", "--resume", "--output", "-", "--", "echo", "{}"}, dir, "x\n");
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_NE(o.err.find("--output -"), std::string::npos) << o.err;
  EXPECT_EQ(o.out, "");
}

TEST(CliRefusals, ResumeOfAnotherCommandsOutputIsRefused) {
  TempDir dir;
  const auto out = dir / "out.jsonl";
  auto o = run_zpipe({"run", "--output", out.string(), "--", "echo", "{}"}, dir, "1\n2\n3\n");
  ASSERT_EQ(o.code, 0) << o.err;
  ASSERT_TRUE(std::filesystem::exists(dir / "out.jsonl.fingerprint"));
  const std::string before = read_file(out);

  o = run_zpipe({"run", "--resume", "--output", out.string(), "--", "echo", "other", "{}"}, dir, "1\n2\n3\n4\n");
  EXPECT_EQ(o.code, 3) << o.err;
  EXPECT_NE(o.err.find("--resume refused"), std::string::npos) << o.err;
  EXPECT_EQ(read_file(out), before) << "the journal is left as it was";

  // The same command resumes, even with another timeout: only the 4th task runs.
  o = run_zpipe({"run", "--resume", "--timeout", "30s", "--output", out.string(), "--", "echo", "{}"}, dir,
                "1\n2\n3\n4\n");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(json_lines(read_file(out)).size(), 4u);
}

TEST(CliRefusals, ResumeOfAJournalWithoutFingerprintWarnsAndAdoptsIt) {
  TempDir dir;
  const auto out = dir / "out.jsonl";
  auto o = run_zpipe({"run", "--output", out.string(), "--", "echo", "{}"}, dir, "1\n2\n");
  ASSERT_EQ(o.code, 0) << o.err;
  std::filesystem::remove(dir / "out.jsonl.fingerprint");  // as an older zpipe left it

  o = run_zpipe({"run", "--resume", "--output", out.string(), "--", "echo", "{}"}, dir, "1\n2\n3\n");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("out.jsonl.fingerprint"), std::string::npos) << "a warning names the missing file: " << o.err;
  EXPECT_EQ(json_lines(read_file(out)).size(), 3u);
  EXPECT_TRUE(std::filesystem::exists(dir / "out.jsonl.fingerprint"));
}

}  // namespace
}  // namespace zpipe

namespace zpipe {
namespace {

// --resume-failed is how a user reruns the failures with a mended command: another
// fingerprint is then said, not refused, and only the failed task runs again.
TEST(CliRefusals, ResumeFailedWithAMendedCommandWarnsAndRerunsTheFailures) {
  test::TempDir dir;
  const auto out = dir / "out.jsonl";
  auto o = test::run_zpipe({"run", "--output", out.string(), "--", "test {} != 2 && echo {}"}, dir, "1\n2\n3\n");
  ASSERT_EQ(o.code, 1) << o.err;
  o = test::run_zpipe({"run", "--resume-failed", "--output", out.string(), "--", "echo fixed {}"}, dir, "1\n2\n3\n");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("written by another command or task"), std::string::npos) << o.err;
  const auto records = test::read_jsonl(out);
  ASSERT_EQ(records.size(), 3u);
  for (const auto& r : records) {
    EXPECT_EQ(r["status"], "ok") << r.dump();
    if (r["id"] == 2) {
      EXPECT_EQ(r["output"], "fixed 2\n");
    }
  }
}

}  // namespace
}  // namespace zpipe
