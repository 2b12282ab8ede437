#pragma once
// Shared by the config tests: a minimal valid file, and the error a text produces.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "test_support.hpp"
#include "zpipe/config/pipeline.hpp"

namespace zpipe::config::testing {

namespace fs = std::filesystem;

inline const fs::path kFile = "/tmp/x/p.yaml";

// The smallest valid file; tests append sections to it (it is 6 lines long).
inline const std::string kHead = "version: 1\n"
                                 "name: t\n"
                                 "source:\n"
                                 "  range: {count: 3}\n"
                                 "task:\n"
                                 "  shell: echo\n";

inline Pipeline parse(const std::string& text) { return parse_pipeline(text, kFile); }

// The message of the ConfigError that parsing `text` throws ("" and a test failure if none).
inline std::string error_of(const std::string& text, const fs::path& file = kFile) {
  try {
    parse_pipeline(text, file);
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a ConfigError: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

// A pipeline whose task section is `task` (lines 5.. of the file).
inline std::string with_task(const std::string& task) {
  return "version: 1\nname: t\nsource:\n  range: {count: 3}\ntask:\n" + task;
}

// Writes `text` to `name` inside `dir` and returns its path.
inline fs::path write_in(const zpipe::test::TempDir& dir, const std::string& name, const std::string& text) {
  const fs::path file = dir / name;
  zpipe::test::write_file(file, text);
  return file;
}

}  // namespace zpipe::config::testing
