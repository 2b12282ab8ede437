// GNU-parallel-style placeholder expansion.
//
// The path placeholders copy GNU parallel's own definitions so that commands ported from
// `parallel` behave the same:
//   {.}  = s:\.[^/.]*$::      (drop the extension of the last path component)
//   {/}  = s:.*/::            (basename: everything after the last '/')
//   {//} = File::Basename::dirname
//   {/.} = {/} then {.}

#include "zpipe/worker/placeholders.hpp"

#include <array>

namespace zpipe::worker {
namespace {

// Characters that never need quoting for /bin/sh. Anything else (space, quotes, $, *, ;,
// non-ASCII bytes, ...) makes the whole value single-quoted.
bool is_shell_safe(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '_': case '@': case '%': case '+': case '=': case ':':
    case ',': case '.': case '/': case '-':
      return true;
    default:
      return false;
  }
}

std::string remove_extension(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  if (dot == std::string_view::npos) return std::string(path);
  // A '/' after the last '.' means the dot belongs to a directory name, not an extension.
  if (path.find('/', dot) != std::string_view::npos) return std::string(path);
  return std::string(path.substr(0, dot));
}

std::string basename_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// POSIX dirname(), which is what Perl's File::Basename::dirname does on Unix:
// trailing slashes are ignored, "c" -> ".", "/c" -> "/", "a/b/c" -> "a/b".
std::string dirname_of(std::string_view path) {
  auto strip_trailing_slashes = [](std::string_view p) {
    while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
    return p;
  };
  std::string_view p = strip_trailing_slashes(path);
  if (p.empty()) return ".";
  if (p == "/") return "/";
  const std::size_t slash = p.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return std::string(strip_trailing_slashes(p.substr(0, slash + 1)));
}

struct Placeholder {
  std::string_view token;
  std::string (*value)(std::string_view input, std::uint64_t id);
};

// Order does not matter: every token ends at its '}', so no token is a prefix of another.
const std::array<Placeholder, 6> kPlaceholders{{
    {"{}", [](std::string_view input, std::uint64_t) { return std::string(input); }},
    {"{#}", [](std::string_view, std::uint64_t id) { return std::to_string(id); }},
    {"{.}", [](std::string_view input, std::uint64_t) { return remove_extension(input); }},
    {"{/}", [](std::string_view input, std::uint64_t) { return basename_of(input); }},
    {"{//}", [](std::string_view input, std::uint64_t) { return dirname_of(input); }},
    {"{/.}",
     [](std::string_view input, std::uint64_t) { return remove_extension(basename_of(input)); }},
}};

const Placeholder* placeholder_at(std::string_view text) {
  for (const Placeholder& placeholder : kPlaceholders) {
    if (text.starts_with(placeholder.token)) return &placeholder;
  }
  return nullptr;
}

// Replaces every known placeholder in `text`; sets `found` when at least one was seen.
std::string expand_text(std::string_view text, std::string_view input, std::uint64_t id,
                        bool quote_for_shell, bool& found) {
  std::string expanded;
  expanded.reserve(text.size() + input.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t brace = text.find('{', pos);
    if (brace == std::string_view::npos) {
      expanded.append(text.substr(pos));
      break;
    }
    expanded.append(text.substr(pos, brace - pos));
    const Placeholder* placeholder = placeholder_at(text.substr(brace));
    if (placeholder == nullptr) {
      expanded.push_back('{');  // unknown {x}: left as written
      pos = brace + 1;
      continue;
    }
    found = true;
    const std::string value = placeholder->value(input, id);
    expanded.append(quote_for_shell ? shell_quote_if_needed(value) : value);
    pos = brace + placeholder->token.size();
  }
  return expanded;
}

}  // namespace

std::size_t placeholder_length(std::string_view text) {
  const Placeholder* placeholder = placeholder_at(text);
  return placeholder == nullptr ? 0 : placeholder->token.size();
}

std::string shell_quote_if_needed(std::string_view value) {
  bool needs_quotes = value.empty();
  for (char c : value) {
    if (!is_shell_safe(c)) {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) return std::string(value);

  // Inside single quotes nothing is special except the closing quote itself, so a literal
  // ' is written as: close quote, escaped quote, reopen quote.
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted.push_back(c);
    }
  }
  quoted.push_back('\'');
  return quoted;
}

std::string expand_shell(std::string_view command, std::string_view input, std::uint64_t id) {
  bool found = false;
  std::string expanded = expand_text(command, input, id, /*quote_for_shell=*/true, found);
  if (!found) {
    expanded.push_back(' ');
    expanded.append(shell_quote_if_needed(input));
  }
  return expanded;
}

std::vector<std::string> expand_argv(const std::vector<std::string>& argv, std::string_view input,
                                     std::uint64_t id) {
  bool found = false;
  std::vector<std::string> expanded;
  expanded.reserve(argv.size() + 1);
  for (const std::string& word : argv) {
    expanded.push_back(expand_text(word, input, id, /*quote_for_shell=*/false, found));
  }
  if (!found) expanded.emplace_back(input);
  return expanded;
}

}  // namespace zpipe::worker
