// Tests of the config library, valid files: pipeline YAML -> validated structs, defaults,
// durations, fingerprint and describe(). Error paths are in test_config_errors.cpp.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "config_test_support.hpp"

using namespace zpipe::config;
using namespace zpipe::config::testing;
using namespace std::chrono_literals;
using zpipe::test::TempDir;

// --- valid files ------------------------------------------------------------

TEST(ConfigLoad, MinimalFileGetsDefaults) {
  const Pipeline p = parse(kHead);
  EXPECT_EQ(p.version, 1);
  EXPECT_EQ(p.name, "t");
  EXPECT_EQ(p.file, kFile);
  const auto& range = std::get<RangeSource>(p.source);
  EXPECT_EQ(range.start, 1);
  EXPECT_EQ(range.count, 3u);
  EXPECT_EQ(p.task.kind, TaskKind::shell);
  EXPECT_EQ(p.task.shell, "echo");
  EXPECT_EQ(p.task.timeout, 0ms);
  EXPECT_EQ(p.task.retries, 0u);
  EXPECT_EQ(p.task.max_output, 1u << 20);
  EXPECT_EQ(p.ventilator.address.endpoint, "tcp://127.0.0.1:5557");
  EXPECT_EQ(p.ventilator.address.bind, "");
  EXPECT_EQ(p.ventilator.address.bind_address(), "tcp://127.0.0.1:5557");
  EXPECT_EQ(p.ventilator.window, 100000u);
  EXPECT_EQ(p.ventilator.heartbeat, 1000ms);
  EXPECT_EQ(p.ventilator.liveness, 5u);
  EXPECT_EQ(p.sink.address.endpoint, "tcp://127.0.0.1:5558");
  EXPECT_EQ(p.sink.output, "");
  EXPECT_EQ(p.sink.summary, "");
  EXPECT_FALSE(p.sink.ordered);
  EXPECT_EQ(p.workers.count, 1u);
  EXPECT_EQ(p.workers.slots, 1u);
  EXPECT_FALSE(p.workers.prefetch.has_value());  // auto
  EXPECT_EQ(p.workers.name, "");
}

TEST(ConfigLoad, FullFileFromTheSchema) {
  const Pipeline p = parse(R"yaml(version: 1
name: squares
source:   { range: { start: -5, count: 1000 } }
task:     { shell: "echo $(( {} * {} ))", timeout: 30s, retries: 2, max_output: 64KiB }
ventilator: { endpoint: "tcp://127.0.0.1:6557", bind: "tcp://*:6557", window: 10, heartbeat: 500ms, liveness: 3 }
sink:     { endpoint: "tcp://host.example:6558", bind: "tcp://*:6558", output: squares.jsonl, summary: summary.json, ordered: true }
workers:  { count: 4, slots: 2, prefetch: 8, name: "w" }
)yaml");
  EXPECT_EQ(p.name, "squares");
  EXPECT_EQ(std::get<RangeSource>(p.source).start, -5);
  EXPECT_EQ(std::get<RangeSource>(p.source).count, 1000u);
  EXPECT_EQ(p.task.shell, "echo $(( {} * {} ))");
  EXPECT_EQ(p.task.timeout, 30s);
  EXPECT_EQ(p.task.retries, 2u);
  EXPECT_EQ(p.task.max_output, 64u * 1024);
  EXPECT_EQ(p.ventilator.address.endpoint, "tcp://127.0.0.1:6557");
  EXPECT_EQ(p.ventilator.address.bind_address(), "tcp://*:6557");
  EXPECT_EQ(p.ventilator.window, 10u);
  EXPECT_EQ(p.ventilator.heartbeat, 500ms);
  EXPECT_EQ(p.ventilator.liveness, 3u);
  EXPECT_EQ(p.sink.address.endpoint, "tcp://host.example:6558");
  EXPECT_EQ(p.sink.address.bind, "tcp://*:6558");
  EXPECT_EQ(p.sink.output, "/tmp/x/squares.jsonl");
  EXPECT_EQ(p.sink.summary, "/tmp/x/summary.json");
  EXPECT_TRUE(p.sink.ordered);
  EXPECT_EQ(p.workers.count, 4u);
  EXPECT_EQ(p.workers.slots, 2u);
  EXPECT_EQ(p.workers.prefetch, std::optional<std::uint32_t>(8));
  EXPECT_EQ(p.workers.name, "w");
}

TEST(ConfigLoad, EmptySectionsMeanDefaults) {
  const Pipeline p = parse(kHead + "ventilator:\nsink: ~\nworkers: {}\n");
  EXPECT_EQ(p.ventilator.address.endpoint, "tcp://127.0.0.1:5557");
  EXPECT_EQ(p.sink.address.endpoint, "tcp://127.0.0.1:5558");
  EXPECT_EQ(p.workers.count, 1u);
}

TEST(ConfigSource, RangeWithStartAndEmptyRange) {
  auto range = std::get<RangeSource>(
      parse("version: 1\nname: t\nsource: {range: {start: 10, count: 0}}\ntask: {shell: x}\n").source);
  EXPECT_EQ(range.start, 10);
  EXPECT_EQ(range.count, 0u);
}

TEST(ConfigSource, LinesResolveAgainstTheFilesFolder) {
  auto lines_of = [](const std::string& value) {
    return std::get<LinesSource>(
               parse("version: 1\nname: t\nsource: {lines: " + value + "}\ntask: {shell: x}\n")
                   .source)
        .path;
  };
  EXPECT_EQ(lines_of("in.txt"), "/tmp/x/in.txt");
  EXPECT_EQ(lines_of("data/./in.txt"), "/tmp/x/data/in.txt");
  EXPECT_EQ(lines_of("../in.txt"), "/tmp/in.txt");
  EXPECT_EQ(lines_of("/abs/in.txt"), "/abs/in.txt");
  EXPECT_EQ(lines_of("\"-\""), "-");
  EXPECT_EQ(lines_of("-"), "-");
}

TEST(ConfigSource, RelativeFileNameResolvesAgainstCurrentDirectory) {
  const Pipeline p = parse_pipeline(
      "version: 1\nname: t\nsource: {lines: in.txt}\ntask: {shell: x}\nsink: {output: o.jsonl}\n",
      "sub/p.yaml");
  const fs::path cwd = fs::current_path();
  EXPECT_EQ(std::get<LinesSource>(p.source).path, (cwd / "sub/in.txt").lexically_normal().string());
  EXPECT_EQ(p.sink.output, (cwd / "sub/o.jsonl").lexically_normal().string());
}

TEST(ConfigSource, Items) {
  auto items = std::get<ItemsSource>(
      parse("version: 1\nname: t\nsource:\n  items: [a, 2, \"c d\", 1.5]\ntask: {shell: x}\n")
          .source);
  EXPECT_EQ(items.items, (std::vector<std::string>{"a", "2", "c d", "1.5"}));
  auto empty = std::get<ItemsSource>(
      parse("version: 1\nname: t\nsource: {items: []}\ntask: {shell: x}\n").source);
  EXPECT_TRUE(empty.items.empty());
}

TEST(ConfigTask, ShellArgvAndTimeouts) {
  const Pipeline shell = parse(with_task("  shell: sha1sum {}\n  timeout: 5m\n  retries: 3\n"));
  EXPECT_EQ(shell.task.kind, TaskKind::shell);
  EXPECT_EQ(shell.task.timeout, 5min);
  EXPECT_EQ(shell.task.retries, 3u);

  const Pipeline argv = parse(with_task("  argv: [convert, \"{}\", \"{.}.png\"]\n  timeout: 90\n"));
  EXPECT_EQ(argv.task.kind, TaskKind::argv);
  EXPECT_EQ(argv.task.argv, (std::vector<std::string>{"convert", "{}", "{.}.png"}));
  EXPECT_EQ(argv.task.timeout, 90s);
}

TEST(ConfigTask, EachBuiltinWithItsParameters) {
  auto task_of = [](const std::string& body) { return parse(with_task(body)).task; };
  EXPECT_EQ(task_of("  builtin: noop\n").builtin, Builtin::noop);
  EXPECT_EQ(task_of("  builtin: echo\n").builtin, Builtin::echo);

  const TaskSpec sleep = task_of("  builtin: sleep\n  ms: 250\n");
  EXPECT_EQ(sleep.kind, TaskKind::builtin);
  EXPECT_EQ(sleep.builtin, Builtin::sleep);
  EXPECT_EQ(sleep.ms, 250u);
  EXPECT_FALSE(task_of("  builtin: sleep\n").ms.has_value());

  const TaskSpec spin = task_of("  builtin: spin\n  us: 700\n");
  EXPECT_EQ(spin.builtin, Builtin::spin);
  EXPECT_EQ(spin.us, 700u);
  EXPECT_FALSE(spin.ms.has_value());

  const TaskSpec sha = task_of("  builtin: sha256\n  rounds: 1000\n");
  EXPECT_EQ(sha.builtin, Builtin::sha256);
  EXPECT_EQ(sha.rounds, 1000u);
  EXPECT_EQ(task_of("  builtin: sha256\n").rounds, 1u);
}

TEST(ConfigTask, MaxOutputSizes) {
  auto max_output = [](const std::string& value) {
    return parse(with_task("  shell: x\n  max_output: " + value + "\n")).task.max_output;
  };
  EXPECT_EQ(max_output("4096"), 4096u);
  EXPECT_EQ(max_output("64KiB"), 65536u);
  EXPECT_EQ(max_output("1MiB"), 1048576u);
  EXPECT_EQ(max_output("1MB"), 1000000u);
  EXPECT_EQ(max_output("2kb"), 2000u);
  EXPECT_EQ(max_output("0"), 0u);
  EXPECT_EQ(error_of(with_task("  shell: x\n  max_output: 2GiB\n")),
            "/tmp/x/p.yaml:7:15: task.max_output: '2GiB' is too large (at most 1GiB)");
  EXPECT_EQ(error_of(with_task("  shell: x\n  max_output: lots\n")),
            "/tmp/x/p.yaml:7:15: task.max_output: 'lots' is not a size (expected bytes, or a "
            "number with B, KB, KiB, MB, MiB, GB or GiB, e.g. 64KiB)");
}

TEST(ConfigTask, BoolSpellings) {
  EXPECT_TRUE(parse(kHead + "sink: {ordered: yes}\n").sink.ordered);
  EXPECT_FALSE(parse(kHead + "sink: {ordered: off}\n").sink.ordered);
  EXPECT_EQ(error_of(kHead + "sink: {ordered: maybe}\n"),
            "/tmp/x/p.yaml:7:17: sink.ordered: expected true or false, got 'maybe'");
}

TEST(ConfigSink, OutputDashIsStdoutAndSummaryChecks) {
  EXPECT_EQ(parse(kHead + "sink: {output: \"-\"}\n").sink.output, "");
  EXPECT_EQ(parse(kHead + "sink: {output: /var/out.jsonl}\n").sink.output, "/var/out.jsonl");
  EXPECT_EQ(error_of(kHead + "sink: {summary: \"-\"}\n"),
            "/tmp/x/p.yaml:7:17: sink.summary: '-' (stdout) is not supported; give a file path");
  EXPECT_EQ(error_of(kHead + "sink: {output: a.json, summary: ./a.json}\n"),
            "/tmp/x/p.yaml:7:33: sink.summary: same file as sink.output ('/tmp/x/a.json')");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource: {lines: in.txt}\ntask: {shell: x}\n"
                     "sink: {output: in.txt}\n"),
            "/tmp/x/p.yaml:5:16: sink.output: same file as source.lines ('/tmp/x/in.txt')");
}

// --- durations ----------------------------------------------------------------

TEST(ConfigDuration, Units) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("30s"), 30s);
  EXPECT_EQ(parse_duration("5m"), 5min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("45"), 45s);
  EXPECT_EQ(parse_duration("0"), 0ms);
  EXPECT_EQ(parse_duration("2 s"), 2s);
  EXPECT_EQ(parse_duration("8760h"), 8760h);
  // Decimals, as GNU parallel's --timeout 1.5 (below a millisecond is dropped).
  EXPECT_EQ(parse_duration("1.5"), 1500ms);
  EXPECT_EQ(parse_duration("0.25s"), 250ms);
  EXPECT_EQ(parse_duration("1.5m"), 90s);
  EXPECT_EQ(parse_duration("2.5ms"), 2ms);
}

TEST(ConfigDuration, Garbage) {
  for (const char* bad : {"5x", "-5s", "", "s", "1.", "1.s", ".5", "1.5.5", "1.0000000001", "5S", "ms5", "+5s",
                          "8761h", "99999999999999999999s"})
    EXPECT_THROW(parse_duration(bad), std::invalid_argument) << bad;
  try {
    parse_duration("5x");
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "'5x' is not a duration (expected e.g. 500ms, 30s, 1.5s, 5m or 1h; a bare number is "
                 "seconds)");
  }
}

TEST(ConfigDuration, LoaderNamesTheKey) {
  EXPECT_EQ(error_of(with_task("  shell: x\n  timeout: 5x\n")),
            "/tmp/x/p.yaml:7:12: task.timeout: '5x' is not a duration (expected e.g. 500ms, 30s, "
            "1.5s, 5m or 1h; a bare number is seconds)");
  EXPECT_EQ(error_of(with_task("  shell: x\n  timeout: -5s\n")),
            "/tmp/x/p.yaml:7:12: task.timeout: '-5s' is negative (a duration must be >= 0)");
  EXPECT_EQ(error_of(with_task("  shell: x\n  timeout: [5]\n")),
            "/tmp/x/p.yaml:7:12: task.timeout: expected a duration (e.g. 500ms, 30s, 5m, 1h), got "
            "a list");
  EXPECT_EQ(error_of(kHead + "ventilator:\n  heartbeat: 0s\n"),
            "/tmp/x/p.yaml:8:14: ventilator.heartbeat: must be greater than 0");
  EXPECT_EQ(error_of(kHead + "ventilator:\n  heartbeat: 2h\n"),
            "/tmp/x/p.yaml:8:14: ventilator.heartbeat: must be at most 1h");
}

// --- fingerprint, describe, to_string -------------------------------------------

TEST(ConfigFingerprint, EqualForEqualSpecs) {
  const TaskSpec a = parse(with_task("  shell: echo {}\n  timeout: 1s\n")).task;
  const TaskSpec b = parse(with_task("  timeout: 1000ms\n  shell: echo {}\n")).task;
  EXPECT_EQ(task_fingerprint(a), task_fingerprint(b));
  EXPECT_EQ(task_fingerprint(TaskSpec{}), task_fingerprint(TaskSpec{}));
}

TEST(ConfigFingerprint, IsStableAcrossBuilds) {
  // Pinned (checked against an independent FNV-1a of the documented serialization):
  // workers and ventilators built separately must agree.
  TaskSpec task;
  task.shell = "echo {}";
  EXPECT_EQ(task_fingerprint(task), 0x0e2edbb283528637ull);
}

TEST(ConfigFingerprint, DiffersWhenAnythingThatMattersDiffers) {
  TaskSpec base;
  base.kind = TaskKind::builtin;
  base.builtin = Builtin::sha256;
  const std::uint64_t h = task_fingerprint(base);
  auto changed = [&](auto&& change) {
    TaskSpec other = base;
    change(other);
    return task_fingerprint(other);
  };
  EXPECT_NE(h, changed([](TaskSpec& t) { t.rounds = 2; }));
  EXPECT_NE(h, changed([](TaskSpec& t) { t.builtin = Builtin::echo; }));
  EXPECT_NE(h, changed([](TaskSpec& t) { t.timeout = Duration(1); }));
  EXPECT_NE(h, changed([](TaskSpec& t) { t.retries = 1; }));
  EXPECT_NE(h, changed([](TaskSpec& t) { t.max_output = 1; }));
  EXPECT_NE(h, changed([](TaskSpec& t) { t.ms = 0; }));  // present 0 != absent

  TaskSpec shell;
  shell.shell = "echo a";
  TaskSpec other_shell = shell;
  other_shell.shell = "echo b";
  EXPECT_NE(task_fingerprint(shell), task_fingerprint(other_shell));

  // Word boundaries count: ["ab", "c"] != ["a", "bc"] != shell "ab c".
  TaskSpec argv1;
  argv1.kind = TaskKind::argv;
  argv1.argv = {"ab", "c"};
  TaskSpec argv2 = argv1;
  argv2.argv = {"a", "bc"};
  EXPECT_NE(task_fingerprint(argv1), task_fingerprint(argv2));
  TaskSpec shell_abc;
  shell_abc.shell = "ab c";
  EXPECT_NE(task_fingerprint(argv1), task_fingerprint(shell_abc));
}

TEST(ConfigFingerprint, IgnoresFieldsOfOtherKinds) {
  TaskSpec a;
  a.kind = TaskKind::builtin;
  a.builtin = Builtin::noop;
  TaskSpec b = a;
  b.shell = "stale";
  b.argv = {"stale"};
  EXPECT_EQ(task_fingerprint(a), task_fingerprint(b));
}

TEST(ConfigDescribe, MentionsTheResolvedTopology) {
  const Pipeline p = parse(R"yaml(version: 1
name: squares
source: {range: {start: 1, count: 1000}}
task: {shell: "echo $(( {} * {} ))", timeout: 30s, retries: 2}
ventilator: {endpoint: "tcp://10.0.0.5:5557", bind: "tcp://*:5557"}
sink: {endpoint: "tcp://10.0.0.5:5558", output: out.jsonl}
workers: {count: 4, slots: 2}
)yaml");
  const std::string text = describe(p);
  for (const char* part : {"squares", "/tmp/x/p.yaml", "range 1..1000 (1000 tasks)",
                           "shell: echo $(( {} * {} ))", "timeout 30s, retries 2",
                           "bind tcp://*:5557, connect tcp://10.0.0.5:5557",
                           "bind and connect tcp://10.0.0.5:5558", "output /tmp/x/out.jsonl",
                           "4 workers x 2 slots"}) {
    EXPECT_NE(text.find(part), std::string::npos) << "missing '" << part << "' in:\n" << text;
  }
}

TEST(ConfigDescribe, OtherSourcesAndTasks) {
  const std::string items = describe(parse("version: 1\nname: t\nsource: {items: [a, b]}\n"
                                           "task: {builtin: sleep, ms: 5}\n"));
  EXPECT_NE(items.find("2 items: \"a\", \"b\""), std::string::npos) << items;
  EXPECT_NE(items.find("builtin sleep (5ms each)"), std::string::npos) << items;
  const std::string lines = describe(parse("version: 1\nname: t\nsource: {lines: \"-\"}\n"
                                           "task: {argv: [wc, -c]}\n"));
  EXPECT_NE(lines.find("lines of stdin"), std::string::npos) << lines;
  EXPECT_NE(lines.find("argv: [\"wc\", \"-c\"]"), std::string::npos) << lines;
  EXPECT_NE(describe(parse("version: 1\nname: t\nsource: {range: {count: 0}}\ntask: {shell: x}\n"))
                .find("empty, 0 tasks"),
            std::string::npos);
}

TEST(ConfigBuiltin, ToString) {
  EXPECT_STREQ(to_string(Builtin::noop), "noop");
  EXPECT_STREQ(to_string(Builtin::echo), "echo");
  EXPECT_STREQ(to_string(Builtin::sleep), "sleep");
  EXPECT_STREQ(to_string(Builtin::spin), "spin");
  EXPECT_STREQ(to_string(Builtin::sha256), "sha256");
}

// --- reliability keys: sink.fsync, workers.grace, halt, resume ------------------

TEST(ConfigReliability, DefaultsAndValues) {
  const Pipeline defaults = parse(kHead);
  EXPECT_EQ(defaults.sink.fsync, FsyncPolicy::interval);
  EXPECT_EQ(defaults.workers.grace, 30s);
  EXPECT_EQ(defaults.halt.after, 0u);
  EXPECT_FALSE(defaults.resume);

  const Pipeline p = parse(kHead + "sink: {output: o.jsonl, fsync: always}\nworkers: {grace: 5s}\n"
                                   "halt: {on: failure, after: 3}\nresume: true\n");
  EXPECT_EQ(p.sink.fsync, FsyncPolicy::always);
  EXPECT_EQ(p.workers.grace, 5s);
  EXPECT_EQ(p.halt.after, 3u);
  EXPECT_TRUE(p.resume);
  EXPECT_EQ(parse(kHead + "sink: {fsync: never}\n").sink.fsync, FsyncPolicy::never);
  EXPECT_EQ(parse(kHead + "halt: {on: failure}\n").halt.after, 1u);
  EXPECT_FALSE(parse(kHead + "resume: false\n").resume);

  const std::string text = describe(p);
  for (const char* part : {"fsync always", "grace 5s", "halt       soon (running tasks finish), once 3 tasks failed or timed out",
                          "resume     yes"})
    EXPECT_NE(text.find(part), std::string::npos) << "missing '" << part << "' in:\n" << text;
}

TEST(ConfigReliability, Errors) {
  EXPECT_EQ(error_of(kHead + "sink: {fsync: sometimes}\n"),
            "/tmp/x/p.yaml:7:15: sink.fsync: expected never, interval or always, got 'sometimes'");
  EXPECT_EQ(error_of(kHead + "workers: {grace: 5x}\n"),
            "/tmp/x/p.yaml:7:18: workers.grace: '5x' is not a duration (expected e.g. 500ms, 30s, "
            "1.5s, 5m or 1h; a bare number is seconds)");
  EXPECT_EQ(error_of(kHead + "halt: {after: 3}\n"), "/tmp/x/p.yaml:7:7: missing required key 'halt.on'");
  EXPECT_EQ(error_of(kHead + "halt: {on: succes}\n"),
            "/tmp/x/p.yaml:7:12: halt.on: expected failure, success or done, got 'succes'");
  EXPECT_EQ(error_of(kHead + "halt: {on: failure, after: 0}\n"),
            "/tmp/x/p.yaml:7:28: halt.after: expected a count (>= 1) or a percentage 1%-100%, got '0'");
  EXPECT_EQ(error_of(kHead + "halt: {on: failure, after: 101%}\n"),
            "/tmp/x/p.yaml:7:28: halt.after: expected a count (>= 1) or a percentage 1%-100%, got '101%'");
  EXPECT_EQ(error_of(kHead + "halt: {on: failure, when: later}\n"),
            "/tmp/x/p.yaml:7:27: halt.when: expected soon or now, got 'later'");
  EXPECT_EQ(error_of(kHead + "halt: 3\n"), "/tmp/x/p.yaml:7:7: halt: expected a map, got '3'");
  EXPECT_EQ(error_of(kHead + "resume: yes\n"),
            "/tmp/x/p.yaml:7:9: resume: needs sink.output (the output file is the journal)");
  EXPECT_EQ(error_of(kHead + "resume: maybe\n"),
            "/tmp/x/p.yaml:7:9: resume: expected true or false, got 'maybe'");
  EXPECT_EQ(error_of(kHead + "hlat: {on: failure}\n"),
            "/tmp/x/p.yaml:7:1: unknown key 'hlat' (did you mean 'halt'?)");
}
