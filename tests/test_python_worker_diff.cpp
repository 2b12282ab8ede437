// Differential test: the same tasks run by zpipe's worker alone and by the Python worker
// alone (each run: a real ventilator, sink and that one worker) give the same records,
// byte for byte, apart from `worker` and `ms`. This is what docs/tasks.md promises a worker
// written from the docs; each case below is an edge of it.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "python_worker_support.hpp"
#include "test_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::read_file;
using test::TempDir;

// Awkward inputs, one per line: spaces, quotes, substitutions, globs, paths, an empty line,
// bytes that are not UTF-8, a tab, a carriage return, braces, a NUL byte (such a task is
// refused, not run).
const std::string kAwkwardLines = std::string("a b\nit's\nsay \"hi\"\n$(echo pwned)\n`id`\na;b\n*.txt\n") +
                                  ".hidden\ndir/\na/b.c.d\n\xff\xfe\xc3\n\n/\na//b\nfile.\ntab\there\n{}\n" +
                                  "~user\nx\r\n!x\n-n\n" + std::string("nul\0byte\n", 9);

// Records as text without the two fields that may differ (who ran it, how long it took).
std::string comparable(const std::string& records) {
  static const std::regex worker(R"re(,"worker":"(?:[^"\\]|\\.)*")re");
  static const std::regex ms(R"re(,"ms":[0-9.]+)re");
  return std::regex_replace(std::regex_replace(records, worker, ""), ms, "");
}

// Runs the batch with one worker (zpipe's or the Python one); returns its records in input
// order (sink.ordered), made comparable.
std::string run_with(bool python, const std::string& source, const std::string& task, std::size_t expected) {
  TempDir dir;
  test::write_file(dir / "lines.txt", kAwkwardLines);
  const int vent_port = test::free_port(), sink_port = test::free_port();
  const std::string file = (dir / "p.yaml").string();
  test::write_file(file, "version: 1\nname: diff\nsource: " + source + "\ntask:\n" + task +
                             "ventilator: { endpoint: \"tcp://127.0.0.1:" + std::to_string(vent_port) +
                             "\", heartbeat: 200ms, liveness: 5 }\n"
                             "sink: { endpoint: \"tcp://127.0.0.1:" + std::to_string(sink_port) +
                             "\", output: out.jsonl, ordered: true }\n"
                             "workers: { slots: 4 }\n");
  Child sink = test::start_zpipe({"sink", "-c", file}, dir, "sink");
  Child vent = test::start_zpipe({"ventilator", "-c", file}, dir, "vent");
  Child worker = python ? test::start_python_worker({"-c", file, "--name", "py"}, dir, "worker")
                        : test::start_zpipe({"worker", "-c", file, "--name", "cpp"}, dir, "worker");
  EXPECT_EQ(worker.wait(20s), 0) << read_file(dir / "worker.err");
  // 0, or 1 when a task failed: compared between the two runs.
  const int vent_code = vent.wait(10s), sink_code = sink.wait(10s);
  EXPECT_TRUE(vent_code == 0 || vent_code == 1) << read_file(dir / "vent.err");
  EXPECT_EQ(sink_code, vent_code) << read_file(dir / "sink.err");
  const std::string records = read_file(dir / "out.jsonl");
  EXPECT_EQ(test::count_lines(dir / "out.jsonl"), expected) << records;
  return "exit " + std::to_string(vent_code) + "\n" + comparable(records);
}

void expect_same_records(const std::string& source, const std::string& task, std::size_t expected) {
  SCOPED_TRACE("source: " + source + "\ntask:\n" + task);
  const std::string cpp = run_with(false, source, task, expected);
  const std::string py = run_with(true, source, task, expected);
  EXPECT_EQ(py, cpp);
}

const std::size_t kAwkwardCount = static_cast<std::size_t>(std::count(kAwkwardLines.begin(), kAwkwardLines.end(), '\n'));
const std::string kLines = "{ lines: lines.txt }";

TEST(PythonWorkerDiff, ShellPlaceholdersOnAwkwardInputs) {
  expect_same_records(kLines, "  shell: \"printf '[%s]' {} {#} {.} {/} {//} {/.} x{y}\"\n", kAwkwardCount);
}

TEST(PythonWorkerDiff, PositionalPlaceholdersOnAwkwardInputs) {
  // A one-input task's input is argument 1; {2} and {-2} are beyond it (empty).
  expect_same_records(kLines, "  shell: \"printf '[%s]' {1} {-1} {1.} {1/} {1//} {-1/.} {2} {-2} {0} {1x}\"\n",
                      kAwkwardCount);
  expect_same_records(kLines, "  argv: [printf, \"[%s][%s][%s]\", \"{1}\", \"{-1/}{2}\", \"{1//}\"]\n", kAwkwardCount);
}

TEST(PythonWorkerDiff, ShellWithoutPlaceholderAppendsTheQuotedInput) {
  expect_same_records(kLines, "  shell: \"printf '<%s>'\"\n", kAwkwardCount);
}

TEST(PythonWorkerDiff, ArgvPlaceholdersAndAppendedInput) {
  expect_same_records(kLines, "  argv: [printf, \"[%s][%s][%s]\", \"{}\", \"{/.}{//}\", \"{#}\"]\n", kAwkwardCount);
  expect_same_records(kLines, "  argv: [printf, \"%s|\", 1.50]\n", kAwkwardCount);
}

TEST(PythonWorkerDiff, EchoAndSha256BuiltinsWithTruncation) {
  expect_same_records(kLines, "  builtin: echo\n  max_output: 3\n", kAwkwardCount);
  expect_same_records(kLines, "  builtin: sha256\n  rounds: 2\n", kAwkwardCount);
  expect_same_records("{ items: [a, b] }", "  builtin: noop\n", 2);
}

TEST(PythonWorkerDiff, SleepAndSpinOnGoodAndBadInputsWithTimeoutAndRetries) {
  expect_same_records("{ items: [\"5\", \"300\", x, \"\", \"-1\", \"1.5\", \" 7\", \"99999999999999999999999\", \"007\"] }",
                      "  builtin: sleep\n  timeout: 50ms\n  retries: 1\n  max_output: 12\n", 9);
  expect_same_records("{ items: [\"100\", abc, \"2000000\"] }", "  builtin: spin\n  timeout: 20ms\n  retries: 2\n", 3);
}

TEST(PythonWorkerDiff, FailuresSignalsTimeoutsAndTruncationOfShellTasks) {
  const std::string task =
      "  shell: |\n"
      "    case {} in\n"
      "      fail) echo out; echo err >&2; exit 3;;\n"
      "      kill9) kill -9 $$;;\n"
      "      term) echo bye >&2; kill -TERM $$;;\n"
      "      missing) zpipe-no-such-program-x;;\n"
      "      slow) sleep 5;;\n"
      "      partial) printf part; sleep 5;;\n"
      "      long) head -c 100 /dev/zero | tr '\\0' a; head -c 30 /dev/zero | tr '\\0' b >&2;;\n"
      "      exact) printf 0123456789;;\n"
      "      sigpipe) yes | head -c 4;;\n"
      "    esac\n"
      "  timeout: 300ms\n  retries: 1\n  max_output: 10\n";
  expect_same_records("{ items: [fail, kill9, term, missing, slow, partial, long, exact, sigpipe] }", task, 9);
}

TEST(PythonWorkerDiff, ProgramsThatCannotStartAndMaxOutputZero) {
  expect_same_records("{ items: [zpipe-no-such-program-x, /etc/passwd, /tmp, \"\", /etc/passwd/x, \"true\", \"false\"] }",
                      "  argv: [\"{}\"]\n", 7);
  expect_same_records("{ items: [abc, \"\"] }", "  shell: \"printf %s {}; printf %s {} >&2\"\n  max_output: 0\n", 2);
}

}  // namespace
}  // namespace zpipe
