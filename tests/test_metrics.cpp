// `/metrics` on `--http ADDR` (docs/http.md): scraped over real HTTP from the real binary
// while a batch runs, parsed strictly (metrics_text.hpp), and at the end compared with the
// output file: records, failures, retries, the latency histogram, an empty queue.
//
// The batch holds one task back (task 7 reads a FIFO the test opens when it has looked),
// so "during the run" is a state the test waits for, not a moment it hopes to catch. The
// summary goes to another FIFO, which the process opens once its roles are done and
// before they are gone: the final counters stay on the page until the test reads it.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <httplib.h>
#include <zmq.hpp>

#include "metrics_text.hpp"
#include "reliability_support.hpp"
#include "zpipe/core/metrics.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;
using namespace zpipe::test;

constexpr int kTasks = 40;
constexpr int kHeld = 7;  // the task that waits for the gate
constexpr int kFailing = kTasks / 10;  // ids 10, 20, 30, 40 fail, after one retry each

struct Scrape {
  int status = 0;  // 0: nothing answered
  std::string content_type;
  std::string body;
};

Scrape scrape(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1s);
  client.set_read_timeout(2s);
  const httplib::Result result = client.Get("/metrics");
  if (!result) return {};
  return {result->status, result->get_header_value("Content-Type"), result->body};
}

// The page now, parsed; a malformed page fails the test (and yields an empty page).
MetricsPage page_of(int port) {
  const Scrape s = scrape(port);
  EXPECT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.content_type, "text/plain; version=0.0.4");
  try {
    return parse_metrics(s.body);
  } catch (const std::runtime_error& e) {
    ADD_FAILURE() << "malformed /metrics page: " << e.what() << "\n" << s.body;
    return {};
  }
}

// A sample's value, -1 when the page lacks it (so a missing series fails an equality).
double at(const MetricsPage& page, const std::string& name, const Labels& labels) {
  return page.value(name, labels).value_or(-1);
}

int logged_http_port(const TempDir& dir, const std::string& tag) {
  const std::string marker = "http: listening on 127.0.0.1:";
  int port = 0;
  wait_until(
      [&] {
        const std::string log = read_file(dir / (tag + ".err"));
        const std::size_t found = log.find(marker);
        if (found != std::string::npos) port = std::atoi(log.c_str() + found + marker.size());
        return port > 0;
      },
      10s);
  return port;
}

// A batch whose task kHeld waits for dir/gate, and whose multiples of 10 fail.
Batch gated_batch(const TempDir& dir) {
  EXPECT_EQ(::mkfifo((dir / "gate").c_str(), 0600), 0);
  EXPECT_EQ(::mkfifo((dir / "summary").c_str(), 0600), 0);
  Batch b;
  b.count = kTasks;
  b.command = "if [ {} = " + std::to_string(kHeld) + " ]; then cat " + (dir / "gate").string() +
              "; fi; test $(( {} % 10 )) -ne 0 && echo $(( {} * {} ))";
  b.task_keys = ", retries: 1";
  b.workers = "{ count: 2, slots: 2 }";
  return b;
}

// Lets task kHeld finish: it is blocked opening the gate for reading.
void open_gate(const TempDir& dir) {
  int fd = -1;
  EXPECT_TRUE(wait_until([&] { return (fd = ::open((dir / "gate").c_str(), O_WRONLY | O_NONBLOCK)) >= 0; }, 10s));
  if (fd >= 0) ::close(fd);
}

// Lets the process end: it is blocked opening the summary FIFO. Returns the summary.
std::string take_summary(const TempDir& dir, Child& child) {
  const int fd = ::open((dir / "summary").c_str(), O_RDONLY | O_NONBLOCK);
  EXPECT_GE(fd, 0);
  std::string text;
  wait_until(
      [&] {
        char buffer[4096];
        ssize_t n = 0;
        while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
        return n == 0 && !text.empty();  // EOF after the writer closed
      },
      10s);
  ::close(fd);
  EXPECT_EQ(child.wait(10s), 1) << "tasks failed: exit 1";
  return text;
}

// The sink's page with every task recorded, and nothing moving any more.
bool settled(const MetricsPage& page, const Labels& sink) {
  return at(page, "zpipe_tasks_completed_total", sink) == kTasks &&
         at(page, "zpipe_task_duration_seconds_count", sink) == kTasks;
}

// What the end of the batch must show on the sink's page, against the output file.
void expect_sink_matches_output(const MetricsPage& page, const TempDir& dir) {
  const Labels sink{{"role", "sink"}};
  const std::vector<nlohmann::json> records = read_jsonl(dir / "out.jsonl");
  const auto failed =
      std::count_if(records.begin(), records.end(), [](const auto& r) { return r["status"] == "failed"; });
  ASSERT_EQ(records.size(), std::size_t{kTasks});
  EXPECT_EQ(failed, kFailing);
  EXPECT_EQ(at(page, "zpipe_tasks_completed_total", sink), static_cast<double>(records.size()));
  EXPECT_EQ(at(page, "zpipe_tasks_failed_total", sink), static_cast<double>(failed));
  EXPECT_EQ(at(page, "zpipe_tasks_timed_out_total", sink), 0);
  EXPECT_EQ(at(page, "zpipe_duplicates_dropped_total", sink), 0);
  EXPECT_EQ(at(page, "zpipe_tasks_recorded", sink), kTasks);
  EXPECT_EQ(at(page, "zpipe_batch_tasks", sink), kTasks);
  EXPECT_EQ(at(page, "zpipe_task_duration_seconds_count", sink), kTasks);
  EXPECT_GT(at(page, "zpipe_task_duration_seconds_sum", sink), 0);
  EXPECT_EQ(at(page, "zpipe_task_duration_seconds_bucket", {{"role", "sink"}, {"le", "+Inf"}}), kTasks);
  EXPECT_GT(at(page, "zpipe_bytes_received_total", sink), 0);
  EXPECT_GT(at(page, "zpipe_bytes_sent_total", sink), 0);  // acks
}

// zpipe run: one page with all three roles.
TEST(Metrics, RunPageDuringTheBatchAndAtItsEndMatchesTheOutput) {
  TempDir dir;
  const Batch b = gated_batch(dir);
  const std::string file = b.write(dir);
  Child run = start_zpipe({"run", file, "--fresh", "--http", "127.0.0.1:0", "--summary", (dir / "summary").string()},
                          dir, "run");
  const int port = logged_http_port(dir, "run");
  ASSERT_GT(port, 0) << read_file(dir / "run.err");
  const Labels vent{{"role", "ventilator"}}, worker{{"role", "worker"}}, sink{{"role", "sink"}};

  // During the run: everything recorded but the held task.
  MetricsPage page;
  ASSERT_TRUE(wait_until(
      [&] {
        page = page_of(port);
        return at(page, "zpipe_tasks_completed_total", sink) == kTasks - 1 &&
               at(page, "zpipe_tasks_in_flight", vent) == 1;
      },
      20s))
      << read_file(dir / "run.err");
  EXPECT_EQ(at(page, "zpipe_queue_depth", vent), 0);
  EXPECT_EQ(at(page, "zpipe_tasks_in_flight", worker), 1);
  EXPECT_EQ(at(page, "zpipe_workers_connected", vent), 2);
  EXPECT_GE(at(page, "zpipe_tasks_dispatched_total", vent), kTasks);
  EXPECT_EQ(at(page, "zpipe_tasks_completed_total", worker), kTasks - 1);
  EXPECT_EQ(at(page, "zpipe_batch_tasks", sink), kTasks) << "--http reads the source ahead";

  open_gate(dir);
  // The sink records the last task before the ventilator hears of it: wait for both.
  ASSERT_TRUE(wait_until(
      [&] { return settled(page = page_of(port), sink) && at(page, "zpipe_tasks_in_flight", vent) == 0; }, 20s))
      << read_file(dir / "run.err");
  expect_sink_matches_output(page, dir);
  EXPECT_EQ(at(page, "zpipe_queue_depth", vent), 0);
  EXPECT_EQ(at(page, "zpipe_tasks_in_flight", vent), 0);
  EXPECT_EQ(at(page, "zpipe_tasks_in_flight", worker), 0);
  EXPECT_GE(at(page, "zpipe_tasks_dispatched_total", vent), at(page, "zpipe_tasks_completed_total", sink));
  EXPECT_EQ(at(page, "zpipe_tasks_redelivered_total", vent), 0);
  EXPECT_EQ(at(page, "zpipe_tasks_completed_total", worker), kTasks);
  EXPECT_EQ(at(page, "zpipe_tasks_failed_total", worker), kFailing);
  EXPECT_EQ(at(page, "zpipe_tasks_retried_total", worker), kFailing) << "retries: 1";
  for (const Labels& role : {vent, worker}) EXPECT_GT(at(page, "zpipe_bytes_received_total", role), 0);

  const std::string summary = take_summary(dir, run);
  EXPECT_EQ(nlohmann::json::parse(summary, nullptr, false).value("ok", -1), kTasks - kFailing) << summary;
}

// Three processes: each role's own page, with its own series only.
TEST(Metrics, EachRoleProcessServesItsOwnPage) {
  TempDir dir;
  Batch b = gated_batch(dir);
  b.workers = "{ count: 1, slots: 2 }";
  const std::string file = b.write(dir);
  const auto role = [&](const std::string& name, std::vector<std::string> more = {}) {
    std::vector<std::string> args{name, "-c", file, "--http", "127.0.0.1:0"};
    args.insert(args.end(), more.begin(), more.end());
    return start_zpipe(args, dir, name);
  };
  Child sink_process = role("sink", {"--fresh", "--summary", (dir / "summary").string()});
  Child vent_process = role("ventilator");
  Child worker_process = role("worker");
  const int vent_port = logged_http_port(dir, "ventilator");
  const int worker_port = logged_http_port(dir, "worker");
  const int sink_port = logged_http_port(dir, "sink");
  ASSERT_GT(vent_port, 0) << read_file(dir / "ventilator.err");
  ASSERT_GT(worker_port, 0) << read_file(dir / "worker.err");
  ASSERT_GT(sink_port, 0) << read_file(dir / "sink.err");
  const Labels vent{{"role", "ventilator"}}, worker{{"role", "worker"}}, sink{{"role", "sink"}};

  MetricsPage page;
  const auto recorded = [&] { return at(page = page_of(sink_port), "zpipe_tasks_completed_total", sink); };
  ASSERT_TRUE(wait_until([&] { return recorded() == kTasks - 1; }, 20s)) << read_file(dir / "sink.err");
  EXPECT_FALSE(page.value("zpipe_tasks_completed_total", worker)) << "a sink's page shows the sink";
  ASSERT_TRUE(wait_until([&] { return at(page = page_of(vent_port), "zpipe_tasks_in_flight", vent) == 1; }, 10s));
  EXPECT_EQ(at(page, "zpipe_queue_depth", vent), 0);
  EXPECT_EQ(at(page, "zpipe_workers_connected", vent), 1);
  EXPECT_GE(at(page, "zpipe_tasks_dispatched_total", vent), kTasks);
  EXPECT_FALSE(page.value("zpipe_tasks_in_flight", worker));
  page = page_of(worker_port);
  EXPECT_EQ(at(page, "zpipe_tasks_completed_total", worker), kTasks - 1);
  EXPECT_EQ(at(page, "zpipe_tasks_in_flight", worker), 1);
  EXPECT_EQ(at(page, "zpipe_tasks_retried_total", worker), kFailing);
  EXPECT_FALSE(page.value("zpipe_queue_depth", vent));

  open_gate(dir);
  ASSERT_TRUE(wait_until([&] { return settled(page = page_of(sink_port), sink); }, 20s)) << read_file(dir / "sink.err");
  expect_sink_matches_output(page, dir);
  take_summary(dir, sink_process);
  EXPECT_EQ(vent_process.wait(10s), 1) << read_file(dir / "ventilator.err");
  EXPECT_EQ(worker_process.wait(10s), 0) << read_file(dir / "worker.err");
}

// Drops are counted by reason: bytes that are no zpipe message, sent to the sink's socket.
TEST(Metrics, DroppedMessagesAreCountedByReason) {
  TempDir dir;
  Batch b;
  const std::string file = b.write(dir);
  Child sink_process = start_zpipe({"sink", "-c", file, "--http", "127.0.0.1:0", "--fresh"}, dir, "sink");
  const int port = logged_http_port(dir, "sink");
  ASSERT_GT(port, 0) << read_file(dir / "sink.err");
  ASSERT_TRUE(wait_until([&] { return port_bound(b.sink_port); }, 10s));
  zmq::context_t context;
  zmq::socket_t push(context, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 0);
  push.connect("tcp://127.0.0.1:" + std::to_string(b.sink_port));
  push.send(zmq::str_buffer("garbage"), zmq::send_flags::none);  // one frame: a header needs two
  MetricsPage page;
  const Labels missing{{"role", "sink"}, {"reason", "missing_frames"}};
  EXPECT_TRUE(wait_until([&] { return at(page = page_of(port), "zpipe_messages_dropped_total", missing) == 1; }, 10s))
      << scrape(port).body;
  EXPECT_GE(at(page, "zpipe_bytes_received_total", {{"role", "sink"}}), 7);
}

// The counters behind the page: a duration on a bound is in that bucket (Prometheus's le is
// "less or equal"), beyond the top in the last; reasons past the capacity count as "other".
TEST(Metrics, HistogramBucketsAndDropReasonsAtTheirLimits) {
  core::DurationHistogram h;
  h.observe_us(1'000);        // exactly 1 ms: le="0.001"
  h.observe_us(1'001);        // le="0.0025"
  h.observe_us(3'600'000'000);  // an hour: above 600 s
  const core::DurationHistogram::Snapshot s = h.snapshot();
  EXPECT_EQ(s.counts[0], 1u);
  EXPECT_EQ(s.counts[1], 1u);
  EXPECT_EQ(s.counts.back(), 1u);
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.sum_us, 3'600'002'001u);

  core::DropCounts drops;
  for (std::size_t i = 0; i < core::DropCounts::kMaxReasons + 5; ++i) drops.count("reason " + std::to_string(i));
  drops.count("reason 0");
  const auto seen = drops.snapshot();
  ASSERT_EQ(seen.size(), core::DropCounts::kMaxReasons);
  EXPECT_EQ(seen.front(), (std::pair<std::string, std::uint64_t>{"reason 0", 2}));
  EXPECT_EQ(seen.back(), (std::pair<std::string, std::uint64_t>{"other", 6}));
}

// The reader is strict enough to catch what a broken page would look like.
TEST(Metrics, TheTestsReaderRefusesMalformedPages) {
  const std::string good =
      "# HELP a_total A.\n# TYPE a_total counter\na_total{role=\"x\"} 3\n"
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.5\nh_count 2\n";
  EXPECT_EQ(parse_metrics(good).value("a_total", {{"role", "x"}}), 3);
  for (const std::string bad : {
           "# TYPE a counter\na 1\n",                                   // a counter not *_total
           "# TYPE a_total counter\na_total{role=\"x} 1\n",             // unterminated value
           "# TYPE a_total counter\na_total 1 2 3\n",                   // trailing text
           "# TYPE a_total counter\na_total one\n",                     // not a number
           "# TYPE a_total counter\na_total 1\na_total 2\n",            // the same sample twice
           "a_total 1\n",                                               // no TYPE
           "# TYPE a_total counter\n# TYPE a_total counter\na_total 1\n",  // TYPE twice
           "# TYPE a_total counter\na_total 1",                         // no final newline
           "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",  // +Inf is not _count
           "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
           "# TYPE a_total counter\n# TYPE b gauge\na_total 1\nb 1\na_total{x=\"1\"} 1\n",  // a family split
       })
    EXPECT_THROW(parse_metrics(bad), std::runtime_error) << bad;
}

}  // namespace
}  // namespace zpipe
