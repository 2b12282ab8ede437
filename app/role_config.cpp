#include "role_config.hpp"

#include "probes.hpp"

namespace zpipe::app {
namespace {

void override_endpoint(config::Endpoint& target, const std::string& flag, const std::string& url) {
  if (url.empty()) return;
  if (auto problem = config::endpoint_problem(url, true)) throw config::ConfigError(flag + ": " + *problem);
  target.endpoint = url;
  target.bind = url;
}

}  // namespace

void add_role_flags(CLI::App& cmd, RoleOptions& o) {
  cmd.add_option("-c,--config", o.config, "Pipeline file (YAML)")->required()->check(CLI::ExistingFile);
  cmd.add_option("--ventilator", o.ventilator, "Ventilator endpoint, overriding the file (e.g. tcp://host:5557)");
  cmd.add_option("--sink", o.sink, "Sink endpoint, overriding the file (e.g. tcp://host:5558)");
  cmd.add_option("--connect-timeout", o.connect_timeout,
                 "Exit 3 when the peer this role waits for (a worker's or sink's ventilator, the "
                 "ventilator's sink) stays silent this long, e.g. 30s; default: wait");
  add_http_flag(cmd, o.http);
}

config::Duration flag_duration(const std::string& flag, const std::string& text) {
  try {
    return config::parse_duration(text);
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError(flag + ": " + e.what());
  }
}

std::optional<config::Duration> connect_timeout(const RoleOptions& o) {
  if (o.connect_timeout.empty()) return std::nullopt;
  return flag_duration("--connect-timeout", o.connect_timeout);
}

config::Pipeline load_role_pipeline(const RoleOptions& o) {
  config::Pipeline p = config::load_pipeline(o.config);
  override_endpoint(p.ventilator.address, "--ventilator", o.ventilator);
  override_endpoint(p.sink.address, "--sink", o.sink);
  return p;
}

}  // namespace zpipe::app
