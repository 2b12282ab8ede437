// Tests of the config library: pipeline YAML -> validated structs, and every error path
// with its exact "FILE:LINE:COL:" position.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "zpipe/config/pipeline.hpp"

namespace fs = std::filesystem;
using namespace zpipe::config;
using namespace std::chrono_literals;

namespace {

const fs::path kFile = "/tmp/x/p.yaml";

// The smallest valid file; tests append sections to it (it is 6 lines long).
const std::string kHead = "version: 1\n"
                          "name: t\n"
                          "source:\n"
                          "  range: {count: 3}\n"
                          "task:\n"
                          "  shell: echo\n";

Pipeline parse(const std::string& text) { return parse_pipeline(text, kFile); }

// The message of the ConfigError that parsing `text` throws ("" and a test failure if none).
std::string error_of(const std::string& text, const fs::path& file = kFile) {
  try {
    parse_pipeline(text, file);
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a ConfigError: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

// A pipeline whose task section is `task` (lines 5.. of the file).
std::string with_task(const std::string& task) {
  return "version: 1\nname: t\nsource:\n  range: {count: 3}\ntask:\n" + task;
}

class TempDir {
public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "zpipe_config_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path file = path_ / name;
    std::ofstream(file) << text;
    return file;
  }

private:
  fs::path path_;
};

}  // namespace

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
  EXPECT_EQ(p.workers.prefetch, 0u);
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
  EXPECT_EQ(p.workers.prefetch, 8u);
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
}

TEST(ConfigDuration, Garbage) {
  for (const char* bad : {"5x", "-5s", "", "s", "1.5s", "5S", "ms5", "+5s", "8761h", "99999999999999999999s"})
    EXPECT_THROW(parse_duration(bad), std::invalid_argument) << bad;
  try {
    parse_duration("5x");
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "'5x' is not a duration (expected e.g. 500ms, 30s, 5m or 1h; a bare number is "
                 "seconds)");
  }
}

TEST(ConfigDuration, LoaderNamesTheKey) {
  EXPECT_EQ(error_of(with_task("  shell: x\n  timeout: 5x\n")),
            "/tmp/x/p.yaml:7:12: task.timeout: '5x' is not a duration (expected e.g. 500ms, 30s, "
            "5m or 1h; a bare number is seconds)");
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

// --- unknown, missing and duplicate keys --------------------------------------

TEST(ConfigKeys, UnknownTopLevelKeySuggests) {
  EXPECT_EQ(error_of("version: 1\nname: t\nsourse:\n  range: {count: 3}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:3:1: unknown key 'sourse' (did you mean 'source'?)");
  EXPECT_EQ(error_of(kHead + "wrokers: {count: 2}\n"),
            "/tmp/x/p.yaml:7:1: unknown key 'wrokers' (did you mean 'workers'?)");
}

TEST(ConfigKeys, UnknownNestedKeySuggests) {
  EXPECT_EQ(error_of(with_task("  shell: x\n  timout: 5s\n")),
            "/tmp/x/p.yaml:7:3: unknown key 'task.timout' (did you mean 'timeout'?)");
  EXPECT_EQ(error_of(kHead + "ventilator: {endpont: \"tcp://h:1\"}\n"),
            "/tmp/x/p.yaml:7:14: unknown key 'ventilator.endpont' (did you mean 'endpoint'?)");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource:\n  range: {count: 3, strat: 2}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:4:21: unknown key 'source.range.strat' (did you mean 'start'?)");
}

TEST(ConfigKeys, UnknownKeyWithoutNearMatchListsTheValidOnes) {
  EXPECT_EQ(error_of(kHead + "workers:\n  colour: blue\n"),
            "/tmp/x/p.yaml:8:3: unknown key 'workers.colour' (expected one of: count slots "
            "prefetch name grace)");
}

TEST(ConfigKeys, MissingRequiredKeys) {
  EXPECT_EQ(error_of("name: t\nsource: {range: {count: 1}}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:1:1: missing required key 'version'");
  EXPECT_EQ(error_of("version: 1\nsource: {range: {count: 1}}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:1:1: missing required key 'name'");
  EXPECT_EQ(error_of("version: 1\nname: t\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:1:1: missing required key 'source'");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource: {range: {count: 1}}\n"),
            "/tmp/x/p.yaml:1:1: missing required key 'task'");
  // The enclosing map's mark: the first key of the block map under task:.
  EXPECT_EQ(error_of(with_task("  timeout: 5s\n")),
            "/tmp/x/p.yaml:6:3: missing required key 'task.shell|argv|builtin'");
  // An empty section points at its key.
  EXPECT_EQ(error_of(with_task("")), "/tmp/x/p.yaml:5:1: missing required key 'task.shell|argv|builtin'");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource: {}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:3:9: missing required key 'source.range|lines|items'");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource:\n  range: {start: 5}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:4:10: missing required key 'source.range.count'");
}

TEST(ConfigKeys, MutuallyExclusiveKinds) {
  EXPECT_EQ(error_of(with_task("  shell: x\n  builtin: noop\n")),
            "/tmp/x/p.yaml:7:3: task: 'shell' and 'builtin' are mutually exclusive (give exactly one)");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource: {items: [a], lines: f}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:3:22: source: 'items' and 'lines' are mutually exclusive (give exactly one)");
}

TEST(ConfigKeys, DuplicateKeys) {
  EXPECT_EQ(error_of(kHead + "name: u\n"), "/tmp/x/p.yaml:7:1: duplicate key 'name'");
  EXPECT_EQ(error_of(with_task("  shell: x\n  retries: 1\n  retries: 2\n")),
            "/tmp/x/p.yaml:8:3: duplicate key 'task.retries'");
}

TEST(ConfigKeys, NonScalarKey) {
  EXPECT_EQ(error_of(kHead + "? [a, b]\n: 1\n"),
            "/tmp/x/p.yaml:7:3: expected a key name, got a list");
}

// --- wrong types and values ---------------------------------------------------

TEST(ConfigTypes, Integers) {
  EXPECT_EQ(error_of(with_task("  shell: x\n  retries: abc\n")),
            "/tmp/x/p.yaml:7:12: task.retries: expected a non-negative integer, got 'abc'");
  EXPECT_EQ(error_of(with_task("  shell: x\n  retries: -1\n")),
            "/tmp/x/p.yaml:7:12: task.retries: expected a non-negative integer, got '-1'");
  EXPECT_EQ(error_of(with_task("  shell: x\n  retries: 1.5\n")),
            "/tmp/x/p.yaml:7:12: task.retries: expected a non-negative integer, got '1.5'");
  EXPECT_EQ(error_of(with_task("  shell: x\n  retries: 5000000000\n")),
            "/tmp/x/p.yaml:7:12: task.retries: 5000000000 is too large (at most 4294967295)");
  EXPECT_EQ(error_of(with_task("  shell: x\n  retries: {a: 1}\n")),
            "/tmp/x/p.yaml:7:12: task.retries: expected a non-negative integer, got a map");
  EXPECT_EQ(error_of(with_task("  shell: x\n  retries:\n")),
            "/tmp/x/p.yaml:7:3: task.retries: expected a non-negative integer, got nothing (null)");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource: {range: {start: x, count: 1}}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:3:25: source.range.start: expected an integer, got 'x'");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource: {range: {count: 99999999999999999999}}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:3:25: source.range.count: 99999999999999999999 is too large (at most "
            "18446744073709551615)");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource: {range: {start: 9223372036854775807, count: 2}}\n"
                     "task: {shell: x}\n"),
            "/tmp/x/p.yaml:3:53: source.range.count: start + count - 1 does not fit a 64-bit "
            "integer (start 9223372036854775807, count 2)");
  EXPECT_NO_THROW(parse("version: 1\nname: t\nsource: {range: {start: 9223372036854775807, count: 1}}\n"
                        "task: {shell: x}\n"));
}

TEST(ConfigTypes, LowerBounds) {
  EXPECT_EQ(error_of(kHead + "workers: {count: 0}\n"),
            "/tmp/x/p.yaml:7:18: workers.count: must be at least 1, got 0");
  EXPECT_EQ(error_of(kHead + "workers: {slots: 0}\n"),
            "/tmp/x/p.yaml:7:18: workers.slots: must be at least 1, got 0");
  EXPECT_EQ(error_of(kHead + "ventilator: {window: 0}\n"),
            "/tmp/x/p.yaml:7:22: ventilator.window: must be at least 1, got 0");
  EXPECT_EQ(error_of(kHead + "ventilator: {liveness: 0}\n"),
            "/tmp/x/p.yaml:7:24: ventilator.liveness: must be at least 1, got 0");
  EXPECT_EQ(error_of(with_task("  builtin: sha256\n  rounds: 0\n")),
            "/tmp/x/p.yaml:7:11: task.rounds: must be at least 1, got 0");
}

TEST(ConfigTypes, StringsListsAndMaps) {
  EXPECT_EQ(error_of("version: 1\nname: [a]\nsource: {items: [a]}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:2:7: name: expected a string, got a list");
  EXPECT_EQ(error_of("version: 1\nname: \"\"\nsource: {items: [a]}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:2:7: name: must not be empty");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource: range\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:3:9: source: expected a map, got 'range'");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource: {items: a}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:3:17: source.items: expected a list of scalars, got 'a'");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource: {items: [a, [b]]}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:3:21: source.items[1]: expected a scalar, got a list");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource: {lines: \"\"}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:3:17: source.lines: expected a file path or '-' (stdin), got ''");
  EXPECT_EQ(error_of("version: 1\nname: t\nsource: {items: [a]}\ntask: [shell]\n"),
            "/tmp/x/p.yaml:4:7: task: expected a map, got a list");
}

TEST(ConfigTypes, TaskKinds) {
  EXPECT_EQ(error_of(with_task("  shell: \"\"\n")), "/tmp/x/p.yaml:6:10: task.shell: must not be empty");
  EXPECT_EQ(error_of(with_task("  argv: []\n")),
            "/tmp/x/p.yaml:6:9: task.argv: must not be empty (give the program and its arguments)");
  EXPECT_EQ(error_of(with_task("  argv: ls -l\n")),
            "/tmp/x/p.yaml:6:9: task.argv: expected a list of strings, got 'ls -l'");
  EXPECT_EQ(error_of(with_task("  argv: [ls, {a: 1}]\n")),
            "/tmp/x/p.yaml:6:14: task.argv[1]: expected a string, got a map");
  EXPECT_EQ(error_of(with_task("  argv: [\"\", x]\n")),
            "/tmp/x/p.yaml:6:10: task.argv[0]: the program name must not be empty");
  EXPECT_EQ(error_of(with_task("  builtin: slep\n")),
            "/tmp/x/p.yaml:6:12: task.builtin: unknown builtin 'slep' (expected one of noop, "
            "echo, sleep, spin, sha256; did you mean 'sleep'?)");
  EXPECT_EQ(error_of(with_task("  builtin: md5\n")),
            "/tmp/x/p.yaml:6:12: task.builtin: unknown builtin 'md5' (expected one of noop, "
            "echo, sleep, spin, sha256)");
}

TEST(ConfigTypes, BuiltinParameterOnTheWrongBuiltin) {
  EXPECT_EQ(error_of(with_task("  builtin: spin\n  ms: 5\n")),
            "/tmp/x/p.yaml:7:3: task.ms: only valid with 'builtin: sleep' (this task is builtin "
            "spin, which takes 'us')");
  EXPECT_EQ(error_of(with_task("  builtin: sleep\n  us: 5\n")),
            "/tmp/x/p.yaml:7:3: task.us: only valid with 'builtin: spin' (this task is builtin "
            "sleep, which takes 'ms')");
  EXPECT_EQ(error_of(with_task("  builtin: echo\n  rounds: 5\n")),
            "/tmp/x/p.yaml:7:3: task.rounds: only valid with 'builtin: sha256' (this task is "
            "builtin echo)");
  EXPECT_EQ(error_of(with_task("  shell: sleep 1\n  ms: 5\n")),
            "/tmp/x/p.yaml:7:3: task.ms: only valid with 'builtin: sleep'");
  EXPECT_EQ(error_of(with_task("  builtin: sleep\n  ms: 90000000\n")),
            "/tmp/x/p.yaml:7:7: task.ms: 90000000 is too large (at most 86400000)");
}

// --- endpoints ----------------------------------------------------------------

TEST(ConfigEndpoint, ValidForms) {
  for (const char* endpoint : {"tcp://localhost:5557", "tcp://10.0.0.1:1", "tcp://[::1]:65535",
                               "tcp://[fe80::1%eth0]:5557", "tcp://my-host.example.org:80",
                               "ipc:///tmp/zpipe.sock", "ipc://rel.sock", "inproc://vent"}) {
    SCOPED_TRACE(endpoint);
    EXPECT_EQ(parse(kHead + "ventilator: {endpoint: \"" + endpoint + "\"}\n").ventilator.address.endpoint,
              endpoint);
  }
  for (const char* bind : {"tcp://*:5557", "tcp://*:*", "tcp://0.0.0.0:5557", "tcp://eth0:5557",
                           "tcp://[::]:5557"}) {
    SCOPED_TRACE(bind);
    EXPECT_EQ(parse(kHead + "sink: {bind: \"" + bind + "\"}\n").sink.address.bind_address(), bind);
  }
}

TEST(ConfigEndpoint, InvalidForms) {
  const std::string expected = " is not a ZeroMQ endpoint (expected tcp://HOST:PORT, ipc://PATH or "
                               "inproc://NAME)";
  for (const char* bad : {"tcp://foo", "tcp://:5557", "udp://h:1", "localhost:5557", "tcp://h:55a",
                          "tcp://h:", "ipc://", "inproc://", "tcp://h :1", "tcp://[::1:5557",
                          "tcp://a/b:1", "tcp://[]:1", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(error_of(kHead + "ventilator: {endpoint: \"" + bad + "\"}\n"),
              std::string("/tmp/x/p.yaml:7:24: ventilator.endpoint: '") + bad + "'" + expected);
  }
  EXPECT_EQ(error_of(kHead + "sink:\n  bind: tcp://*:70000\n"),
            "/tmp/x/p.yaml:8:9: sink.bind: 'tcp://*:70000' is not a ZeroMQ endpoint: port 70000 is "
            "out of range (1-65535)");
  EXPECT_EQ(error_of(kHead + "sink:\n  endpoint: tcp://h:0\n"),
            "/tmp/x/p.yaml:8:13: sink.endpoint: 'tcp://h:0' is not a ZeroMQ endpoint: port 0 is out "
            "of range (1-65535)");
  EXPECT_EQ(error_of(kHead + "sink:\n  endpoint: [tcp://h:1]\n"),
            "/tmp/x/p.yaml:8:13: sink.endpoint: expected a ZeroMQ endpoint string, got a list");
}

TEST(ConfigEndpoint, StarOnlyInBind) {
  EXPECT_EQ(error_of(kHead + "ventilator:\n  endpoint: \"tcp://*:5557\"\n"),
            "/tmp/x/p.yaml:8:13: ventilator.endpoint: 'tcp://*:5557': host '*' is only valid in "
            "'bind', not in an address peers connect to (give a host name or address and a port, "
            "e.g. tcp://127.0.0.1:5557)");
  EXPECT_EQ(error_of(kHead + "ventilator:\n  endpoint: \"tcp://h:*\"\n"),
            "/tmp/x/p.yaml:8:13: ventilator.endpoint: 'tcp://h:*': port '*' is only valid in "
            "'bind', not in an address peers connect to (give a host name or address and a port, "
            "e.g. tcp://127.0.0.1:5557)");
}

TEST(ConfigEndpoint, BindAndEndpointMustShareATransport) {
  EXPECT_EQ(error_of(kHead + "ventilator:\n  bind: ipc:///tmp/v\n"),
            "/tmp/x/p.yaml:8:9: ventilator.bind: 'ipc:///tmp/v' and ventilator.endpoint "
            "'tcp://127.0.0.1:5557' use different transports (set endpoint to the address peers "
            "connect to)");
  EXPECT_NO_THROW(parse(kHead + "ventilator:\n  bind: ipc:///tmp/v\n  endpoint: ipc:///tmp/v\n"));
}

TEST(ConfigEndpoint, VentilatorAndSinkCannotBindTheSameAddress) {
  EXPECT_EQ(error_of(kHead + "ventilator: {bind: \"tcp://*:7000\"}\nsink: {bind: \"tcp://*:7000\"}\n"),
            "/tmp/x/p.yaml:8:14: sink: binds the same address as the ventilator ('tcp://*:7000')");
  EXPECT_EQ(error_of(kHead + "ventilator: {endpoint: \"tcp://127.0.0.1:5558\"}\n"),
            "/tmp/x/p.yaml:7:24: ventilator: binds the same address as the sink "
            "('tcp://127.0.0.1:5558')");
}

// --- versions, syntax and whole-file errors -------------------------------------

TEST(ConfigFile, Version) {
  EXPECT_EQ(error_of("version: 2\nname: t\n"),
            "/tmp/x/p.yaml:1:10: version: unsupported version 2 (this zpipe reads version 1)");
  // The version is checked before unknown keys (a newer file fails on its version).
  EXPECT_EQ(error_of("version: 3\nnew_key: 1\n"),
            "/tmp/x/p.yaml:1:10: version: unsupported version 3 (this zpipe reads version 1)");
  EXPECT_EQ(error_of("version: one\n"), "/tmp/x/p.yaml:1:10: version: expected an integer, got 'one'");
}

TEST(ConfigFile, YamlSyntaxErrorHasLineAndColumn) {
  EXPECT_EQ(error_of("version: 1\nname: [t\n"),
            "/tmp/x/p.yaml:3:1: YAML syntax error: end of sequence flow not found");
  EXPECT_EQ(error_of("version: 1\nname: t\n  bad: 2\n"),
            "/tmp/x/p.yaml:3:6: YAML syntax error: illegal map value");
  // yaml-cpp 0.7 loops forever on these (jbeder/yaml-cpp#1040); they must fail, not hang.
  EXPECT_EQ(error_of(",version: 1\nname: t\n"), "/tmp/x/p.yaml:1:1: YAML syntax error: unexpected ','");
  EXPECT_EQ(error_of(kHead + "---\n,\n"), "/tmp/x/p.yaml:8:1: YAML syntax error: unexpected ','");
}

TEST(ConfigFile, EmptyAndNonMapFiles) {
  const std::string empty =
      "/tmp/x/p.yaml:1:1: empty pipeline file (expected a map with version, name, source and task)";
  EXPECT_EQ(error_of(""), empty);
  EXPECT_EQ(error_of("# nothing\n\n"), empty);
  EXPECT_EQ(error_of("---\n"), empty);
  EXPECT_EQ(error_of("\n- version: 1\n"),
            "/tmp/x/p.yaml:2:1: expected a map with version, name, source and task at the top "
            "level, got a list");
  EXPECT_EQ(error_of("hello\n"),
            "/tmp/x/p.yaml:1:1: expected a map with version, name, source and task at the top "
            "level, got 'hello'");
  EXPECT_EQ(error_of(kHead + "---\nversion: 1\n"),
            "/tmp/x/p.yaml:7:1: more than one YAML document (a pipeline file holds one)");
  EXPECT_NO_THROW(parse(kHead + "---\n"));  // a trailing empty document is harmless
}

TEST(ConfigFile, LoadFromDiskResolvesAgainstItsFolder) {
  TempDir dir;
  fs::create_directory(dir.path() / "conf");
  const fs::path file = dir.write("conf/p.yaml", "version: 1\nname: disk\nsource: {lines: ../in.txt}\n"
                                                 "task: {builtin: echo}\nsink: {output: out.jsonl}\n");
  const Pipeline p = load_pipeline(file);
  EXPECT_EQ(p.name, "disk");
  EXPECT_EQ(p.file, file);
  EXPECT_EQ(std::get<LinesSource>(p.source).path, (dir.path() / "in.txt").string());
  EXPECT_EQ(p.sink.output, (dir.path() / "conf" / "out.jsonl").string());
}

TEST(ConfigFile, LoadErrorsNameTheFile) {
  TempDir dir;
  const fs::path bad = dir.write("bad.yaml", "version: 1\nname: t\nsourse: {}\n");
  try {
    load_pipeline(bad);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              bad.string() + ":3:1: unknown key 'sourse' (did you mean 'source'?)");
  }
  const fs::path missing = dir.path() / "missing.yaml";
  try {
    load_pipeline(missing);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), missing.string() + ": cannot read: No such file or directory");
  }
  try {
    load_pipeline(dir.path());
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), dir.path().string() + ": cannot read: Is a directory");
  }
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
  EXPECT_EQ(defaults.halt.after_failures, 0u);
  EXPECT_FALSE(defaults.resume);

  const Pipeline p = parse(kHead + "sink: {output: o.jsonl, fsync: always}\nworkers: {grace: 5s}\n"
                                   "halt: {on: failure, after: 3}\nresume: true\n");
  EXPECT_EQ(p.sink.fsync, FsyncPolicy::always);
  EXPECT_EQ(p.workers.grace, 5s);
  EXPECT_EQ(p.halt.after_failures, 3u);
  EXPECT_TRUE(p.resume);
  EXPECT_EQ(parse(kHead + "sink: {fsync: never}\n").sink.fsync, FsyncPolicy::never);
  EXPECT_EQ(parse(kHead + "halt: {on: failure}\n").halt.after_failures, 1u);
  EXPECT_FALSE(parse(kHead + "resume: false\n").resume);

  const std::string text = describe(p);
  for (const char* part : {"fsync always", "grace 5s", "after 3 failed tasks", "resume     yes"})
    EXPECT_NE(text.find(part), std::string::npos) << "missing '" << part << "' in:\n" << text;
}

TEST(ConfigReliability, Errors) {
  EXPECT_EQ(error_of(kHead + "sink: {fsync: sometimes}\n"),
            "/tmp/x/p.yaml:7:15: sink.fsync: expected never, interval or always, got 'sometimes'");
  EXPECT_EQ(error_of(kHead + "workers: {grace: 5x}\n"),
            "/tmp/x/p.yaml:7:18: workers.grace: '5x' is not a duration (expected e.g. 500ms, 30s, "
            "5m or 1h; a bare number is seconds)");
  EXPECT_EQ(error_of(kHead + "halt: {after: 3}\n"), "/tmp/x/p.yaml:7:7: missing required key 'halt.on'");
  EXPECT_EQ(error_of(kHead + "halt: {on: success}\n"),
            "/tmp/x/p.yaml:7:12: halt.on: expected 'failure', got 'success'");
  EXPECT_EQ(error_of(kHead + "halt: {on: failure, after: 0}\n"),
            "/tmp/x/p.yaml:7:28: halt.after: must be at least 1, got 0");
  EXPECT_EQ(error_of(kHead + "halt: 3\n"), "/tmp/x/p.yaml:7:7: halt: expected a map, got '3'");
  EXPECT_EQ(error_of(kHead + "resume: yes\n"),
            "/tmp/x/p.yaml:7:9: resume: needs sink.output (the output file is the journal)");
  EXPECT_EQ(error_of(kHead + "resume: maybe\n"),
            "/tmp/x/p.yaml:7:9: resume: expected true or false, got 'maybe'");
  EXPECT_EQ(error_of(kHead + "hlat: {on: failure}\n"),
            "/tmp/x/p.yaml:7:1: unknown key 'hlat' (did you mean 'halt'?)");
}

// --- limits that keep a hostile file from taking the machine (fuzz/fuzz_config) ---------

TEST(ConfigLimits, FileOfAtMost1MiB) {
  // kHead, then a comment that pads the file to exactly 1 MiB: accepted.
  const std::size_t limit = 1 << 20;
  std::string text = kHead + "#" + std::string(limit - kHead.size() - 2, 'x') + "\n";
  ASSERT_EQ(text.size(), limit);
  EXPECT_EQ(parse(text).name, "t");
  // One byte more is refused, pointing at the first byte past the limit.
  text.insert(text.size() - 1, "x");
  EXPECT_EQ(error_of(text), "/tmp/x/p.yaml:7:" + std::to_string(limit - kHead.size() + 1) +
                                ": file too large (1048577 bytes; a pipeline file holds at most "
                                "1MiB: put long input lists in a 'lines:' file)");
}

TEST(ConfigLimits, AliasesCannotBlowListsUp) {
  // "Billion laughs" against a loader that copies every item: before the limit, a 500 KB
  // file naming a 100 KB anchor 100000 times made `zpipe check` allocate 10 GB.
  const std::string anchor = "&a " + std::string(64 * 1024, 'x');
  auto list = [&](int aliases) {
    std::string text = "[" + anchor;
    for (int i = 0; i < aliases; ++i) text += ", *a";
    return text + "]";
  };
  // 16 x 64 KiB is 1 MiB exactly: accepted.
  const Pipeline ok =
      parse("version: 1\nname: t\nsource: {items: " + list(15) + "}\ntask: {shell: x}\n");
  EXPECT_EQ(std::get<ItemsSource>(ok.source).items.size(), 16u);
  const std::string why =
      ": the list adds up to more than 1MiB of text (aliases count their anchor's text each time)";
  EXPECT_EQ(error_of("version: 1\nname: t\nsource: {items: " + list(16) + "}\ntask: {shell: x}\n"),
            "/tmp/x/p.yaml:3:17: source.items[16]" + why);
  EXPECT_EQ(error_of(with_task("  argv: " + list(16) + "\n")), "/tmp/x/p.yaml:6:9: task.argv[16]" + why);
}

TEST(ConfigLimits, NestingOfAtMost64Levels) {
  auto nested = [](std::size_t n) { return std::string(n, '[') + std::string(n, ']'); };
  // The top-level map and 63 lists: read, then refused as the wrong type.
  EXPECT_EQ(error_of("version: 1\nname: " + nested(63) + "\n"),
            "/tmp/x/p.yaml:2:7: name: expected a string, got a list");
  // One level more is refused where it starts, however deep it goes (yaml-cpp's own limit,
  // 2000, said "bad file" at a vague place).
  const std::string deep = "/tmp/x/p.yaml:2:70: lists and maps nested more than 64 levels deep";
  EXPECT_EQ(error_of("version: 1\nname: " + nested(64) + "\n"), deep);
  EXPECT_EQ(error_of("version: 1\nname: " + nested(5000) + "\n"), deep);
}

TEST(ConfigLimits, ErrorsStayOnOneLine) {
  // Found by fuzz/fuzz_config: a quoted value or key with control characters broke the
  // one-line "FILE:LINE:COL: message" form; they are escaped now.
  EXPECT_EQ(error_of("version: \"1\\n2\"\n"),
            "/tmp/x/p.yaml:1:10: version: expected an integer, got '1\\n2'");
  EXPECT_EQ(error_of(kHead + "\"work\\rers\\t\\x01\": 1\n"),
            "/tmp/x/p.yaml:7:1: unknown key 'work\\rers\\t\\x01' (expected one of: version name source "
            "task ventilator sink workers halt resume)");
}
