// `zpipe run -- CMD` takes its inputs as GNU parallel does (docs/cli.md, "Inputs and
// replacement strings"): ::: and :::: sources, several -a, the cartesian product or --link,
// --colsep, -0, -d, -n, positional placeholders and {%}. Real zpipe processes; -k keeps the
// output in input order so it can be compared whole.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace zpipe {
namespace {

using test::run_zpipe;
using test::TempDir;

// stdout of `zpipe -q run -k ARGS...`, which must exit 0.
std::string run_k(const std::vector<std::string>& args, const TempDir& dir, const std::string& stdin_text = {}) {
  std::vector<std::string> all{"-q", "run", "-k"};
  all.insert(all.end(), args.begin(), args.end());
  const auto o = run_zpipe(all, dir, stdin_text);
  EXPECT_EQ(o.code, 0) << o.err;
  return o.out;
}

TEST(RunInputs, ArgumentsAfterTripleColonAreTheInputsAndStdinIsNotRead) {
  TempDir dir;
  // Before: `echo z | zpipe run -- echo {} ::: a b c` printed "z ::: a b c".
  EXPECT_EQ(run_k({"--", "echo", "{}", ":::", "a", "b", "c"}, dir, "z\n"), "a\nb\nc\n");
}

TEST(RunInputs, SeveralSourcesGiveEveryCombinationFirstSourceSlowest) {
  TempDir dir;
  EXPECT_EQ(run_k({"--", "echo", ":::", "a", "b", ":::", "1", "2"}, dir), "a 1\na 2\nb 1\nb 2\n");
  EXPECT_EQ(run_k({"--", "echo", "{2}{1}", ":::", "a", "b", ":::", "1", "2"}, dir), "1a\n2a\n1b\n2b\n");
}

TEST(RunInputs, LinkPairsTheSourcesAndTheShorterWrap) {
  TempDir dir;
  EXPECT_EQ(run_k({"--link", "--", "echo", ":::", "a", "b", "c", ":::", "1", "2"}, dir), "a 1\nb 2\nc 1\n");
  EXPECT_EQ(run_k({"--xapply", "--", "echo", ":::", "a", "b", ":::", "1", "2"}, dir), "a 1\nb 2\n");
}

TEST(RunInputs, PlusPairsASourceWithThePreviousOneAndTheShorterEndsThePairs) {
  TempDir dir;
  EXPECT_EQ(run_k({"--", "echo", ":::", "a", "b", "c", ":::+", "1", "2"}, dir), "a 1\nb 2\n");
  // The first group streamed from stdin (its pairs read in step), the second held.
  EXPECT_EQ(run_k({"--", "echo", "::::", "-", ":::+", "1", "2", "3", ":::", "X", "Y", ":::+", "x", "y"}, dir, "p\nq\n"),
            "p 1 X x\np 1 Y y\nq 2 X x\nq 2 Y y\n");
}

TEST(RunInputs, QuadColonAndSeveralArgFilesAreSourcesInOrder) {
  TempDir dir;
  test::write_file(dir / "f.txt", "f1\nf2\n");
  test::write_file(dir / "g.txt", "g1\n");
  const std::string f = (dir / "f.txt").string();
  const std::string g = (dir / "g.txt").string();
  EXPECT_EQ(run_k({"--", "echo", "::::", f}, dir), "f1\nf2\n");
  EXPECT_EQ(run_k({"-a", f, "-a", g, "--", "echo"}, dir), "f1 g1\nf2 g1\n");
  // -a sources come first, then those after the command, as in parallel.
  EXPECT_EQ(run_k({"-a", g, "--", "echo", ":::", "x", "y", "::::", f}, dir),
            "g1 x f1\ng1 x f2\ng1 y f1\ng1 y f2\n");
}

TEST(RunInputs, StdinIsASourceAsDashAmongOthers) {
  TempDir dir;
  EXPECT_EQ(run_k({"--", "echo", "::::", "-", ":::", "a", "b"}, dir, "z\n"), "z a\nz b\n");
  EXPECT_EQ(run_k({"-a", "-", "--", "echo", ":::", "a"}, dir, "1\n2\n"), "1 a\n2 a\n");
}

TEST(RunInputs, MaxArgsPutsSeveralArgumentsInOneTask) {
  TempDir dir;
  EXPECT_EQ(run_k({"-n", "2", "--", "echo", ":::", "a", "b", "c", "d", "e"}, dir), "a b\nc d\ne\n");
  EXPECT_EQ(run_k({"--max-args", "2", "--", "echo", "{2}-{1}", ":::", "a", "b", "c"}, dir), "b-a\n-c\n");
  EXPECT_EQ(run_k({"-n", "3", "--", "echo", "{#}:{-1}"}, dir, "1\n2\n3\n4\n"), "1:3\n2:4\n");
}

TEST(RunInputs, ColsepSplitsEachInputIntoPositionalArguments) {
  TempDir dir;
  EXPECT_EQ(run_k({"--colsep", ",", "--", "echo", "[{1}][{2}][{3}][{4}]"}, dir, "a,b,,c\nd\n"),
            "[a][b][][c]\n[d][][][]\n");
  EXPECT_EQ(run_k({"--colsep", "\\s+", "--", "echo", "{2}"}, dir, "a  b\tc\n"), "b\n");
  EXPECT_EQ(run_k({"--colsep", ",", "--", "echo", "{2}", ":::", "a,b", "c,d"}, dir), "b\nd\n");
}

TEST(RunInputs, NullAndDelimiterEndInputsElsewhereThanAtNewlines) {
  TempDir dir;
  EXPECT_EQ(run_k({"-0", "--", "echo", "[{}]"}, dir, std::string("a\nb\0c d\0", 8)), "[a\nb]\n[c d]\n");
  EXPECT_EQ(run_k({"--null", "--", "printf '%s|'"}, dir, std::string("x\0\0y", 4)), "x||y|");
  // The last input keeps its newline when the delimiter is not one, as in parallel.
  EXPECT_EQ(run_k({"-d", ",", "--", "echo", "[{}]"}, dir, "a,b,c\n"), "[a]\n[b]\n[c\n]\n");
  EXPECT_EQ(run_k({"--delimiter", "\\t", "--", "echo"}, dir, "a\tb"), "a\nb\n");
  EXPECT_EQ(run_k({"-d", "::", "--", "echo"}, dir, "a::b::c"), "a\nb\nc\n");
  test::write_file(dir / "nul.txt", std::string("p q\0r\0", 6));
  EXPECT_EQ(run_k({"-0", "-a", (dir / "nul.txt").string(), "--", "echo", "[{}]"}, dir), "[p q]\n[r]\n");
}

TEST(RunInputs, AwkwardArgumentsReachTheCommandIntact) {
  TempDir dir;
  // Like parallel, the command's words are joined by spaces for the shell: quote its syntax.
  EXPECT_EQ(run_k({"--", "printf '[%s]\\n'", ":::", "a b", "it's", "$HOME", "*", "", "x\"y", "\\n", "--x"}, dir),
            "[a b]\n[it's]\n[$HOME]\n[*]\n[]\n[x\"y]\n[\\n]\n[--x]\n");
  EXPECT_EQ(run_k({"--", "printf '%s|'", ":::", "a b", "", ":::", "$x"}, dir), "a b|$x||$x|");
  EXPECT_EQ(run_k({"-0", "--", "printf '<%s|%s>'", "::::", "-", ":::", "1"}, dir, std::string("l1\nl2\0", 6)),
            "<l1\nl2|1>");
}

TEST(RunInputs, PositionalPathPlaceholders) {
  TempDir dir;
  EXPECT_EQ(run_k({"--", "echo", "{1.} {2/} {2//} {2/.} {-1}", ":::", "a.x/b.c", ":::", "d/e.f"}, dir),
            "a.x/b e.f d e d/e.f\n");
}

TEST(RunInputs, SlotIsOneToJobs) {
  TempDir dir;
  EXPECT_EQ(run_k({"-j", "1", "--", "echo", "{%}"}, dir, "a\nb\n"), "1\n1\n");
  const std::string out = run_k({"-j", "3", "--", "echo", "{%}"}, dir, "a\nb\nc\nd\ne\nf\n");
  for (char c : out) EXPECT_TRUE(c == '\n' || (c >= '1' && c <= '3')) << out;
}

TEST(RunInputs, RecordsCarryTheArgumentsAndResumeReadsThem) {
  TempDir dir;
  const std::string out = (dir / "o.jsonl").string();
  const auto first = run_zpipe({"-q", "run", "-k", "-n", "2", "--output", out, "--", "echo", ":::", "a", "b c", "d"}, dir);
  ASSERT_EQ(first.code, 0) << first.err;
  const auto records = test::read_jsonl(out);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["input"], "a b c");
  EXPECT_EQ(records[0]["args"], nlohmann::json::array({"a", "b c"}));
  EXPECT_EQ(records[1]["args"], nlohmann::json::array({"d"}));
  EXPECT_EQ(records[1]["output"], "d\n");
  const auto again =
      run_zpipe({"-q", "run", "-k", "-n", "2", "--output", out, "--resume", "--", "echo", ":::", "a", "b c", "d"}, dir);
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(test::read_jsonl(out).size(), 2u) << "nothing ran twice";
}

TEST(RunInputs, OneInputRecordsHaveNoArgs) {
  TempDir dir;
  const std::string out = (dir / "o.jsonl").string();
  ASSERT_EQ(run_zpipe({"-q", "run", "--output", out, "--", "echo", ":::", "a b"}, dir).code, 0);
  const auto records = test::read_jsonl(out);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["input"], "a b");
  EXPECT_FALSE(records[0].contains("args"));
}

TEST(RunInputs, EmptySourcesRunNothing) {
  TempDir dir;
  // Stdin has an input, but the empty ::: is the only source.
  EXPECT_EQ(run_k({"--", "echo", "x", ":::"}, dir, "z\n"), "");
  EXPECT_EQ(run_k({"--", "echo", ":::", "a", ":::"}, dir, "z\n"), "");
  EXPECT_EQ(run_k({"--link", "--", "echo", ":::", "a", ":::"}, dir, "z\n"), "");
}

// Each refusal exits 2 and names what was wrong.
void expect_refused(const std::vector<std::string>& args, const std::string& message) {
  TempDir dir;
  std::vector<std::string> all{"run"};
  all.insert(all.end(), args.begin(), args.end());
  const auto o = run_zpipe(all, dir, "z\n");
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_NE(o.err.find(message), std::string::npos) << o.err;
  EXPECT_EQ(o.out, "");
}

TEST(RunInputs, PipelineFileRefusesCommandModeInputs) {
  TempDir dir;
  test::write_file(dir / "p.yaml", "version: 1\nname: p\nsource: { items: [a] }\ntask: { shell: 'echo {}' }\n");
  test::write_file(dir / "other.txt", "x\n");
  const std::string p = (dir / "p.yaml").string();
  const std::string message = "-a/:::/:::: are for command mode; the pipeline file names its source";
  expect_refused({p, "-a", (dir / "other.txt").string()}, "run: -a " + (dir / "other.txt").string() + ": " + message);
  expect_refused({p, "--link"}, "run: --link: " + message);
  expect_refused({p, "-n", "2"}, "run: -n: " + message);
}

TEST(RunInputs, BadInputFlagsAreRefusedByName) {
  TempDir dir;
  expect_refused({"--", "echo", "::::", (dir / "missing.txt").string()}, ":::: " + (dir / "missing.txt").string() + ": no such file");
  expect_refused({"-a", (dir / "missing.txt").string(), "--", "echo"}, "-a " + (dir / "missing.txt").string() + ": no such file");
  expect_refused({"--", "echo", "::::"}, "'::::' with no file after it");
  expect_refused({"--", "echo", ":::", "a", "::::+"}, "'::::+' with no file after it");
  expect_refused({"--pipe", "--", "wc", "-l"}, "--pipe is not supported: zpipe gives each task arguments");
  expect_refused({"--pipepart", "-a", "x", "--", "wc", "-l"}, "--pipepart is not supported");
  expect_refused({"-0", "-d", ",", "--", "echo"}, "-0/--null and -d/--delimiter");
  expect_refused({"--colsep", "(", "--", "echo"}, "--colsep '(' is not a regular expression");
  expect_refused({"--colsep", "x*", "--", "echo"}, "matches the empty string");
  expect_refused({"-d", "", "--", "echo"}, "the delimiter is empty");
  expect_refused({"-n", "0", "--", "echo"}, "--max-args: must be at least 1, got 0");
  expect_refused({"--", ":::", "a"}, "give the command to run");
}

}  // namespace
}  // namespace zpipe
