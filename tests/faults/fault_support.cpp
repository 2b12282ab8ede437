#include "fault_support.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace zpipe::faults {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// --- figures ----------------------------------------------------------------------------

void report(const Figures& f) {
  std::ostringstream row;
  row << "| " << f.scenario << " | " << f.faults << " | " << f.records << " | " << f.reruns << " | " << f.duplicates
      << " | " << std::fixed << std::setprecision(1) << f.seconds << " |";
  std::cout << "[ fault ] " << row.str() << std::endl;
  if (const char* file = std::getenv("ZPIPE_FAULTS_REPORT"); file && *file) {
    std::ofstream(file, std::ios::app) << row.str() << "\n";
  }
  ::testing::Test::RecordProperty("records", std::to_string(f.records));
  ::testing::Test::RecordProperty("reruns", std::to_string(f.reruns));
  ::testing::Test::RecordProperty("duplicates", std::to_string(f.duplicates));
}

const char* name_of(Role role) {
  switch (role) {
    case Role::ventilator: return "ventilator";
    case Role::sink: return "sink";
    case Role::worker: return "worker";
  }
  return "?";
}

// --- roles ------------------------------------------------------------------------------

Roles::Roles(const test::TempDir& dir, test::Batch batch, int workers)
    : dir_(dir), batch_(std::move(batch)), output_(dir / "out.jsonl"), workers_(static_cast<std::size_t>(workers)) {
  file_ = batch_.write(dir_);
}

void Roles::output_to(const std::filesystem::path& file) {
  output_ = file;
  flags_[Role::sink].insert(flags_[Role::sink].end(), {"--output", file.string()});
}

Roles::Slot& Roles::slot(Role role, int index) {
  return const_cast<Slot&>(static_cast<const Roles&>(*this).slot(role, index));
}

const Roles::Slot& Roles::slot(Role role, int index) const {
  switch (role) {
    case Role::ventilator: return ventilator_;
    case Role::sink: return sink_;
    case Role::worker: return workers_.at(static_cast<std::size_t>(index));
  }
  throw std::logic_error("no such role");
}

std::string Roles::tag(Role role, int index, int incarnation) const {
  std::string t = name_of(role);
  if (role == Role::worker) t += std::to_string(index);
  return t + "-" + std::to_string(incarnation);
}

void Roles::place(Role role, std::vector<std::string> prefix, std::vector<std::string> flags) {
  prefix_[role] = std::move(prefix);
  flags_[role] = std::move(flags);
}

test::Batch logged_batch(const test::TempDir& dir, int count, const std::string& seconds) {
  test::Batch b;
  b.count = count;
  b.command = test::logged(dir, (seconds.empty() ? "" : "sleep " + seconds + "; ") + "echo $(( {} * {} ))");
  return b;
}

bool Roles::start_all_until(std::size_t records) {
  start_all();
  return test::wait_until([&] { return records_written() >= records; }, 20s);
}

void Roles::start_all() {
  start(Role::sink);
  start(Role::ventilator);
  for (int i = 0; i < workers(); ++i) start(Role::worker, i);
}

void Roles::start(Role role, int index, std::vector<std::string> flags) {
  Slot& s = slot(role, index);
  if (s.child && s.child->pid() > 0) throw std::logic_error(std::string(name_of(role)) + " is still running");
  s.child.reset();
  const std::string t = tag(role, index, ++s.incarnations);
  std::vector<std::string> argv = prefix_[role];
  argv.push_back(test::zpipe_binary());
  argv.insert(argv.end(), {name_of(role), "-c", file_});
  // As a supervisor starts a sink: every incarnation continues the journal of its batch.
  if (role == Role::sink) argv.insert(argv.end(), {"--resume", "--summary", (dir_ / "summary.json").string()});
  if (role == Role::worker) argv.insert(argv.end(), {"--name", t});
  argv.insert(argv.end(), flags_[role].begin(), flags_[role].end());
  argv.insert(argv.end(), flags.begin(), flags.end());
  s.child.emplace(argv, dir_ / (t + ".out"), dir_ / (t + ".err"));
}

test::Child& Roles::child(Role role, int index) {
  Slot& s = slot(role, index);
  if (!s.child) throw std::logic_error(std::string(name_of(role)) + " is not running");
  return *s.child;
}

bool Roles::running(Role role, int index) const {
  const Slot& s = slot(role, index);
  return s.child && s.child->pid() > 0;
}

void Roles::kill(Role role, int index) {
  Slot& s = slot(role, index);
  if (!s.child) return;
  s.child->signal(SIGKILL);
  s.child->wait(5s);
  s.child.reset();
}

std::size_t Roles::records_written() const { return test::count_lines(output_); }

std::string Roles::log(Role role, int index) const {
  std::string text;
  for (int n = 1; n <= slot(role, index).incarnations; ++n) {
    const std::string t = tag(role, index, n);
    text += "--- " + t + ".err\n" + test::read_file(dir_ / (t + ".err"));
  }
  return text;
}

void Roles::expect_all_end(std::chrono::milliseconds limit, int code) {
  const auto deadline = Clock::now() + limit;
  auto wait = [&](Role role, int index) {
    Slot& s = slot(role, index);
    if (!s.child || s.child->pid() <= 0) return;  // killed, or already waited for
    const auto left = std::max(std::chrono::milliseconds(1),
                               std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    const int got = s.child->wait(left);
    EXPECT_EQ(got, code) << tag(role, index, s.incarnations) << (got == -1 ? " did not end by itself" : " ended so")
                         << "\n" << log(role, index);
    if (got != -1) s.child.reset();
  };
  wait(Role::ventilator, 0);
  wait(Role::sink, 0);
  for (int i = 0; i < workers(); ++i) wait(Role::worker, i);
}

Figures Roles::expect_exactly_once(std::string scenario, std::string faults) const {
  return faults::expect_exactly_once(output_, batch_.count, dir_, started_, std::move(scenario), std::move(faults));
}

Figures expect_exactly_once(const std::filesystem::path& output, int count, const test::TempDir& dir,
                            Clock::time_point started, std::string scenario, std::string faults) {
  test::expect_only_records(output);
  const auto records = test::read_whole_records(output);
  test::expect_square_records(records, count);
  Figures f;
  f.scenario = std::move(scenario);
  f.faults = std::move(faults);
  f.records = records.size();
  for (const auto& [id, n] : test::executions(dir)) f.reruns += static_cast<std::size_t>(n - 1);
  if (std::filesystem::exists(dir / "summary.json"))
    f.duplicates = test::summary_of(dir / "summary.json").value("duplicates", std::uint64_t{0});
  f.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return f;
}

void sh(const std::string& command) {
  const std::string full = command + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + command);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, p)) output += buffer;
  const int status = ::pclose(p);
  if (status != 0) throw std::runtime_error("'" + command + "' failed: " + output);
}

// --- tmpfs ------------------------------------------------------------------------------

Tmpfs::Tmpfs(std::filesystem::path at, std::size_t size_kib) : at_(std::move(at)) {
  std::filesystem::create_directories(at_);
  const std::string options = "size=" + std::to_string(size_kib) + "k";
  if (::mount("tmpfs", at_.c_str(), "tmpfs", 0, options.c_str()) != 0)
    throw std::runtime_error("cannot mount a tmpfs on " + at_.string() + ": " + std::strerror(errno));
}

Tmpfs::~Tmpfs() { ::umount2(at_.c_str(), MNT_DETACH); }

void Tmpfs::resize(std::size_t size_kib) {
  const std::string options = "size=" + std::to_string(size_kib) + "k";
  if (::mount("tmpfs", at_.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) != 0)
    throw std::runtime_error("cannot resize the tmpfs on " + at_.string() + ": " + std::strerror(errno));
}

}  // namespace zpipe::faults
