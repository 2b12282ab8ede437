// libFuzzer target for the pipeline-file loader (config/src/, docs/config.md).
//
// Input: the text of a pipeline YAML file (seeds in fuzz/corpus/config/). Checked properties:
//   - parse_pipeline either returns a Pipeline or throws ConfigError; any other exception
//     type, a crash, a hang or runaway memory is a bug;
//   - a ConfigError's what() is one line "FILE:LINE:COL: message" with FILE the name it was
//     given, LINE and COL positive decimal numbers, and a non-empty message;
//   - an accepted pipeline can be described and fingerprinted without throwing.
// A violated property aborts, which is how libFuzzer reports it.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>

#include "zpipe/config/pipeline.hpp"

namespace {

const std::filesystem::path kFile = "/fuzz/pipeline.yaml";

[[noreturn]] void violated(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_config: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Consumes "DIGITS:" (a positive number) from the front of `text`.
bool take_number(std::string_view& text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits >= text.size() || text[digits] != ':') return false;
  if (text.substr(0, digits).find_first_not_of('0') == std::string_view::npos) return false;  // 0
  text.remove_prefix(digits + 1);
  return true;
}

bool well_formed(std::string_view message) {
  const std::string prefix = kFile.string() + ":";
  if (message.substr(0, prefix.size()) != prefix) return false;
  message.remove_prefix(prefix.size());
  if (!take_number(message) || !take_number(message)) return false;
  if (message.find_first_of("\r\n") != std::string_view::npos) return false;
  return message.size() > 1 && message[0] == ' ';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const zpipe::config::Pipeline pipeline = zpipe::config::parse_pipeline(text, kFile);
    (void)zpipe::config::describe(pipeline);
    (void)zpipe::config::task_fingerprint(pipeline.task);
  } catch (const zpipe::config::ConfigError& e) {
    if (!well_formed(e.what())) violated("ConfigError not one line FILE:LINE:COL: message", e.what());
  } catch (const std::exception& e) {
    violated("exception other than ConfigError", e.what());
  } catch (...) {
    violated("exception other than ConfigError", "not a std::exception");
  }
  return 0;
}
