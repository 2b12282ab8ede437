#include "run_inputs.hpp"

#include "run_header.hpp"
#include "zpipe/worker/placeholders.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <regex>

namespace zpipe::app {
namespace {

using config::ConfigError;

// ::: and :::: start a source; :::+ and ::::+ one paired with the source before it.
bool is_marker(const std::string& word) { return word == ":::" || word == "::::" || word == ":::+" || word == "::::+"; }

// A file of arguments (-a, ::::) must be there before anything starts, as in parallel.
config::LinesSource arg_file(const std::string& flag, const std::string& path, const std::string& delimiter) {
  if (path == "-") return config::LinesSource{path, delimiter};
  std::error_code error;
  if (!std::filesystem::exists(path, error))
    throw ConfigError("run: " + flag + " " + path + ": no such file");
  if (std::filesystem::is_directory(path, error))
    throw ConfigError("run: " + flag + " " + path + ": is a directory, not a file of arguments");
  return config::LinesSource{std::filesystem::absolute(path).string(), delimiter};
}

std::string delimiter_of(const InputOptions& o) {
  if (o.null && !o.delimiter.empty()) throw ConfigError("run: -0/--null and -d/--delimiter: give one of them");
  if (o.null) return std::string(1, '\0');
  if (!o.delimiter.empty()) return parse_delimiter(o.delimiter);
  return "\n";
}

void check_colsep(const std::string& colsep) {
  try {
    const std::regex compiled(colsep, std::regex::ECMAScript);
    if (std::regex_match("", compiled))
      throw ConfigError("run: --colsep '" + colsep + "' matches the empty string: it would split nothing");
  } catch (const std::regex_error& e) {
    throw ConfigError("run: --colsep '" + colsep + "' is not a regular expression: " + e.what());
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string InputOptions::first_given() const {
  if (!arg_files.empty()) return "-a " + arg_files.front();
  if (link) return "--link";
  if (!colsep.empty()) return "--colsep";
  if (null) return "-0";
  if (!delimiter.empty()) return "-d";
  if (max_args > 0) return "-n";
  if (max_replace_args > 0) return "-N";
  if (context_replace) return "-X";
  if (multiple) return "-m";
  if (!trim.empty()) return "--trim";
  if (!header.empty()) return "--header";
  return "";
}

std::string parse_delimiter(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out.push_back(text[i]);
      continue;
    }
    const char e = text[++i];
    switch (e) {
      case 'n': out.push_back('\n'); continue;
      case 't': out.push_back('\t'); continue;
      case 'r': out.push_back('\r'); continue;
      case 'a': out.push_back('\a'); continue;
      case 'b': out.push_back('\b'); continue;
      case 'f': out.push_back('\f'); continue;
      case 'v': out.push_back('\v'); continue;
      case '\\': out.push_back('\\'); continue;
      default: break;
    }
    if (e == 'x') {  // \xH or \xHH
      int value = 0;
      std::size_t digits = 0;
      for (; digits < 2 && i + 1 < text.size() && hex_digit(text[i + 1]) >= 0; ++digits)
        value = value * 16 + hex_digit(text[++i]);
      if (digits == 0) throw ConfigError("run: -d '" + text + "': \\x needs a hexadecimal digit");
      out.push_back(static_cast<char>(value));
    } else if (e >= '0' && e <= '7') {  // \N, \NN, \NNN octal (\0 is NUL)
      int value = e - '0';
      for (int digits = 1; digits < 3 && i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '7'; ++digits)
        value = value * 8 + (text[++i] - '0');
      out.push_back(static_cast<char>(value & 0xff));
    } else {
      out.push_back('\\');  // an unknown escape stays as written
      out.push_back(e);
    }
  }
  if (out.empty()) throw ConfigError("run: -d/--delimiter: the delimiter is empty");
  return out;
}

CommandInputs command_inputs(const std::vector<std::string>& words, const InputOptions& options) {
  const std::string delimiter = delimiter_of(options);
  if (!options.colsep.empty()) check_colsep(options.colsep);
  if (options.max_args > 0 && options.max_replace_args > 0) throw ConfigError("run: -n and -N: give one of them");
  if (options.context_replace && options.multiple) throw ConfigError("run: -X and -m: give one of them");
  if (options.header == "0")
    throw ConfigError("run: --header 0 (replacement strings named after the files) is not supported: give the files "
                      "a header line, or use {1} {2} ...");
  // As parallel: --header splits at TAB unless --colsep says otherwise, and only an explicit
  // --colsep trims white space by default.
  const std::string colsep = options.colsep.empty() && !options.header.empty() ? "\t" : options.colsep;
  const std::string trim = !options.trim.empty() ? options.trim : options.colsep.empty() ? "n" : "lr";
  if (trim != "n" && trim != "l" && trim != "r" && trim != "lr" && trim != "rl")
    throw ConfigError("run: --trim '" + trim + "': give one of n, l, r, lr, rl");

  CommandInputs result;
  std::vector<config::InputSource> inputs;
  for (const std::string& file : options.arg_files) inputs.emplace_back(std::in_place_type<config::LinesSource>, arg_file("-a", file, delimiter));

  std::vector<bool> linked(inputs.size(), false);
  const std::size_t after_command = inputs.size();
  auto word = words.begin();
  for (; word != words.end() && !is_marker(*word); ++word) result.command.push_back(*word);
  while (word != words.end()) {
    const std::string marker = *word++;
    // As in parallel, a first :::+ after the command has nothing to pair with (not an -a).
    const bool link_previous = marker.back() == '+' && inputs.size() > after_command;
    std::vector<std::string> group;
    for (; word != words.end() && !is_marker(*word); ++word) group.push_back(*word);
    if (marker == ":::" || marker == ":::+") {
      config::ItemsSource items;
      items.items = std::move(group);
      inputs.emplace_back(std::in_place_type<config::ItemsSource>, std::move(items));
      linked.push_back(link_previous);
      continue;
    }
    if (group.empty()) throw ConfigError("run: '" + marker + "' with no file after it");
    for (const std::string& file : group) {
      inputs.emplace_back(std::in_place_type<config::LinesSource>, arg_file(marker, file, delimiter));
      linked.push_back(link_previous);  // ::::+ f g: each file paired with the source before it
    }
  }
  if (result.command.empty()) throw ConfigError("run: nothing after '--': give the command to run");
  if (inputs.empty()) inputs.emplace_back(std::in_place_type<config::LinesSource>, arg_file("stdin", "-", delimiter));
  if (!options.header.empty()) apply_header(inputs, result.command, colsep);

  result.context_replace = options.context_replace || options.max_replace_args > 0;
  const std::uint32_t max_args = std::max(options.max_args, options.max_replace_args);
  const bool fill = options.context_replace || options.multiple;
  const bool arg_lists =
      inputs.size() > 1 || max_args > 1 || !colsep.empty() || trim != "n" || result.context_replace || fill;
  if (!arg_lists) {
    if (auto* lines = std::get_if<config::LinesSource>(&inputs.front())) {
      result.source = std::move(*lines);
    } else {
      result.source = std::move(std::get<config::ItemsSource>(inputs.front()));
    }
    return result;
  }
  config::ArgsSource args;
  args.inputs = std::move(inputs);
  if (std::find(linked.begin(), linked.end(), true) != linked.end()) args.linked_to_previous = std::move(linked);
  args.link = options.link;
  args.colsep = colsep;
  args.trim_left = trim.find('l') != std::string::npos;
  args.trim_right = trim.find('r') != std::string::npos;
  // -X/-m without -n/-N: as many as fit on the line (fill_lines).
  args.max_args = max_args > 0 ? max_args : fill ? std::numeric_limits<std::uint32_t>::max() : 1;
  result.source = std::move(args);
  return result;
}

void fill_lines(CommandInputs& inputs, const InputOptions& options, const std::string& command, unsigned slots) {
  auto* args = std::get_if<config::ArgsSource>(&inputs.source);
  if (args == nullptr || !(options.context_replace || options.multiple)) return;
  const worker::LineShape shape = worker::line_shape(command, inputs.context_replace);
  args->fill = config::LineFill{kMaxCommandLine, shape.fixed, shape.copies, shape.per_arg, slots};
}

}  // namespace zpipe::app
