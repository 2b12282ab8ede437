#pragma once
// Loading the pipeline file for a one-role subcommand, with --ventilator / --sink overrides.

#include "commands.hpp"
#include "zpipe/config/pipeline.hpp"

namespace zpipe::app {

void add_role_flags(CLI::App& cmd, RoleOptions& options);

// Throws config::ConfigError naming the flag when an override is not a ZeroMQ endpoint.
// An override replaces both `endpoint` and `bind` of that section.
config::Pipeline load_role_pipeline(const RoleOptions& options);

}  // namespace zpipe::app
