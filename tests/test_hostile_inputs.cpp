// Hostile input through the real binary: task output far beyond the capture limit, and
// inputs with NUL bytes, megabyte lines and bytes that are not UTF-8. Nothing may crash,
// memory stays small, and every record keeps the exact bytes.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <regex>
#include <string>
#include <tuple>
#include <utility>

#include "test_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::TempDir;

// --- 10. a gigabyte of output ---------------------------------------------------------------

TEST(Hostile, GigabyteOfOutputIsCutAtMaxOutputInSmallMemory) {
  TempDir dir;
  const auto out = dir / "o.jsonl";
  const auto o = test::run_zpipe(
      {"run", "-j", "2", "--output", out.string(), "--max-output", "1M", "--",
       "if [ {} = err ]; then yes | head -c 300000000 >&2; else yes | head -c 1000000000; fi"},
      dir, "out\nerr\n", 60s);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_LT(o.max_rss_kib, 200 * 1024) << "peak RSS " << o.max_rss_kib << " KiB";
  std::cout << "[ 1 GB of output ] peak RSS " << o.max_rss_kib / 1024 << " MiB\n";
  const auto records = test::read_jsonl(out);
  ASSERT_EQ(records.size(), 2u);
  std::string expected;
  while (expected.size() < (1u << 20)) expected += "y\n";
  for (const auto& r : records) {
    EXPECT_EQ(r["status"], "ok");
    EXPECT_EQ(r["truncated"], true);
    const bool err = r["input"] == "err";
    const std::string stream = r[err ? "stderr" : "output"].get<std::string>();
    EXPECT_EQ(stream.size(), 1u << 20) << "--max-output 1M";
    EXPECT_TRUE(stream == expected) << "the first 1 MiB, unchanged";
    EXPECT_EQ(r[err ? "output" : "stderr"], "");
  }

  // A small task.max_output from the file; NUL bytes in the output.
  test::write_file(dir / "p.yaml",
                   "version: 1\nname: big\nsource: { items: [a] }\n"
                   "task: { shell: \"head -c 5000000 /dev/zero; : {}\", max_output: 1000 }\n"
                   "sink: { output: small.jsonl }\n");
  const auto small = test::run_zpipe({"run", (dir / "p.yaml").string()}, dir, "", 30s);
  EXPECT_EQ(small.code, 0) << small.err;
  const std::string line = test::read_file(dir / "small.jsonl");
  const auto record = nlohmann::json::parse(line);
  EXPECT_EQ(record["output"], std::string(1000, '\0'));
  EXPECT_EQ(record["truncated"], true);
  EXPECT_NE(line.find("\\u0000"), std::string::npos);
}

// --- 11. NUL bytes, megabyte lines, invalid UTF-8 in the input ----------------------------------

// The record for `id` in a JSON Lines text, or nullopt if no line starts with that id.
// A line that does not parse (invalid UTF-8 may be written raw) is returned as a string.
std::map<long long, nlohmann::json> records_by_id(const std::string& text) {
  std::map<long long, nlohmann::json> by_id;
  std::size_t at = 0;
  for (std::size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1) {
    const std::string line = text.substr(at, nl - at);
    std::smatch m;
    EXPECT_TRUE(std::regex_search(line, m, std::regex(R"(^\{"id":(\d+),)"))) << line.substr(0, 200);
    const long long id = std::stoll(m[1].str());
    EXPECT_FALSE(by_id.contains(id)) << "id " << id << " twice";
    try {
      by_id[id] = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      by_id[id] = line;
    }
  }
  return by_id;
}

TEST(Hostile, InputsWithNulBytesAndMegabyteLinesAreRecorded) {
  TempDir dir;
  const std::string megabyte(1 << 20, 'x');
  const std::vector<std::string> lines = {std::string("a\0b", 3), std::string(1, '\0'), megabyte,
                                          "tab\there \"quoted\" \\ back", "\xff\xfe\xc3 invalid", "last"};
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  test::write_file(dir / "in.txt", text);
  const std::size_t invalid_id = 5;

  // Built-in echo: the input travels to the worker and back untouched.
  test::write_file(dir / "p.yaml", "version: 1\nname: nul\nsource: { lines: in.txt }\ntask: { builtin: echo }\n"
                                   "sink: { output: echo.jsonl }\n");
  const auto echo = test::run_zpipe({"run", (dir / "p.yaml").string()}, dir, "", 30s);
  EXPECT_EQ(echo.code, 0) << echo.err;
  const std::string echo_text = test::read_file(dir / "echo.jsonl");
  const auto echoed = records_by_id(echo_text);
  ASSERT_EQ(echoed.size(), lines.size());
  for (std::size_t id = 1; id <= lines.size(); ++id) {
    ASSERT_TRUE(echoed.contains(static_cast<long long>(id))) << id;
    if (id == invalid_id) continue;  // only that it has a record: its encoding is changing
    const auto& r = echoed.at(static_cast<long long>(id));
    EXPECT_EQ(r["input"], lines[id - 1]) << id;
    EXPECT_EQ(r["output"], lines[id - 1]) << id;
    EXPECT_EQ(r["status"], "ok") << id;
  }
  EXPECT_NE(echo_text.find(R"("input":"a\u0000b")"), std::string::npos);
  EXPECT_NE(echo_text.find(R"("input":"\u0000")"), std::string::npos);

  // A shell command over the same lines, GNU-parallel style. A NUL cannot reach an argv
  // (the task is not run) and 1 MiB exceeds one argument's limit; the records must still
  // say what the input was.
  const auto out = dir / "shell.jsonl";
  const auto shell = test::run_zpipe(
      {"run", "-a", (dir / "in.txt").string(), "--output", out.string(), "--", "printf %s {} | wc -c"}, dir, "",
      30s);
  EXPECT_TRUE(shell.code == 0 || shell.code == 1) << shell.code << shell.err;
  const auto ran = records_by_id(test::read_file(out));
  ASSERT_EQ(ran.size(), lines.size());
  for (std::size_t id = 1; id <= lines.size(); ++id) {
    ASSERT_TRUE(ran.contains(static_cast<long long>(id))) << id;
    if (id == invalid_id) continue;
    const auto& r = ran.at(static_cast<long long>(id));
    EXPECT_EQ(r["input"], lines[id - 1]) << id;
    if (id > 3) {  // a NUL cannot reach an argv, 1 MiB is E2BIG
      EXPECT_EQ(r["status"], "ok") << r.dump().substr(0, 300);
    }
  }
  const auto& last = ran.at(static_cast<long long>(lines.size()));
  EXPECT_EQ(last["output"], "4\n");
  for (long long id : {1, 2}) {  // not cut short and run as another command: refused, and said so
    const auto& r = ran.at(id);
    EXPECT_EQ(r["status"], "failed") << r.dump();
    EXPECT_TRUE(r["exit_code"].is_null()) << r.dump();
    EXPECT_EQ(r["stderr"].get<std::string>().rfind("zpipe: not run: the command line would hold a NUL byte", 0), 0u)
        << r.dump();
  }
  for (long long id : {1, 3}) {
    const auto& r = ran.at(id);
    std::cout << "[ shell task, input " << (id == 1 ? "with NUL" : "of 1 MiB") << " ] status " << r["status"]
              << ", exit_code " << r["exit_code"] << ", stderr " << r["stderr"].dump().substr(0, 100) << "\n";
  }
}

// A parent that closed zpipe's standard descriptors: none of ZeroMQ's own descriptors may
// take their numbers (the source would be read from one, records written into one).
TEST(Hostile, ClosedStandardDescriptorsAreNeitherReadNorWrittenByMistake) {
  TempDir dir;
  auto shell = [&](const std::string& script) {
    Child sh({"/bin/sh", "-c", script}, dir / "sh.out", dir / "sh.err");
    const int code = sh.wait(20s);
    return std::make_pair(code, test::read_file(dir / "sh.err"));
  };
  const std::string zpipe = ZPIPE_BINARY;
  // stdout closed, records to a file: they are all there.
  auto [code, err] =
      shell("printf '1\\n2\\n' | " + zpipe + " run --output " + (dir / "o.jsonl").string() + " -- echo {} >&-");
  EXPECT_EQ(code, 0) << err;
  EXPECT_EQ(test::read_jsonl(dir / "o.jsonl").size(), 2u) << err;
  // stdin closed: no input at all, an empty batch.
  std::tie(code, err) = shell(zpipe + " run --output " + (dir / "e.jsonl").string() + " -- echo {} <&-");
  EXPECT_EQ(code, 0) << err;
  EXPECT_TRUE(test::read_jsonl(dir / "e.jsonl").empty());
  // stdout closed and the records meant for it: a clear error, not a silent loss.
  std::tie(code, err) = shell("echo 1 | " + zpipe + " run -- echo {} >&-");
  EXPECT_EQ(code, 3) << err;
  EXPECT_NE(err.find("standard output is closed"), std::string::npos) << err;
}

}  // namespace
}  // namespace zpipe
