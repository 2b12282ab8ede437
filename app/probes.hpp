#pragma once
// `--http ADDR` for every subcommand that runs roles: an HttpServer answering
//   GET /healthz  200 "ok" while every role's loop turns; 503 naming a loop stuck past its limit
//   GET /readyz   200 "ready" when every role is ready; 503 with the first reason it is not
//   GET /metrics  every role's counters for Prometheus (metrics_page.hpp)
// (docs/http.md says what each role's ready means, and lists the series). Kubernetes probes
// and a Prometheus scraper read them.
//
// Error style: exceptions, as HttpServer (config::ConfigError naming --http).

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "http_server.hpp"
#include "metrics_page.hpp"
#include "zpipe/core/health.hpp"

namespace zpipe::app {

// Declares --http on a subcommand.
void add_http_flag(CLI::App& cmd, std::string& address);

// One role's health, and how replies name it ("sink", "worker", zpipe run's "worker #2").
struct RoleHealth {
  std::string role;
  core::Health health;
};
using HealthSource = std::function<std::vector<RoleHealth>()>;
// The roles' counters; their objects live until the watch ends.
using MetricsSource = std::function<MetricsSources()>;

// The replies, from the roles' health at one moment.
HttpReply liveness_reply(const std::vector<RoleHealth>& roles);
HttpReply readiness_reply(const std::vector<RoleHealth>& roles);

class Probes {
public:
  // Listens at once when `address` is not empty (a port in use ends the run before anything
  // else starts); does nothing otherwise. Until watch(), the roles are starting.
  explicit Probes(const std::string& address);
  // An address was given: something listens.
  bool serving() const { return server_.has_value(); }
  ~Probes();
  Probes(const Probes&) = delete;
  Probes& operator=(const Probes&) = delete;

  // Ends a watch: the probes stop reading the roles' health (they are about to go).
  class Watch {
  public:
    explicit Watch(Probes& probes) : probes_(probes) {}
    ~Watch() { probes_.unwatch(); }
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

  private:
    Probes& probes_;
  };
  // The probes answer from `health` and `metrics` until the Watch ends: declare it after the
  // roles, so it ends before they do. Until then /metrics is an empty page.
  [[nodiscard]] Watch watch(HealthSource health, MetricsSource metrics);

private:
  void unwatch();
  std::vector<RoleHealth> snapshot();
  HttpReply metrics_reply();

  // Guards the sources against their change by watch/unwatch (main thread, twice a run),
  // and the roles against their end while a reply reads them; the roles' loops never take it.
  std::mutex mutex_;
  HealthSource source_;
  MetricsSource metrics_;
  bool ended_ = false;  // unwatched: the roles are gone
  std::optional<HttpServer> server_;  // last: stopped before the rest goes
};

}  // namespace zpipe::app
