#pragma once
// A pipeline written back as a pipeline file, so that the processes of a run read exactly
// what the sweep resolved (axes applied, endpoints and files of the run).
// Error style: none (every Pipeline that loading can produce has a spelling).

#include <string>

#include "zpipe/config/pipeline.hpp"

namespace zpipe::experiment::detail {

// A pipeline file (version 1) that config::parse_pipeline reads back as `pipeline`.
// Paths are written as they are (absolute after loading). An ArgsSource (zpipe run's
// command mode only) has no spelling and is not expected here.
std::string pipeline_yaml(const config::Pipeline& pipeline);

}  // namespace zpipe::experiment::detail
