// task.use_shell: when a shell task goes through /bin/sh (docs/config.md).

#include <gtest/gtest.h>

#include <string>

#include "config_test_support.hpp"

using namespace zpipe::config;
using namespace zpipe::config::testing;

TEST(ConfigUseShell, AutoByDefaultAlwaysOnRequest) {
  EXPECT_EQ(parse(with_task("  shell: ./run.sh {}\n")).task.use_shell, UseShell::automatic);
  EXPECT_EQ(parse(with_task("  shell: ./run.sh {}\n  use_shell: auto\n")).task.use_shell, UseShell::automatic);
  const Pipeline always = parse(with_task("  shell: ./run.sh {}\n  use_shell: always\n"));
  EXPECT_EQ(always.task.use_shell, UseShell::always);
  EXPECT_NE(describe(always).find("shell: ./run.sh {} (always through /bin/sh)"), std::string::npos);
}

TEST(ConfigUseShell, NotPartOfTheFingerprint) {
  // Both ways give the same record, so workers with either setting may serve one batch.
  EXPECT_EQ(task_fingerprint(parse(with_task("  shell: ./run.sh {}\n  use_shell: always\n")).task),
            task_fingerprint(parse(with_task("  shell: ./run.sh {}\n")).task));
}

TEST(ConfigUseShell, Errors) {
  EXPECT_EQ(error_of(with_task("  shell: ls\n  use_shell: never\n")),
            "/tmp/x/p.yaml:7:14: task.use_shell: expected 'auto' or 'always', got 'never' (to run a command "
            "without a shell, write it as 'argv: [...]')");
  EXPECT_EQ(error_of(with_task("  shell: ls\n  use_shell: yes\n")),
            "/tmp/x/p.yaml:7:14: task.use_shell: expected 'auto' or 'always', got 'yes'");
  EXPECT_EQ(error_of(with_task("  argv: [ls]\n  use_shell: always\n")),
            "/tmp/x/p.yaml:7:3: task.use_shell: only valid with 'shell' (an argv or builtin task runs no shell)");
}
