#include "probes.hpp"

#include <spdlog/fmt/fmt.h>

namespace zpipe::app {
namespace {

double seconds(core::Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

void add_http_flag(CLI::App& cmd, std::string& address) {
  cmd.add_option("--http", address,
                 "Serve /healthz, /readyz and /metrics over HTTP on ADDR (HOST:PORT, :PORT for every interface, "
                 "port 0 for a free one; docs/http.md)");
}

HttpReply liveness_reply(const std::vector<RoleHealth>& roles) {
  for (const RoleHealth& r : roles)
    if (r.health.stuck_for)
      return {503, fmt::format("stuck: the {} loop has not turned for {:.1f} s (limit {:.1f} s)\n", r.role,
                               seconds(*r.health.stuck_for), seconds(r.health.limit))};
  return {200, "ok\n"};
}

HttpReply readiness_reply(const std::vector<RoleHealth>& roles) {
  for (const RoleHealth& r : roles)
    if (r.health.readiness != core::Readiness::ready)
      return {503, fmt::format("{} ({})\n", core::describe(r.health.readiness), r.role)};
  return {200, "ready\n"};
}

Probes::Probes(const std::string& address) {
  if (address.empty()) return;
  server_.emplace("--http", address);
  server_->route("/healthz", [this] { return liveness_reply(snapshot()); });
  server_->route("/readyz", [this] { return readiness_reply(snapshot()); });
  server_->route("/metrics", [this] { return metrics_reply(); });
  server_->start();
}

Probes::~Probes() = default;

std::vector<RoleHealth> Probes::snapshot() {
  std::lock_guard lock(mutex_);
  if (source_) return source_();
  return {RoleHealth{"zpipe", core::Health{ended_ ? core::Readiness::finished : core::Readiness::starting, {}, {}}}};
}

HttpReply Probes::metrics_reply() {
  std::lock_guard lock(mutex_);  // the roles stay until the text is made
  return {200, metrics_ ? metrics_text(metrics_()) : std::string(), kMetricsContentType};
}

Probes::Watch Probes::watch(HealthSource health, MetricsSource metrics) {
  std::lock_guard lock(mutex_);
  source_ = std::move(health);
  metrics_ = std::move(metrics);
  return Watch(*this);
}

void Probes::unwatch() {
  std::lock_guard lock(mutex_);
  source_ = nullptr;
  metrics_ = nullptr;
  ended_ = true;
}

}  // namespace zpipe::app
