// Issue 10, "the journal is trusted too much": on --resume every line of the output must be
// a whole record, of an id not seen before and within the batch. A bad line is refused with
// FILE:LINE and what is wrong (the file untouched, exit 3), or with --repair removed (every
// removal logged, the file rewritten whole) and its task run again.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <set>
#include <string>
#include <vector>

#include "reliability_support.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;

// A finished batch of 30 squares in out.jsonl, written by `zpipe run`. Lines are edited as
// ordered_json: a record keeps its fields in the order the sink writes them.
struct Journal {
  TempDir dir;
  std::filesystem::path file = dir / "p.yaml";
  std::filesystem::path out = dir / "out.jsonl";

  explicit Journal(const std::string& source = "{ range: { count: 30 } }") {
    write_file(file, "version: 1\nname: journal\nsource: " + source +
                         "\ntask: { shell: \"echo $(( {} * {} ))\" }\nsink: { output: out.jsonl }\n"
                         "workers: { count: 2 }\n");
    const auto first = run_zpipe({"run", file.string()}, dir);
    EXPECT_EQ(first.code, 0) << first.err;
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out_lines;
    std::string text = read_file(out), line;
    for (char c : text) {
      if (c == '\n') out_lines.push_back(line), line.clear();
      else line += c;
    }
    return out_lines;
  }
  void write(const std::vector<std::string>& new_lines) const {
    std::string text;
    for (const auto& l : new_lines) text += l + "\n";
    write_file(out, text);
  }
  // --resume refuses the file, naming the line and the fault, and leaves it as it was.
  void expect_refused(int line, const std::string& what) const {
    const std::string before = read_file(out);
    const auto o = run_zpipe({"run", "--resume", file.string()}, dir);
    EXPECT_EQ(o.code, 3) << o.err;
    EXPECT_NE(o.err.find(out.string() + ":" + std::to_string(line) + ": " + what), std::string::npos) << o.err;
    EXPECT_NE(o.err.find("--repair"), std::string::npos) << "the error says how to mend it\n" << o.err;
    EXPECT_EQ(read_file(out), before) << "a refused journal is not touched";
  }
  // --resume --repair removes the line, says so, and the batch ends with 30 whole records.
  void expect_repaired(int line) const {
    const auto o = run_zpipe({"run", "--resume", "--repair", file.string()}, dir);
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.err.find(out.string() + ":" + std::to_string(line) + ": removed"), std::string::npos) << o.err;
    for (const auto& l : lines()) EXPECT_TRUE(nlohmann::json::accept(l)) << l;
    expect_square_records(read_jsonl(out), 30);
  }
};

TEST(Journal, DuplicateRecordIsRefusedThenRepaired) {
  Journal j;
  auto lines = j.lines();
  ASSERT_EQ(lines.size(), 30u);
  lines.push_back(lines[4]);  // a duplicated ok line
  j.write(lines);
  const long long id = nlohmann::json::parse(lines[4])["id"];
  j.expect_refused(31, "a second record for id " + std::to_string(id));
  j.expect_repaired(31);
}

TEST(Journal, DuplicateFailedRecordIsRefusedToo) {
  Journal j;
  auto lines = j.lines();
  nlohmann::ordered_json failed = nlohmann::ordered_json::parse(lines[9]);
  failed["status"] = "failed";
  failed["exit_code"] = 1;
  lines.insert(lines.begin() + 3, failed.dump());  // an earlier failed record of the same id
  j.write(lines);
  j.expect_refused(11, "a second record for id " + std::to_string(failed["id"].get<long long>()));
}

TEST(Journal, LineCutAfterItsStatusIsNotARecord) {
  Journal j;
  auto lines = j.lines();
  lines[6] = lines[6].substr(0, lines[6].find("\"status\":\"ok\"") + 13);  // newline kept
  j.write(lines);
  j.expect_refused(7, "not a whole zpipe record (at byte ");
  j.expect_repaired(7);
}

TEST(Journal, IdBeyondTheBatchIsRefusedThenRepaired) {
  Journal j;
  auto lines = j.lines();
  nlohmann::ordered_json stranger = nlohmann::ordered_json::parse(lines[0]);
  stranger["id"] = 99;
  lines.push_back(stranger.dump());
  j.write(lines);
  j.expect_refused(31, "id 99 is beyond the batch's 30 tasks");
  j.expect_repaired(31);
}

// A lines source tells its size only once read: the sink learns it from the ventilator.
TEST(Journal, IdBeyondALinesBatchStopsTheSinkWhenTheTotalArrives) {
  TempDir dir;
  std::string input;
  for (int i = 1; i <= 30; ++i) input += std::to_string(i) + "\n";
  write_file(dir / "in.txt", input);
  Journal j("{ lines: " + (dir / "in.txt").string() + " }");
  auto lines = j.lines();
  nlohmann::ordered_json stranger = nlohmann::ordered_json::parse(lines[0]);
  stranger["id"] = 99;
  lines.push_back(stranger.dump());
  j.write(lines);
  const auto o = run_zpipe({"run", "--resume", j.file.string()}, j.dir);
  EXPECT_EQ(o.code, 3) << o.err;
  EXPECT_NE(o.err.find("the journal holds a record of id 99, beyond the batch's 30 tasks"), std::string::npos)
      << o.err;
}

// A resumed batch's summary says which figures are this run's and which the whole batch's
// (from the journal's birth, its first start), instead of dividing the batch by this run.
TEST(Journal, ResumedSummaryTellsThisRunFromTheWholeBatch) {
  Journal j;
  auto lines = j.lines();
  lines.resize(20);  // 10 tasks still to run
  j.write(lines);
  const auto o = run_zpipe({"run", "--resume", "--summary", (j.dir / "s.json").string(), j.file.string()}, j.dir);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("30 tasks: 30 ok, 0 failed, 0 timeout (20 from the journal); this run 10 tasks in "),
            std::string::npos)
      << o.err;
  const auto s = summary_of(j.dir / "s.json");
  EXPECT_EQ(s["resumed"], 20);
  struct statx st {};
  const bool births = ::statx(AT_FDCWD, j.out.c_str(), 0, STATX_BTIME, &st) == 0 && (st.stx_mask & STATX_BTIME);
  if (!births) return;  // this filesystem keeps no birth times: the whole batch's figures are 0
  EXPECT_GT(s["batch_seconds"].get<double>(), 0.0);
  EXPECT_GE(s["batch_seconds"].get<double>(), s["wall_seconds"].get<double>());
  EXPECT_NEAR(s["batch_tasks_per_second"].get<double>(), 30 / s["batch_seconds"].get<double>(), 1e-6);
  EXPECT_NE(o.err.find("; whole batch "), std::string::npos) << o.err;
}

// A journal that already holds the whole batch ends a resumed `zpipe run` at once, before
// most of its 8 workers have said hello: those must end too (they used to wait for ever,
// deaf even to SIGTERM, since the ventilator had gone). Ten times, as it was a race.
TEST(Journal, ResumingACompleteJournalEndsEveryWorker) {
  Journal j;
  std::string yaml = read_file(j.file);
  yaml.replace(yaml.find("workers: { count: 2 }"), 21, "workers: { count: 8 }");
  write_file(j.file, yaml);
  for (int round = 0; round < 10; ++round) {
    const auto o = run_zpipe({"run", "--resume", j.file.string()}, j.dir, "", 10s);
    ASSERT_EQ(o.code, 0) << "round " << round << "\n" << o.err;
  }
  expect_square_records(read_jsonl(j.out), 30);
}

// Whatever the sink writes it must read back as records: every byte value in inputs,
// outputs and stderr, NUL, bytes that are not UTF-8, truncation, failures, null exit codes.
TEST(Journal, EveryRecordTheSinkWritesIsReadBackAsARecord) {
  TempDir dir;
  std::string input;
  for (int first = 0; first < 256; first += 16) {
    for (int b = first; b < first + 16; ++b)
      if (b != '\n') input += static_cast<char>(b);
    input += '\n';
  }
  input += "\xff\xfe\n\n{}\nlast";
  write_file(dir / "in.txt", input);
  write_file(dir / "p.yaml", "version: 1\nname: bytes\nsource: { lines: in.txt }\n"
                             "task: { shell: \"printf '%s' {}; printf '%s\\\\001' {} >&2; exit $(( {#} % 3 ))\","
                             " max_output: 9 }\nsink: { output: out.jsonl }\n");
  const auto first = run_zpipe({"run", (dir / "p.yaml").string()}, dir);
  EXPECT_EQ(first.code, 1) << "some tasks fail on purpose\n" << first.err;
  // Read as text: bytes that are not UTF-8 are written as lone surrogates (\udcXX), which
  // zpipe reads back but strict JSON parsers refuse.
  std::vector<std::string> records;
  std::string line;
  for (char c : read_file(dir / "out.jsonl")) {
    if (c == '\n') records.push_back(line), line.clear();
    else line += c;
  }
  ASSERT_EQ(records.size(), 20u);
  std::set<std::string> statuses;
  bool truncated = false, null_exit = false;
  for (const auto& r : records) {
    for (const char* status : {"ok", "failed", "timeout"})
      if (r.find(std::string(",\"status\":\"") + status + "\"") != std::string::npos) statuses.insert(status);
    truncated |= r.find(",\"truncated\":true}") != std::string::npos;
    null_exit |= r.find(",\"exit_code\":null,") != std::string::npos;
  }
  EXPECT_EQ(statuses, (std::set<std::string>{"ok", "failed"}));
  EXPECT_TRUE(truncated);
  EXPECT_TRUE(null_exit) << "the line with a NUL byte is refused, not run";
  const auto again = run_zpipe({"run", "--resume", (dir / "p.yaml").string()}, dir);
  EXPECT_EQ(again.code, 1) << again.err;
  EXPECT_NE(again.err.find("resuming: 20 records already in"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace zpipe
