#include "run_inputs.hpp"

#include <filesystem>
#include <regex>

namespace zpipe::app {
namespace {

using config::ConfigError;

bool is_marker(const std::string& word) {
  // parallel's :::+ and ::::+ link one source to the one before; zpipe has only --link.
  if (word == ":::+" || word == "::::+")
    throw ConfigError("run: '" + word + "' is not supported: use --link to pair every input source");
  return word == ":::" || word == "::::";
}

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

  CommandInputs result;
  std::vector<config::InputSource> inputs;
  for (const std::string& file : options.arg_files) inputs.emplace_back(std::in_place_type<config::LinesSource>, arg_file("-a", file, delimiter));

  auto word = words.begin();
  for (; word != words.end() && !is_marker(*word); ++word) result.command.push_back(*word);
  while (word != words.end()) {
    const std::string marker = *word++;
    std::vector<std::string> group;
    for (; word != words.end() && !is_marker(*word); ++word) group.push_back(*word);
    if (marker == ":::") {
      config::ItemsSource items;
      items.items = std::move(group);
      inputs.emplace_back(std::in_place_type<config::ItemsSource>, std::move(items));
      continue;
    }
    if (group.empty()) throw ConfigError("run: '::::' with no file after it");
    for (const std::string& file : group) inputs.emplace_back(std::in_place_type<config::LinesSource>, arg_file("::::", file, delimiter));
  }
  if (result.command.empty()) throw ConfigError("run: nothing after '--': give the command to run");
  if (inputs.empty()) inputs.emplace_back(std::in_place_type<config::LinesSource>, arg_file("stdin", "-", delimiter));

  const bool arg_lists = inputs.size() > 1 || options.max_args > 1 || !options.colsep.empty();
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
  args.link = options.link;
  args.colsep = options.colsep;
  args.max_args = std::max<std::uint32_t>(1, options.max_args);
  result.source = std::move(args);
  return result;
}

}  // namespace zpipe::app
