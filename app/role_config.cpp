#include "role_config.hpp"

#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "probes.hpp"

namespace zpipe::app {
namespace {

void override_endpoint(config::Endpoint& target, const std::string& flag, const std::string& url) {
  if (url.empty()) return;
  if (auto problem = config::endpoint_problem(url, true)) throw config::ConfigError(flag + ": " + *problem);
  target.endpoint = url;
  target.bind = url;
}

// The environment tells a role where its peers are (a Kubernetes Service name), so one
// manifest serves every namespace. Only the address peers connect to: a role's own `bind`
// stays the file's (libzmq binds interfaces, not Service names).
void endpoint_from_environment(config::Endpoint& target, const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0') return;
  if (auto problem = config::endpoint_problem(value, false))
    throw config::ConfigError(std::string(variable) + " (environment): " + *problem);
  target.endpoint = value;
}

std::string_view transport_of(std::string_view url) { return url.substr(0, url.find("://")); }

// The checks the loader makes on the file, made again on what the flags and the
// environment changed: a mistake there must fail as clearly as one in the file.
void check_overridden(const config::Endpoint& address, const char* section, const char* source) {
  if (!address.bind.empty() && transport_of(address.bind) != transport_of(address.endpoint))
    throw config::ConfigError(fmt::format("{}: '{}' and {}.bind '{}' use different transports", source,
                                          address.endpoint, section, address.bind));
}

}  // namespace

void add_role_flags(CLI::App& cmd, RoleOptions& o, bool config_required) {
  CLI::Option* config = cmd.add_option("-c,--config", o.config, "Pipeline file (YAML)")->check(CLI::ExistingFile);
  if (config_required) config->required();
  cmd.add_option("--ventilator", o.ventilator,
                 "Ventilator endpoint, overriding the file and $ZPIPE_VENTILATOR (e.g. tcp://host:5557)");
  cmd.add_option("--sink", o.sink, "Sink endpoint, overriding the file and $ZPIPE_SINK (e.g. tcp://host:5558)");
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
  config::Pipeline p;
  if (o.config.empty()) {
    p.name = "(the ventilator's)";
    p.ventilator.address = {};  // from the flags or the environment only
    p.sink.address = {};
  } else {
    p = config::load_pipeline(o.config);
  }
  if (o.ventilator.empty()) endpoint_from_environment(p.ventilator.address, "ZPIPE_VENTILATOR");
  if (o.sink.empty()) endpoint_from_environment(p.sink.address, "ZPIPE_SINK");
  override_endpoint(p.ventilator.address, "--ventilator", o.ventilator);
  override_endpoint(p.sink.address, "--sink", o.sink);
  if (o.config.empty() && (p.ventilator.address.endpoint.empty() || p.sink.address.endpoint.empty()))
    throw config::ConfigError("without -c FILE a worker needs --ventilator URL and --sink URL (or ZPIPE_VENTILATOR "
                              "and ZPIPE_SINK): it asks the ventilator what to run");
  check_overridden(p.ventilator.address, "ventilator", o.ventilator.empty() ? "ZPIPE_VENTILATOR" : "--ventilator");
  check_overridden(p.sink.address, "sink", o.sink.empty() ? "ZPIPE_SINK" : "--sink");
  if (p.ventilator.address.bind_address() == p.sink.address.bind_address())
    throw config::ConfigError(fmt::format("{}: the ventilator and the sink would bind the same address ('{}')",
                                          !o.sink.empty()         ? "--sink"
                                          : !o.ventilator.empty() ? "--ventilator"
                                                                  : "ZPIPE_VENTILATOR/ZPIPE_SINK",
                                          p.sink.address.bind_address()));
  return p;
}

}  // namespace zpipe::app
