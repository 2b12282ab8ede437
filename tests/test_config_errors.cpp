// Tests of the config library, error paths: every error with its exact "FILE:LINE:COL:"
// position, unknown/missing keys, types, endpoints, whole-file errors and input limits.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "config_test_support.hpp"

using namespace zpipe::config;
using namespace zpipe::config::testing;
using namespace std::chrono_literals;
using zpipe::test::TempDir;

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
            "prefetch name grace orphan_after)");
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

TEST(ConfigTypes, PrefetchIsAutoOrANumber) {
  EXPECT_EQ(error_of(kHead + "workers: {prefetch: lots}\n"),
            "/tmp/x/p.yaml:7:21: workers.prefetch: expected 'auto' or a non-negative integer, got 'lots'");
  EXPECT_EQ(error_of(kHead + "workers: {prefetch: -1}\n"),
            "/tmp/x/p.yaml:7:21: workers.prefetch: expected 'auto' or a non-negative integer, got '-1'");
  EXPECT_FALSE(parse_pipeline(kHead + "workers: {prefetch: auto}\n", kFile).workers.prefetch.has_value());
  EXPECT_EQ(parse_pipeline(kHead + "workers: {prefetch: 2}\n", kFile).workers.prefetch, std::optional<std::uint32_t>(2));
}

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
  const fs::path file = write_in(dir, "conf/p.yaml", "version: 1\nname: disk\nsource: {lines: ../in.txt}\n"
                                                 "task: {builtin: echo}\nsink: {output: out.jsonl}\n");
  const Pipeline p = load_pipeline(file);
  EXPECT_EQ(p.name, "disk");
  EXPECT_EQ(p.file, file);
  EXPECT_EQ(std::get<LinesSource>(p.source).path, (dir.path() / "in.txt").string());
  EXPECT_EQ(p.sink.output, (dir.path() / "conf" / "out.jsonl").string());
}

TEST(ConfigFile, LoadErrorsNameTheFile) {
  TempDir dir;
  const fs::path bad = write_in(dir, "bad.yaml", "version: 1\nname: t\nsourse: {}\n");
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
