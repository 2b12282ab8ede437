#include "run_header.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <regex>

namespace zpipe::app {
namespace {

using config::ConfigError;

// The first input of `fd`, ended by `delimiter` (not part of it) or the end, read one byte at
// a time: not a byte past it is taken, so the rest stays for whoever reads `fd` next.
std::string first_input(int fd, const std::string& delimiter, const std::string& name) {
  std::string input;
  char byte = 0;
  for (;;) {
    const ssize_t n = ::read(fd, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ConfigError("run: --header: cannot read " + name + ": " + std::strerror(errno));
    if (n == 0) break;
    input.push_back(byte);
    if (input.ends_with(delimiter)) {
      input.resize(input.size() - delimiter.size());
      break;
    }
  }
  if (input.ends_with('\r')) input.pop_back();  // as parallel: a header line from Windows
  return input;
}

std::string header_of(config::LinesSource& lines) {
  if (lines.path == "-") return first_input(STDIN_FILENO, lines.delimiter, "standard input");
  const int fd = ::open(lines.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ConfigError("run: --header: cannot open " + lines.path + ": " + std::strerror(errno));
  struct stat about {};
  // The ventilator opens the file again and skips the header: a pipe could not be read twice.
  if (::fstat(fd, &about) != 0 || !S_ISREG(about.st_mode)) {
    ::close(fd);
    throw ConfigError("run: --header: " + lines.path + " is not a regular file; give it on standard input (:::: -)");
  }
  std::string header;
  try {
    header = first_input(fd, lines.delimiter, lines.path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  lines.skip_first = true;
  return header;
}

// Perl's split: the fields between the separator's matches, trailing empty ones dropped.
std::vector<std::string> split_names(const std::string& header, const std::regex& separator) {
  std::vector<std::string> names;
  auto from = header.cbegin();
  std::smatch match;
  while (from != header.cend() && std::regex_search(from, header.cend(), match, separator) && match.length(0) > 0) {
    names.emplace_back(from, match[0].first);
    from = match[0].second;
  }
  names.emplace_back(from, header.cend());
  while (!names.empty() && names.back().empty()) names.pop_back();
  return names;
}

}  // namespace

std::string rename_columns(std::string word, const std::vector<std::string>& names) {
  // The forms parallel renames, as its s:\{$name(|/|//|\.|/\.)\}:\{$id$1\}:g does.
  constexpr std::array<std::string_view, 5> kForms{"}", "/}", "//}", ".}", "/.}"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string open = "{" + names[i];
    const std::string position = "{" + std::to_string(i + 1);
    std::string renamed;
    std::size_t at = 0;
    for (std::size_t found = word.find(open); found != std::string::npos; found = word.find(open, at)) {
      const std::string_view rest = std::string_view(word).substr(found + open.size());
      const auto form = std::find_if(kForms.begin(), kForms.end(), [&](std::string_view f) { return rest.starts_with(f); });
      renamed.append(word, at, found - at);
      if (form == kForms.end()) {
        renamed += open;
      } else {
        renamed += position;
        renamed += *form;
      }
      at = found + open.size() + (form == kForms.end() ? 0 : form->size());
    }
    renamed.append(word, at);
    word = std::move(renamed);
  }
  return word;
}

void apply_header(std::vector<config::InputSource>& inputs, std::vector<std::string>& command,
                  const std::string& colsep) {
  const std::regex separator(colsep, std::regex::ECMAScript);
  std::vector<std::string> names;
  for (config::InputSource& input : inputs) {
    std::string header;
    if (auto* items = std::get_if<config::ItemsSource>(&input)) {
      if (!items->items.empty()) {
        header = std::move(items->items.front());
        items->items.erase(items->items.begin());
      }
    } else {
      header = header_of(std::get<config::LinesSource>(input));
    }
    for (std::string& name : split_names(header, separator)) names.push_back(std::move(name));
  }
  for (std::string& word : command) word = rename_columns(std::move(word), names);
}

}  // namespace zpipe::app
