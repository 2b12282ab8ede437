// GNU parallel's one-liners give the same stdout through `zpipe run` (issue 11): each case
// runs `parallel -k OPTIONS COMMAND SOURCES` and `zpipe run -k OPTIONS -- COMMAND SOURCES`
// on the same stdin and compares their outputs byte for byte. Skipped when GNU parallel
// is not installed (scripts/install-deps.sh installs it).
//
// Both run their commands with /bin/sh (PARALLEL_SHELL), so a difference is one of inputs
// and replacement strings, not of two shells' echo.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "test_support.hpp"

namespace zpipe {
namespace {

using test::TempDir;

struct OneLiner {
  const char* name;
  std::vector<std::string> options;  // before the command (no -k: both get it)
  std::vector<std::string> command;  // the command's words, then ::: / :::: sources
  std::string stdin_text;
};

// gtest names a failing case by this, not by its bytes.
void PrintTo(const OneLiner& c, std::ostream* out) { *out << c.name; }

// "@F" and "@G" in a case stand for two files of arguments written beside it.
constexpr const char* kFileF = "f1\nf 2\n";
constexpr const char* kFileG = "g1\n";

const std::vector<OneLiner> kOneLiners = {
    {"TripleColon", {}, {"echo", ":::", "a", "b", "c"}, ""},
    {"AwkwardArguments", {}, {"echo", "[{}]", ":::", "a b", "it's", "$HOME", "*", "", "x\"y", "a  b", "-n"}, ""},
    {"Product", {}, {"echo", ":::", "a", "b", ":::", "1", "2", ":::", "X"}, ""},
    {"PositionalProduct", {}, {"echo", "{2}{1}", ":::", "a", "b", ":::", "1", "2"}, ""},
    {"Link", {"--link"}, {"echo", ":::", "a", "b", "c", ":::", "1", "2"}, ""},
    {"XapplyPositional", {"--xapply"}, {"echo", "{1}-{2}", ":::", "a", "b", ":::", "1", "2", "3"}, ""},
    {"MaxArgs", {"-n", "2"}, {"echo", ":::", "a", "b", "c", "d", "e"}, ""},
    {"MaxArgsPositional", {"-n", "2"}, {"echo", "{2}+{1}", ":::", "a", "b", "c", "d", "e"}, ""},
    {"MaxArgsContext", {"-n", "2"}, {"echo", "x{}y", ":::", "a", "b", "c"}, ""},
    {"MaxArgsStdin", {"-n", "3"}, {"echo", "{#}", "{}", "{-1}"}, "1\n2\n3\n4\n5\n6\n7\n"},
    {"MaxArgsTwoSources", {"-n", "2"}, {"echo", "{1}/{2}/{3}/{4}", ":::", "a", "b", ":::", "1", "2"}, ""},
    {"Colsep", {"--colsep", ","}, {"echo", "[{2}]", "[{1}]", "[{3}]"}, "a,b\nc,d,e\n,\n"},
    {"ColsepRegex", {"--colsep", "\\s+"}, {"echo", "{2}"}, "a  b\tc\nd e\n"},
    {"ColsepBraces", {"--colsep", ","}, {"echo", "[{}]"}, "a b,c\n"},
    {"ColsepAppended", {"--colsep", ","}, {"printf", "'<%s>'"}, "a,b c,\n"},
    {"ColsepTripleColon", {"--colsep", ":"}, {"echo", "{2}", ":::", "a:b", "c:d"}, ""},
    {"Null", {"-0"}, {"echo", "[{}]"}, std::string("a\nb\0c d\0\0", 10)},
    {"Delimiter", {"-d", ","}, {"echo", "[{}]"}, "a,b,,c\n"},
    {"DelimiterEscape", {"-d", "\\t"}, {"echo", "[{}]"}, "a\tb"},
    {"PathPlaceholders", {}, {"echo", "{.}", "{/}", "{//}", "{/.}", ":::", "dir/sub/f.tar.gz", "a.b/c", ".hidden", "x"}, ""},
    {"PositionalPath", {}, {"echo", "{1.}", "{2/}", "{2//}", "{2/.}", ":::", "a.b/c.d", ":::", "e/f.g"}, ""},
    {"FromTheEnd", {}, {"echo", "{-1}", "{-2}", ":::", "a", ":::", "b", "c"}, ""},
    {"SequenceNumber", {}, {"echo", "{#}:{}", ":::", "a", "b", "c"}, ""},
    {"SlotOneJob", {"-j", "1"}, {"echo", "{%}", ":::", "a", "b", "c"}, ""},
    {"QuadColonFile", {}, {"echo", "::::", "@F"}, ""},
    {"ArgFiles", {"-a", "@F", "-a", "@G"}, {"echo"}, ""},
    {"ArgFileAndTripleColon", {"-a", "@G"}, {"echo", ":::", "x", "y", "::::", "@F"}, ""},
    {"LinkedFiles", {"--link", "-a", "@F"}, {"echo", ":::", "p", "q", "r"}, ""},
    {"StdinAsQuadColonDash", {}, {"echo", "::::", "-", ":::", "a", "b"}, "z\n"},
    {"StdinIgnoredWithTripleColon", {}, {"echo", ":::", "a"}, "z\n"},
    {"EmptyLinesAreInputs", {}, {"echo", "[{}]"}, "a\n\nb\n"},
    {"LastLineWithoutNewline", {}, {"echo"}, "a\nb"},
    {"KeepOrder", {"-j", "4"}, {"sleep", "0.0{};", "echo", "{}", ":::", "3", "1", "2"}, ""},
    {"ShellSyntaxInTheCommand", {}, {"echo", "{}", "|", "tr", "a-z", "A-Z", ":::", "ab", "c d"}, ""},
    {"Tag", {"--tag"}, {"echo", ":::", "a b", "c"}, ""},
    {"TagTwoSources", {"--tag"}, {"echo", "{2}", ":::", "a", "b", ":::", "1", "2"}, ""},
    {"TagLinesWithoutNewline", {"--tag"}, {"printf", "'x\\ny'", ":::", "a", "b"}, ""},
    {"TagStdin", {"--tag"}, {"echo", "-", "{#}"}, "p q\nr\n"},
    {"LinkedTripleColonPlus", {}, {"echo", ":::", "a", "b", "c", ":::+", "1", "2", "3"}, ""},
    {"TripleColonPlusShortestEnds", {}, {"echo", ":::", "a", "b", "c", ":::+", "1", "2"}, ""},
    {"TripleColonPlusGroupsProduct", {}, {"echo", ":::", "a", "b", ":::+", "1", "2", ":::", "X", "Y", ":::+", "x", "y"}, ""},
    {"QuadColonPlus", {}, {"echo", "{2}{1}", ":::", "a", "b", "::::+", "@F", "@G"}, ""},
    {"TripleColonPlusFirstIsPlain", {"-a", "@G"}, {"echo", ":::+", "p", "q"}, ""},
    {"MaxReplaceArgsRepeatsTheContext", {"-N", "2"}, {"echo", "x{}y", "z{}w", ":::", "a", "b", "c"}, ""},
    {"MaxReplaceArgsPositional", {"-N", "2"}, {"echo", "{2}+{1}", "x{1}y{}", ":::", "a", "b", "c"}, ""},
    {"MaxReplaceArgsQuoting", {"-N", "2"}, {"echo", "x{}y", ":::", "a b", "c'd", "e"}, ""},
    {"ContextReplaceSpreadOverTheJobs", {"-j", "2", "-X"}, {"echo", "x{}y", ":::", "a", "b", "c", "d", "e"}, ""},
    {"ContextReplaceSequenceAndPaths", {"-j", "2", "-X"}, {"echo", "{#}-{}", "{.}", ":::", "d/a.1", "b.2", "c", "e"}, ""},
    {"ContextReplaceOneJob", {"-j", "1", "-X"}, {"echo", "{1}", "z{}", ":::", "a", "b", "c"}, ""},
    {"MultipleSpreadOverTheJobs", {"-j", "3", "-m"}, {"echo", "x{}y"}, "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"},
    {"MultipleOneJob", {"-j", "1", "-m"}, {"echo", ":::", "a", "b c", "d"}, ""},
    {"MultipleWithMaxArgs", {"-j", "2", "-m", "-n", "5"}, {"echo", ":::", "a", "b", "c"}, ""},
    {"MultipleLinked", {"-j", "2", "-m", "--link"}, {"echo", ":::", "a", "b", "c", ":::", "1", "2", "3"}, ""},
    {"TrimBoth", {"--trim", "lr"}, {"echo", "[{}]", ":::", " a ", "  b", "c\t"}, ""},
    {"TrimLeftColumns", {"--trim", "l", "--colsep", ","}, {"echo", "[{1}]", "[{2}]"}, " a , b \n"},
    {"TrimRightColumns", {"--trim", "r", "--colsep", ","}, {"echo", "[{1}]", "[{2}]"}, " a , b \n"},
    {"TrimRightLeft", {"--trim", "rl", "--colsep", ","}, {"echo", "[{}]"}, " a , b \n"},
    {"TrimNone", {"--trim", "n", "--colsep", ","}, {"echo", "[{1}]", "[{2}]"}, " a , b \n"},
    {"ColsepTrimsByDefault", {"--colsep", ","}, {"echo", "[{1}]", "[{2}]"}, " a , b \n\tc\t,d\n"},
    {"HeaderTripleColon", {"--header", ":"}, {"echo", "{b}-{a}", ":::", "a", "1", "2", ":::", "b", "x", "y"}, ""},
    {"HeaderStdinColumns", {"--header", ":"}, {"echo", "{age}", "{name.}", "{name/}"}, "name\tage\nd/ann.x\t3\nbob\t5\n"},
    {"HeaderFile", {"--header", ".*"}, {"echo", "[{f1}]", "::::", "@F"}, ""},
    {"HeaderColsep", {"--header", ":", "--colsep", ","}, {"echo", "{y}/{x}"}, "x,y\n1,2\n3,4\n"},
    {"NewlineInArgument", {"-0"}, {"printf", "'[%s]'", "::::", "-", ":::", "x"}, std::string("a\nb\0", 4)},
};

std::vector<std::string> with_files(const std::vector<std::string>& words, const TempDir& dir) {
  std::vector<std::string> out;
  for (const std::string& w : words) out.push_back(w == "@F" ? (dir / "f.txt").string() : w == "@G" ? (dir / "g.txt").string() : w);
  return out;
}

struct Ran {
  int code = -1;
  std::string out;
  std::string err;
};

Ran run(std::vector<std::string> argv, const TempDir& dir, const std::string& tag) {
  test::Child child(std::move(argv), dir / (tag + ".out"), dir / (tag + ".err"), dir / "stdin");
  const int code = child.wait(std::chrono::seconds(60));
  return {code, test::read_file(dir / (tag + ".out")), test::read_file(dir / (tag + ".err"))};
}

class ParallelCompat : public testing::TestWithParam<OneLiner> {};

TEST_P(ParallelCompat, SameStdoutAsGnuParallel) {
  const std::filesystem::path parallel = test::find_program("parallel");
  if (parallel.empty()) GTEST_SKIP() << "GNU parallel is not installed (apt-get install parallel)";
  const OneLiner& c = GetParam();
  TempDir dir;
  test::write_file(dir / "f.txt", kFileF);
  test::write_file(dir / "g.txt", kFileG);
  test::write_file(dir / "stdin", c.stdin_text);
  ::setenv("PARALLEL_SHELL", "/bin/sh", 1);
  ::setenv("HOME", dir.path().c_str(), 1);  // parallel keeps state in ~/.parallel

  const std::vector<std::string> options = with_files(c.options, dir);
  const std::vector<std::string> command = with_files(c.command, dir);
  std::vector<std::string> gnu{parallel.string(), "-k"};
  gnu.insert(gnu.end(), options.begin(), options.end());
  gnu.insert(gnu.end(), command.begin(), command.end());
  std::vector<std::string> ours{test::zpipe_binary(), "-q", "run", "-k"};
  ours.insert(ours.end(), options.begin(), options.end());
  ours.push_back("--");
  ours.insert(ours.end(), command.begin(), command.end());

  const Ran expected = run(gnu, dir, "parallel");
  ASSERT_EQ(expected.code, 0) << "parallel failed: " << expected.err;
  const Ran got = run(ours, dir, "zpipe");
  EXPECT_EQ(got.code, 0) << got.err;
  EXPECT_EQ(got.out, expected.out) << "zpipe stderr: " << got.err;
}

INSTANTIATE_TEST_SUITE_P(OneLiners, ParallelCompat, testing::ValuesIn(kOneLiners),
                         [](const testing::TestParamInfo<OneLiner>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace zpipe
