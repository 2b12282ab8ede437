// zpipe check FILE: validates a pipeline file and prints the resolved topology.
#include <cstdio>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "zpipe/config/pipeline.hpp"

namespace zpipe::app {

CLI::App* setup_check(CLI::App& app, CheckOptions& o) {
  CLI::App* cmd = app.add_subcommand("check", "Validate a pipeline file and print the resolved topology");
  cmd->add_option("pipeline", o.pipeline, "Pipeline file (YAML)")->required();
  return cmd;
}

int run_check(const CheckOptions& o) {
  return guarded([&] {
    const config::Pipeline p = config::load_pipeline(o.pipeline);
    std::fputs(config::describe(p).c_str(), stdout);
    return int{kOk};
  });
}

}  // namespace zpipe::app
