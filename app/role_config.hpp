#pragma once
// Loading the pipeline file for a one-role subcommand, with --ventilator / --sink overrides.

#include <chrono>
#include <optional>

#include "commands.hpp"
#include "zpipe/config/pipeline.hpp"

namespace zpipe::app {

// `-c FILE` is optional only for a worker, which can ask the ventilator what to run.
void add_role_flags(CLI::App& cmd, RoleOptions& options, bool config_required = true);

// Throws config::ConfigError naming the flag when an override is not a ZeroMQ endpoint.
// An override replaces both `endpoint` and `bind` of that section. Without a file (a
// worker): a default pipeline whose endpoints must come from the flags or environment,
// and whose task the caller asks the ventilator for.
config::Pipeline load_role_pipeline(const RoleOptions& options);

// A duration flag's value; throws config::ConfigError naming the flag when it is not one.
config::Duration flag_duration(const std::string& flag, const std::string& text);

// --connect-timeout; nullopt when not given (wait for the peer forever).
std::optional<config::Duration> connect_timeout(const RoleOptions& options);

}  // namespace zpipe::app
