// A worker without a pipeline file asks the ventilator what to run (ask_task ->
// task_definition): the message pair, the task read back from its canonical bytes, and the
// real binary: `zpipe worker --ventilator URL --sink URL` joining a head node's
// `zpipe run -- COMMAND` and a file's ventilator. Real processes on loopback.
#include <gtest/gtest.h>

#include <signal.h>

#include <map>

#include "reliability_support.hpp"
#include "zpipe/config/pipeline.hpp"
#include "zpipe/core/protocol.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;

std::string header_of(const core::Encoded& e) { return std::string(reinterpret_cast<const char*>(e.header), 2); }

config::TaskSpec task_of(const std::string& task_yaml) {
  return config::parse_pipeline("version: 1\nname: t\nsource: { range: { start: 1, count: 1 } }\n" + task_yaml, {})
      .task;
}

TEST(AskTask, TheMessagesRoundTrip) {
  const core::TaskDefinition sent{0x0102030405060708ull, true, std::string("zpipe-task/1\0\x01", 14)};
  const core::Encoded e = core::encode(sent);
  const core::Decoded d = core::decode(header_of(e), e.body);
  ASSERT_TRUE(d.message) << d.error;
  const auto& got = std::get<core::TaskDefinition>(*d.message);
  EXPECT_EQ(got.fingerprint, sent.fingerprint);
  EXPECT_TRUE(got.always_shell);
  EXPECT_EQ(got.canonical, sent.canonical);

  const core::Encoded ask = core::encode(core::AskTask{});
  EXPECT_EQ(ask.header[1], 7);
  EXPECT_TRUE(ask.body.empty());
  EXPECT_TRUE(std::holds_alternative<core::AskTask>(*core::decode(header_of(ask), ask.body).message));

  std::string bad = e.body;
  bad[8] = 2;  // the shell flag
  EXPECT_FALSE(core::decode(header_of(e), bad).message);
}

TEST(AskTask, EveryKindOfTaskComesBackFromItsCanonicalBytes) {
  for (const char* yaml : {"task: { shell: \"echo {} | tr a b\", timeout: 5s, retries: 2, max_output: 4KiB }",
                           "task: { argv: [printf, \"%s\\n\", \"{}\", \"a b\"] }",
                           "task: { builtin: sleep, ms: 20 }", "task: { builtin: spin }",
                           "task: { builtin: sha256, rounds: 3 }", "task: { builtin: noop }"}) {
    const config::TaskSpec task = task_of(yaml);
    const config::TaskSpec back =
        config::task_from_canonical_bytes(config::task_canonical_bytes(task), config::UseShell::automatic);
    EXPECT_EQ(config::task_canonical_bytes(back), config::task_canonical_bytes(task)) << yaml;
    EXPECT_EQ(config::task_fingerprint(back), config::task_fingerprint(task)) << yaml;
    EXPECT_EQ(config::describe_task(back), config::describe_task(task)) << yaml;
  }
  config::TaskSpec context = task_of("task: { shell: \"echo x{}y\" }");
  context.context_replace = true;  // zpipe run -X / -N
  EXPECT_TRUE(config::task_from_canonical_bytes(config::task_canonical_bytes(context), config::UseShell::automatic)
                  .context_replace);
  const config::TaskSpec shell = task_of("task: { shell: \"echo {}\" }");
  EXPECT_EQ(config::task_from_canonical_bytes(config::task_canonical_bytes(shell), config::UseShell::always).use_shell,
            config::UseShell::always);
}

TEST(AskTask, BytesThatAreNotOneCanonicalTaskAreRefused) {
  const std::string good = config::task_canonical_bytes(task_of("task: { argv: [echo, \"{}\"], timeout: 1s }"));
  for (std::size_t cut = 0; cut < good.size(); ++cut)
    EXPECT_THROW(config::task_from_canonical_bytes(good.substr(0, cut), config::UseShell::automatic),
                 std::invalid_argument)
        << "cut at " << cut;
  EXPECT_THROW(config::task_from_canonical_bytes(good + "x", config::UseShell::automatic), std::invalid_argument);
  std::string kind = good;
  kind[20] = 9;  // after the 8-byte length and "zpipe-task/1": the kind
  EXPECT_THROW(config::task_from_canonical_bytes(kind, config::UseShell::automatic), std::invalid_argument);
}

std::map<std::string, int> tasks_per_worker(const std::vector<nlohmann::json>& records) {
  std::map<std::string, int> n;
  for (const auto& r : records) ++n[r["worker"].get<std::string>().substr(0, 3)];
  return n;
}

// GNU parallel's -S without ssh: the head node's command runs on a worker that was given
// nothing but the two endpoints.
TEST(AskTask, AFilelessWorkerJoinsAHeadNodesCommandLine) {
  TempDir dir;
  const int port = free_port();
  write_file(dir / "in", seq(1, 80));
  Child head = start_zpipe({"run", "-j", "1", "--listen", "127.0.0.1:" + std::to_string(port), "--output",
                            (dir / "out.jsonl").string(), "--", "sleep 0.02; echo $(( {} * {} ))"},
                           dir, "head", dir / "in");
  Child remote = start_zpipe({"worker", "--ventilator", "tcp://127.0.0.1:" + std::to_string(port), "--sink",
                              "tcp://127.0.0.1:" + std::to_string(port + 1), "--name", "rem", "--slots", "2"},
                             dir, "remote");
  ASSERT_EQ(head.wait(60s), 0) << read_file(dir / "head.err");
  EXPECT_EQ(remote.wait(10s), 0) << read_file(dir / "remote.err");
  const auto records = read_jsonl(dir / "out.jsonl");
  expect_square_records(records, 80);
  EXPECT_GT(tasks_per_worker(records)["rem"], 0) << read_file(dir / "remote.err");
  EXPECT_NE(read_file(dir / "remote.err").find("the ventilator's task: shell: sleep 0.02"), std::string::npos);
}

// --keep-alive without a file: each batch's task is asked anew, so a next batch that runs
// another command is served too (with the first task kept, it would be refused).
TEST(AskTask, AFilelessKeptAliveWorkerServesBatchesOfDifferentTasks) {
  TempDir dir;
  const int port = free_port();
  Child worker = start_zpipe({"worker", "--ventilator", "tcp://127.0.0.1:" + std::to_string(port), "--sink",
                              "tcp://127.0.0.1:" + std::to_string(port + 1), "--name", "rem", "--keep-alive"},
                             dir, "remote");
  write_file(dir / "in", seq(1, 30));
  for (const char* letter : {"a", "b"}) {
    const std::string out = (dir / (std::string(letter) + ".jsonl")).string();
    Child head = start_zpipe({"run", "-j", "1", "--listen", "127.0.0.1:" + std::to_string(port), "--output", out, "--",
                              std::string("sleep 0.05; echo ") + letter + "{}"},
                             dir, std::string("head-") + letter, dir / "in");
    ASSERT_EQ(head.wait(60s), 0) << read_file(dir / (std::string("head-") + letter + ".err"));
    const auto records = read_jsonl(out);
    ASSERT_EQ(records.size(), 30u);
    int remote = 0;
    for (const auto& r : records) {
      EXPECT_EQ(r["output"].get<std::string>(), letter + r["input"].get<std::string>() + "\n");
      remote += r["worker"] == "rem" ? 1 : 0;
    }
    EXPECT_GT(remote, 0) << letter << ": the kept-alive worker ran nothing\n" << read_file(dir / "remote.err");
  }
  const Ended ended = signal_and_wait(worker, SIGTERM, 5s);
  EXPECT_EQ(ended.code, 143) << describe(ended) << read_file(dir / "remote.err");
}

TEST(AskTask, AFilelessWorkerServesAPipelineFilesVentilator) {
  TempDir dir;
  Batch b;
  b.count = 50;
  const std::string file = b.write(dir);
  Child sink = start_zpipe({"sink", "-c", file}, dir, "sink");
  Child vent = start_zpipe({"ventilator", "-c", file}, dir, "vent");
  const Outcome w = run_zpipe({"worker", "--ventilator", "tcp://127.0.0.1:" + std::to_string(b.vent_port), "--sink",
                               "tcp://127.0.0.1:" + std::to_string(b.sink_port)},
                              dir, {}, 30s);
  EXPECT_EQ(w.code, 0) << w.err;
  EXPECT_EQ(vent.wait(10s), 0) << read_file(dir / "vent.err");
  EXPECT_EQ(sink.wait(10s), 0) << read_file(dir / "sink.err");
  expect_square_records(read_jsonl(dir / "out.jsonl"), b.count);
}

TEST(AskTask, SigtermWhileAskingEndsTheWorkerAt143) {
  TempDir dir;
  Child w = start_zpipe({"worker", "--ventilator", "tcp://127.0.0.1:" + std::to_string(free_port()), "--sink",
                         "tcp://127.0.0.1:" + std::to_string(free_port())},
                        dir, "w");
  ASSERT_TRUE(wait_until([&] { return read_file(dir / "w.err").find("asking what to run") != std::string::npos; }, 10s))
      << read_file(dir / "w.err");
  const Ended ended = signal_and_wait(w, SIGTERM, 3s);
  EXPECT_EQ(ended.code, 143) << describe(ended);
}

TEST(AskTask, WithoutAFileBothEndpointsAreNeeded) {
  TempDir dir;
  const Outcome o = run_zpipe({"worker", "--ventilator", "tcp://127.0.0.1:5557"}, dir, {}, 10s);
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_NE(o.err.find("without -c FILE a worker needs --ventilator URL and --sink URL"), std::string::npos) << o.err;
  for (const char* role : {"ventilator", "sink"}) {
    const Outcome r = run_zpipe({role}, dir, {}, 10s);
    EXPECT_EQ(r.code, 2) << role << ": " << r.err;
    EXPECT_NE(r.err.find("--config is required"), std::string::npos) << role << ": " << r.err;
  }
}

}  // namespace
}  // namespace zpipe
