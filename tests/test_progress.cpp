// Issue 11, "progress", and issue 15: `zpipe run --bar` / `--eta` (a command or a pipeline
// file) and `zpipe sink --bar` draw a progress line on stderr when it is a terminal (here a
// real pseudo-terminal), redrawn on one line and cleared at the end, with log lines kept off
// it, and nothing when stderr is a file. The task's output on stdout is untouched either way.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <string>

#include "reliability_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;

// Runs zpipe with `args`, stdin from `input`, stdout to a file, stderr to a pseudo-terminal;
// returns everything the terminal received.
struct TerminalRun {
  int code = -1;
  std::string terminal;
  std::string out;
};
TerminalRun run_on_terminal(const std::vector<std::string>& args, const std::string& input, const TempDir& dir) {
  write_file(dir / "in", input);
  int master = -1, slave = -1;
  winsize size{};
  size.ws_col = 100;
  size.ws_row = 30;
  if (::openpty(&master, &slave, nullptr, nullptr, &size) != 0) throw std::runtime_error("openpty failed");
  const std::string slave_path = ::ttyname(slave);
  std::vector<std::string> argv{zpipe_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  Child child(argv, dir / "out", slave_path, dir / "in");
  ::close(slave);  // the child holds its own
  TerminalRun run;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      char buffer[4096];
      const ssize_t n = ::read(master, buffer, sizeof buffer);
      if (n > 0) {
        run.terminal.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (run.code != -1) break;  // EIO: the child and its terminal are gone
    }
    if (run.code == -1) run.code = child.wait(0ms);
    else break;
    if (std::chrono::steady_clock::now() > deadline) break;
  }
  if (run.code == -1) run.code = child.wait(5s);
  ::close(master);
  run.out = read_file(dir / "out");
  return run;
}
TerminalRun run_on_terminal(const std::vector<std::string>& args, const std::string& input) {
  TempDir dir;
  return run_on_terminal(args, input, dir);
}

// Every log line written while the line is drawn starts on a cleared line: after the last
// "\r\x1b[K" before it comes no progress text, only (colour and) the log's own.
void expect_logs_clear_the_line(const std::string& terminal) {
  const std::size_t first_draw = terminal.find(" done");
  if (first_draw == std::string::npos) return;
  for (std::size_t log = terminal.find("zpipe[", first_draw); log != std::string::npos;
       log = terminal.find("zpipe[", log + 1)) {
    const std::size_t clear = terminal.rfind("\r\x1b[K", log);
    ASSERT_NE(clear, std::string::npos);
    EXPECT_EQ(terminal.substr(clear, log - clear).find(" done"), std::string::npos)
        << "a log line shares the progress line:\n" << terminal.substr(clear, log - clear + 40);
  }
}

// A pipeline file of `count` tasks that take a moment each, records to dir/records.jsonl.
std::string slow_pipeline(const TempDir& dir, int count) {
  write_file(dir / "p.yaml", "version: 1\nname: progress\nsource: { range: { start: 1, count: " +
                                 std::to_string(count) + " } }\ntask: { shell: \"sleep 0.05; echo {}\" }\n"
                                 "workers: { count: 1, slots: 4 }\nsink: { output: records.jsonl }\n");
  return (dir / "p.yaml").string();
}

TEST(Progress, BarOnATerminalIsRedrawnOnOneLineAndClearedAtTheEnd) {
  const TerminalRun run = run_on_terminal({"run", "--bar", "-k", "-j", "4", "--", "sleep 0.05; echo {}"}, seq(1, 60));
  EXPECT_EQ(run.code, 0) << run.terminal;
  EXPECT_EQ(run.out, seq(1, 60)) << "stdout is the tasks' output only";
  EXPECT_NE(run.terminal.find("/60 done"), std::string::npos) << run.terminal;
  EXPECT_NE(run.terminal.find("%"), std::string::npos) << run.terminal;
  EXPECT_NE(run.terminal.find("["), std::string::npos) << "a bar\n" << run.terminal;
  EXPECT_EQ(run.terminal.find('\n'), std::string::npos) << "redrawn in place, never a new line\n" << run.terminal;
  ASSERT_GE(run.terminal.size(), 4u);
  EXPECT_EQ(run.terminal.substr(run.terminal.size() - 4), "\r\x1b[K") << "cleared at the end";
}

TEST(Progress, EtaShowsTheTimeLeft) {
  const TerminalRun run = run_on_terminal({"run", "--eta", "-j", "2", "--", "sleep 0.05; echo {}"}, seq(1, 30));
  EXPECT_EQ(run.code, 0) << run.terminal;
  EXPECT_NE(run.terminal.find("ETA "), std::string::npos) << run.terminal;
  EXPECT_NE(run.terminal.find("/30 done"), std::string::npos) << run.terminal;
}

TEST(Progress, AFailedTaskLineReplacesTheProgressLine) {
  const TerminalRun run = run_on_terminal({"run", "--bar", "-j", "2", "--", "sleep 0.3; test {} != 2"}, seq(1, 4));
  EXPECT_EQ(run.code, 1) << run.terminal;
  const std::size_t failure = run.terminal.find("zpipe: task 2 failed");
  ASSERT_NE(failure, std::string::npos) << run.terminal;
  EXPECT_EQ(run.terminal.substr(failure - 4, 4), "\r\x1b[K") << "the failure line starts on a cleared line";
}

TEST(Progress, PipelineFileRunDrawsTheLineAndLogsKeepOffIt) {
  TempDir dir;
  const std::string file = slow_pipeline(dir, 40);
  const TerminalRun run = run_on_terminal({"run", file, "--bar", "--fresh"}, "", dir);
  EXPECT_EQ(run.code, 0) << run.terminal;
  EXPECT_EQ(count_lines(dir / "records.jsonl"), 40u);
  EXPECT_NE(run.terminal.find("/40 done"), std::string::npos) << run.terminal;
  EXPECT_NE(run.terminal.find(" in flight"), std::string::npos) << run.terminal;
  EXPECT_NE(run.terminal.find("%"), std::string::npos) << run.terminal;
  expect_logs_clear_the_line(run.terminal);
  EXPECT_NE(run.terminal.find("40 tasks: 40 ok"), std::string::npos) << "the summary is logged after\n" << run.terminal;
}

// A sink alone knows records, failures and (once told) the total, not what is in flight.
TEST(Progress, SinkDrawsTheLineOfItsRecords) {
  TempDir dir;
  Batch b;
  b.count = 40;
  b.command = "sleep 0.05; echo {}";
  b.workers = "{ count: 1, slots: 4 }";
  const std::string file = b.write(dir);
  // --http: the ventilator reads its source ahead, so the sink learns the total at once.
  Child vent = start_zpipe({"ventilator", "-c", file, "--http", "127.0.0.1:0"}, dir, "ventilator");
  Child worker = start_zpipe({"worker", "-c", file}, dir, "worker");
  const TerminalRun run = run_on_terminal({"sink", "-c", file, "--bar", "--eta", "--fresh"}, "", dir);
  EXPECT_EQ(run.code, 0) << run.terminal;
  EXPECT_EQ(count_lines(dir / "out.jsonl"), 40u);
  EXPECT_NE(run.terminal.find("/40 done"), std::string::npos) << run.terminal;
  EXPECT_NE(run.terminal.find("ETA "), std::string::npos) << run.terminal;
  EXPECT_EQ(run.terminal.find("in flight"), std::string::npos) << run.terminal;
  expect_logs_clear_the_line(run.terminal);
  EXPECT_EQ(vent.wait(10s), 0);
}

TEST(Progress, NothingFromPipelineRunOrSinkWhenStderrIsNoTerminal) {
  TempDir dir;
  const auto run = run_zpipe({"run", slow_pipeline(dir, 8), "--bar", "--eta", "--fresh"}, dir);
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.err.find('\r'), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("/8 done"), std::string::npos) << run.err;

  Batch b;
  b.count = 8;
  const std::string file = b.write(dir, "roles.yaml");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "ventilator");
  Child worker = start_zpipe({"worker", "-c", file}, dir, "worker");
  Child sink = start_zpipe({"sink", "-c", file, "--bar", "--eta", "--fresh"}, dir, "sink");
  EXPECT_EQ(sink.wait(30s), 0);
  const std::string err = read_file(dir / "sink.err");
  EXPECT_EQ(err.find('\r'), std::string::npos) << err;
  EXPECT_EQ(err.find("/8 done"), std::string::npos) << err;
  EXPECT_NE(err.find("8 tasks: 8 ok"), std::string::npos) << err;
}

TEST(Progress, NothingWhenStderrIsNoTerminal) {
  TempDir dir;
  const auto o = run_zpipe({"run", "--bar", "--eta", "-j", "4", "--", "sleep 0.05; echo {}"}, dir, seq(1, 20));
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.err, "");
}

}  // namespace
}  // namespace zpipe
