#pragma once
// GNU parallel's input sources for `zpipe run [options] -- COMMAND [::: ARGS | :::: FILES]...`
// (docs/cli.md, "Inputs and replacement strings"). CLI11 stops at `--`, so the words after
// it are split here: the command, then each `:::` (arguments) or `::::` (files) group.
// Error style: throws config::ConfigError naming the flag or marker (exit 2).

#include <cstdint>
#include <string>
#include <vector>

#include "zpipe/config/pipeline.hpp"

namespace zpipe::app {

// The input flags of `zpipe run`, as given.
struct InputOptions {
  std::vector<std::string> arg_files;  // -a FILE (several; "-" = stdin)
  bool link = false;                   // --link / --xapply
  std::string colsep;                  // --colsep REGEX
  bool null = false;                   // -0 / --null
  std::string delimiter;               // -d DELIM (C escapes: \n \t \0 \\ \NNN \xHH)
  std::uint32_t max_args = 0;          // -n N (0: not given)
  std::uint32_t max_replace_args = 0;  // -N N: as -n, and {} repeats its word (0: not given)
  bool context_replace = false;        // -X: as many as fit, {} repeating its word
  bool multiple = false;               // -m: as many as fit
  std::string trim;                    // --trim n|l|r|lr|rl ("": lr with --colsep, else n)
  std::string header;                  // --header REGEX or ':' (first values are column names)
  // The first of them given, as written ("-a FILE", "--link" ...), or "" when none was: they
  // mean nothing with a pipeline file, which names its source.
  std::string first_given() const;
};

struct CommandInputs {
  std::vector<std::string> command;  // the words before the first ::: or ::::
  config::Source source;             // where the tasks' arguments come from
  bool context_replace = false;      // -X or -N: the task's words holding {} repeat per argument
};

// GNU parallel fills a -X/-m line up to what the system allows; zpipe up to Linux's limit on
// one argument (MAX_ARG_STRLEN, 128 KiB with its NUL): `sh -c` gets the command as one.
constexpr std::uint64_t kMaxCommandLine = (std::uint64_t{128} << 10) - 1;

// Splits the words after `--` and builds the source: -a files first, then the groups in
// order; none of them means stdin. One plain source stays a lines/items source (one
// input per task, streamed); several, -n, -N, -X, -m, --colsep, --trim or --header make
// argument lists. --header reads each source's header now (run_header.hpp).
CommandInputs command_inputs(const std::vector<std::string>& words, const InputOptions& options);

// -X/-m: makes the argument-list source fill each task's line (config::LineFill) for
// `command` (the words joined as the task runs them), shared over `slots` when the input
// ends. Nothing without -X/-m.
void fill_lines(CommandInputs& inputs, const InputOptions& options, const std::string& command, unsigned slots);

// -d's text with its escapes resolved; throws ConfigError when it is empty or malformed.
std::string parse_delimiter(const std::string& text);

}  // namespace zpipe::app
