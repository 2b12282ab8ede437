// The disk of the output fills up (a 64 KiB tmpfs): the sink stops with exit 3 naming the
// file, and once there is room again the batch completes from its journal, every id once.
#include <gtest/gtest.h>

#include "fault_support.hpp"

namespace zpipe::faults {
namespace {

using namespace std::chrono_literals;

test::Batch disk_batch(const test::TempDir& dir) { return logged_batch(dir, 1500); }  // some 190 KiB of records

void expect_disk_full_error(int code, const std::string& log, const std::filesystem::path& output) {
  EXPECT_EQ(code, 3) << log;
  EXPECT_NE(log.find(output.string() + ": write failed: No space left on device"), std::string::npos) << log;
}

// Separate processes: the ventilator and the workers wait for a sink; a new one, started
// once there is room, continues the journal.
TEST(DiskFull, SinkStopsThenASinkStartedOnceThereIsRoomCompletesTheBatch) {
  ZPIPE_FAULTS_NEED_ROOT();
  test::TempDir dir;
  Tmpfs disk(dir / "disk", 64);
  Roles roles(dir, disk_batch(dir), 2);
  roles.output_to(disk.path() / "out.jsonl");
  roles.start_all();
  const int code = roles.child(Role::sink).wait(30s);
  expect_disk_full_error(code, roles.log(Role::sink), disk.path() / "out.jsonl");
  const std::size_t written = roles.records_written();
  EXPECT_GT(written, 0u);
  EXPECT_LT(written, 1500u);
  disk.resize(4096);
  roles.start(Role::sink);
  roles.expect_all_end(60s);
  report(roles.expect_exactly_once("disk full under the sink",
                                   "64 KiB tmpfs full after " + std::to_string(written) +
                                       " records; sink restarted after resize"));
}

// `zpipe run`: exit 3, then `zpipe run --resume` once there is room.
TEST(DiskFull, RunStopsThenResumeCompletesTheBatch) {
  ZPIPE_FAULTS_NEED_ROOT();
  const auto started = std::chrono::steady_clock::now();
  test::TempDir dir;
  Tmpfs disk(dir / "disk", 64);
  const std::string file = disk_batch(dir).write(dir);
  const auto output = disk.path() / "out.jsonl";
  const std::string summary = (dir / "summary.json").string();
  const auto full = test::run_zpipe({"run", file, "--output", output.string(), "--summary", summary}, dir, {}, 60s);
  expect_disk_full_error(full.code, full.err, output);
  const std::size_t written = test::count_lines(output);
  disk.resize(4096);
  const auto resumed =
      test::run_zpipe({"run", file, "--output", output.string(), "--summary", summary, "--resume"}, dir, {}, 60s);
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  report(expect_exactly_once(output, 1500, dir, started, "disk full under zpipe run",
                             "64 KiB tmpfs full after " + std::to_string(written) + " records; --resume after resize"));
}

}  // namespace
}  // namespace zpipe::faults
