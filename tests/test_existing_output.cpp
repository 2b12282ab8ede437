// Kubernetes issue, item 7 ("consistent restarts across modes") and item 6 (endpoints from
// the environment). One rule for an existing output file in `zpipe run` (both modes) and
// `zpipe sink`: continued only with --resume, replaced only with --fresh, refused (exit 2,
// the file untouched) with neither. The real binary, real processes, real ports.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "reliability_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ExistingOutput, CommandModeRefusesAFileThatHoldsRecordsUnlessToldWhich) {
  TempDir dir;
  const std::string out = (dir / "o.jsonl").string();
  ASSERT_EQ(run_zpipe({"run", "--output", out, "--", "echo", "{}"}, dir, seq(1, 3)).code, 0);
  const std::string first = read_file(out);

  const Outcome again = run_zpipe({"run", "--output", out, "--", "echo", "{}"}, dir, seq(1, 5));
  EXPECT_EQ(again.code, 2) << again.err;
  EXPECT_TRUE(has(again.err, out + " already holds 3 lines")) << again.err;
  EXPECT_TRUE(has(again.err, "--resume")) << again.err;
  EXPECT_EQ(read_file(out), first) << "a refused run must leave the file as it was";

  const Outcome other = run_zpipe({"run", "--output", out, "--", "echo", "x{}"}, dir, seq(1, 5));
  EXPECT_EQ(other.code, 2) << other.err;
  EXPECT_TRUE(has(other.err, "of another command or task")) << other.err;

  const Outcome resumed = run_zpipe({"run", "-v", "--output", out, "--resume", "--", "echo", "{}"}, dir, seq(1, 5));
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_TRUE(has(resumed.err, "resuming: 3 records already in " + out)) << resumed.err;
  EXPECT_EQ(ids_of(read_jsonl(out)).size(), 5u);

  const Outcome fresh = run_zpipe({"run", "--output", out, "--fresh", "--", "echo", "x{}"}, dir, seq(1, 2));
  EXPECT_EQ(fresh.code, 0) << fresh.err;
  const auto records = read_jsonl(out);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["output"].get<std::string>().substr(0, 1), "x");
}

TEST(ExistingOutput, AnEmptyFileNeedsNeitherFlag) {
  TempDir dir;
  write_file(dir / "o.jsonl", "");
  const Outcome o = run_zpipe({"run", "--output", (dir / "o.jsonl").string(), "--", "echo", "{}"}, dir, seq(1, 3));
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(count_lines(dir / "o.jsonl"), 3u);
}

TEST(ExistingOutput, FreshGoesWithoutResume) {
  TempDir dir;
  for (const char* resume : {"--resume", "--resume-failed"}) {
    const Outcome o = run_zpipe({"run", "--fresh", resume, "--output", (dir / "o.jsonl").string(), "--", "true"}, dir);
    EXPECT_EQ(o.code, 2) << o.err;
    EXPECT_TRUE(has(o.err, "--fresh")) << o.err;
  }
}

TEST(ExistingOutput, PipelineFileRunFollowsTheSameRule) {
  TempDir dir;
  Batch b;
  b.count = 20;
  const std::string file = b.write(dir);
  ASSERT_EQ(run_zpipe({"run", file}, dir).code, 0);
  const std::string first = read_file(dir / "out.jsonl");
  const Outcome again = run_zpipe({"run", file}, dir);
  EXPECT_EQ(again.code, 2) << again.err;
  EXPECT_TRUE(has(again.err, "already holds 20 lines")) << again.err;
  EXPECT_EQ(read_file(dir / "out.jsonl"), first);
  EXPECT_EQ(run_zpipe({"run", file, "--fresh"}, dir).code, 0);
  expect_square_records(read_jsonl(dir / "out.jsonl"), b.count);
}

// A sink runs as a service: a restarted one is given --resume and carries on with its
// journal; without a flag it refuses the journal before binding anything it could lose.
TEST(ExistingOutput, SinkRestartedWithResumeContinuesAndWithoutAFlagRefuses) {
  TempDir dir;
  Batch b;
  b.count = 30;
  const std::string file = b.write(dir);
  {
    Child sink = start_zpipe({"sink", "-c", file, "--resume"}, dir, "sink1");  // --resume on no file: a start
    Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent1");
    Child worker = start_zpipe({"worker", "-c", file}, dir, "worker1");
    ASSERT_EQ(sink.wait(30s), 0) << read_file(dir / "sink1.err");
    EXPECT_EQ(vent.wait(10s), 0) << read_file(dir / "vent1.err");
    EXPECT_EQ(worker.wait(10s), 0) << read_file(dir / "worker1.err");
  }
  const std::string journal = read_file(dir / "out.jsonl");

  const Outcome refused = run_zpipe({"sink", "-c", file}, dir, {}, 10s);
  EXPECT_EQ(refused.code, 2) << refused.err;
  EXPECT_TRUE(has(refused.err, "already holds 30 lines")) << refused.err;
  EXPECT_EQ(read_file(dir / "out.jsonl"), journal);

  const Outcome repair_alone = run_zpipe({"sink", "-c", file, "--repair"}, dir, {}, 10s);
  EXPECT_EQ(repair_alone.code, 2) << repair_alone.err;
  EXPECT_TRUE(has(repair_alone.err, "--repair")) << repair_alone.err;

  // The batch is whole: a resumed sink and a new ventilator end it at once, running nothing.
  Child sink = start_zpipe({"sink", "-c", file, "--resume"}, dir, "sink2");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent2");
  EXPECT_EQ(sink.wait(30s), 0) << read_file(dir / "sink2.err");
  EXPECT_EQ(vent.wait(10s), 0) << read_file(dir / "vent2.err");
  EXPECT_TRUE(has(read_file(dir / "sink2.err"), "resuming: 30 records already in")) << read_file(dir / "sink2.err");
  EXPECT_EQ(read_file(dir / "out.jsonl"), journal);
}

// Sets an environment variable for this test's children, and unsets it after.
class ScopedEnv {
public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  const char* name_;
};

// The file names ports nobody binds; ZPIPE_VENTILATOR and ZPIPE_SINK point the worker
// and the sink at the real ones: the batch completes.
TEST(EndpointEnvironment, WorkersAndSinkConnectWhereTheEnvironmentSays) {
  TempDir dir;
  Batch real;
  real.count = 40;
  const std::string file = real.write(dir);
  Batch elsewhere = real;  // same task, endpoints where nothing listens
  elsewhere.vent_port = free_port();
  elsewhere.sink_port = free_port();
  const std::string wrong = elsewhere.write(dir, "wrong.yaml");

  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  // The sink binds its own port: the flag; it connects to the ventilator: the environment.
  std::optional<Child> sink, worker;
  {
    const ScopedEnv v("ZPIPE_VENTILATOR", "tcp://localhost:" + std::to_string(real.vent_port));
    sink.emplace(start_zpipe({"sink", "-c", wrong, "--sink", "tcp://127.0.0.1:" + std::to_string(real.sink_port),
                              "--output", (dir / "out.jsonl").string()},
                             dir, "sink"));
    const ScopedEnv s("ZPIPE_SINK", "tcp://localhost:" + std::to_string(real.sink_port));
    worker.emplace(start_zpipe({"worker", "-c", wrong}, dir, "worker"));
  }
  EXPECT_EQ(vent.wait(30s), 0) << read_file(dir / "vent.err");
  EXPECT_EQ(sink->wait(10s), 0) << read_file(dir / "sink.err");
  EXPECT_EQ(worker->wait(10s), 0) << read_file(dir / "worker.err");
  expect_square_records(read_jsonl(dir / "out.jsonl"), real.count);
}

TEST(EndpointEnvironment, ABadValueIsAUsageErrorNamingTheVariable) {
  TempDir dir;
  Batch b;
  const std::string file = b.write(dir);
  const ScopedEnv v("ZPIPE_VENTILATOR", "tcp://*:5557");  // a bind address: peers cannot connect to it
  const Outcome o = run_zpipe({"worker", "-c", file}, dir, {}, 10s);
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_TRUE(has(o.err, "ZPIPE_VENTILATOR (environment)")) << o.err;
}

TEST(EndpointEnvironment, TheFlagWinsOverTheVariable) {
  TempDir dir;
  Batch b;
  b.count = 10;
  const std::string file = b.write(dir);
  Child sink = start_zpipe({"sink", "-c", file}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  const ScopedEnv v("ZPIPE_VENTILATOR", "tcp://*:1");  // would be refused if it were read
  const Outcome w = run_zpipe(
      {"worker", "-c", file, "--ventilator", "tcp://127.0.0.1:" + std::to_string(b.vent_port)}, dir, {}, 30s);
  EXPECT_EQ(w.code, 0) << w.err;
  EXPECT_EQ(sink.wait(10s), 0) << read_file(dir / "sink.err");
}

TEST(EndpointOverrides, FlagsThatMakeBothRolesBindOneAddressAreRefused) {
  TempDir dir;
  Batch b;
  const std::string file = b.write(dir);
  const Outcome o =
      run_zpipe({"sink", "-c", file, "--sink", "tcp://127.0.0.1:" + std::to_string(b.vent_port)}, dir, {}, 10s);
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_TRUE(has(o.err, "--sink: the ventilator and the sink would bind the same address")) << o.err;
}

}  // namespace
}  // namespace zpipe
