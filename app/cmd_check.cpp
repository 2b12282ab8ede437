// zpipe check FILE...: validates pipeline files and prints each one's resolved topology.
#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "zpipe/config/pipeline.hpp"

namespace zpipe::app {

CLI::App* setup_check(CLI::App& app, CheckOptions& o) {
  CLI::App* cmd = app.add_subcommand("check", "Validate pipeline files and print each one's resolved topology");
  cmd->add_option("pipeline", o.pipelines, "Pipeline files (YAML)")->required();
  return cmd;
}

// Every file is checked, also after a bad one; the exit code is the worst.
int run_check(const CheckOptions& o) {
  int worst = kOk;
  for (const auto& file : o.pipelines) {
    if (o.pipelines.size() > 1) std::printf("%s==> %s <==\n", &file == &o.pipelines.front() ? "" : "\n", file.c_str());
    std::fflush(stdout);  // its errors go to stderr: keep them under their file's header
    const int code = guarded([&] {
      const config::Pipeline p = config::load_pipeline(file);
      std::fputs(config::describe(p).c_str(), stdout);
      return int{kOk};
    });
    worst = std::max(worst, code);
  }
  return worst;
}

}  // namespace zpipe::app
