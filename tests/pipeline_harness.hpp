#pragma once
// The three roles in one test process, on real TCP sockets on 127.0.0.1 with ephemeral
// ports: a ventilator and a sink on threads, workers added at will.

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "test_support.hpp"
#include "zpipe/sink/sink.hpp"
#include "zpipe/ventilator/ventilator.hpp"
#include "zpipe/worker/worker.hpp"

namespace zpipe::test {

using namespace std::chrono_literals;

inline config::Pipeline shell_pipeline(std::uint64_t count, const std::string& command) {
  config::Pipeline p;
  p.name = "test";
  p.source = config::RangeSource{1, count};
  p.task.kind = config::TaskKind::shell;
  p.task.shell = command;
  p.ventilator.heartbeat = 100ms;
  p.ventilator.liveness = 3;
  return p;
}

// The built-in sleep over `inputs` (milliseconds each), on workers of `slots` slots.
inline config::Pipeline sleep_pipeline(std::vector<std::string> inputs, unsigned slots = 1) {
  config::Pipeline p = shell_pipeline(0, "");
  p.source = config::ItemsSource{std::move(inputs)};
  p.task.kind = config::TaskKind::builtin;
  p.task.builtin = config::Builtin::sleep;
  p.workers.slots = slots;
  return p;
}

// Ventilator and sink on ephemeral TCP ports, workers added at will, all on threads.
class Harness {
public:
  Harness(const config::Pipeline& p, const std::filesystem::path& output, bool ordered = false)
      : pipeline_(p), vent_(context_, pipeline_, "tcp://127.0.0.1:*") {
    sink::Options o;
    o.bind = "tcp://127.0.0.1:*";
    o.ventilator = vent_.endpoint();
    o.output = output.string();
    o.ordered = ordered;
    sink_ = std::make_unique<sink::Sink>(context_, pipeline_, o);
    threads_.emplace_back([this] {
      vent_report_ = vent_.run();
      vent_done_.store(true);
    });
    threads_.emplace_back([this] { summary_ = sink_->run(); });
  }
  ~Harness() {
    vent_.stop();
    sink_->stop();
    for (auto& w : workers_) w->abort();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

  worker::Worker& add_worker(const std::string& name, const config::Pipeline* own = nullptr) {
    const config::Pipeline& p = own ? *own : pipeline_;
    workers_.push_back(std::make_unique<worker::Worker>(
        context_, p, worker::Options{vent_.endpoint(), sink_->endpoint(), name, false, {}, {}}));
    worker::Worker* w = workers_.back().get();
    auto* report = &worker_reports_.emplace_back();
    threads_.emplace_back([w, report] { *report = w->run(); });
    return *w;
  }

  // Joins every thread (the batch must end by itself) and returns the sink's summary.
  sink::Summary finish() {
    for (auto& t : threads_) t.join();
    return summary_;
  }
  // Waits up to `limit` for the ventilator to end; false if it did not (the destructor
  // then stops every role).
  bool ventilator_ended(std::chrono::milliseconds limit) {
    return wait_until([&] { return vent_done_.load(); }, limit);
  }
  std::string vent_endpoint() const { return vent_.endpoint(); }
  // Tasks the ventilator has handed to workers and not seen recorded (after its last turn).
  std::uint64_t vent_in_flight() const { return vent_.in_flight(); }
  std::string sink_endpoint() const { return sink_->endpoint(); }
  const sink::Summary& summary() const { return summary_; }  // once finish() returned
  const ventilator::Report& ventilator_report() const { return vent_report_; }
  const std::deque<worker::Report>& worker_reports() const { return worker_reports_; }

private:
  config::Pipeline pipeline_;
  zmq::context_t context_;
  ventilator::Ventilator vent_;
  std::unique_ptr<sink::Sink> sink_;
  std::vector<std::unique_ptr<worker::Worker>> workers_;
  std::deque<worker::Report> worker_reports_;
  std::vector<std::thread> threads_;
  ventilator::Report vent_report_;
  sink::Summary summary_;
  std::atomic<bool> vent_done_{false};
};

// Every id 1..n exactly once.
inline void expect_exactly_once(const std::vector<nlohmann::json>& records, std::uint64_t n) {
  std::set<std::uint64_t> ids;
  for (const auto& r : records) EXPECT_TRUE(ids.insert(r["id"].get<std::uint64_t>()).second) << r.dump();
  EXPECT_EQ(records.size(), n);
  EXPECT_EQ(ids.size(), n);
  if (!ids.empty()) {
    EXPECT_EQ(*ids.begin(), 1u);
    EXPECT_EQ(*ids.rbegin(), n);
  }
}

}  // namespace zpipe::test
