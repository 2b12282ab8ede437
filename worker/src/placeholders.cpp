// GNU-parallel-style placeholder expansion.
//
// The path placeholders copy GNU parallel's own definitions so that commands ported from
// `parallel` behave the same:
//   {.}  = s:\.[^/.]*$::      (drop the extension of the last path component)
//   {/}  = s:.*/::            (basename: everything after the last '/')
//   {//} = File::Basename::dirname
//   {/.} = {/} then {.}
// Each applies to one argument ({3/}), or to every argument in turn ({/}), as in parallel.

#include "zpipe/worker/placeholders.hpp"

#include <algorithm>
#include <array>
#include <optional>

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

using Transform = std::string (*)(std::string_view);

struct Modifier {
  std::string_view suffix;  // what follows the position (or nothing) before the '}'
  Transform transform;
};

// Suffixes, longest first where one is a prefix of another ("//" before "/", "/." before "/").
const std::array<Modifier, 5> kModifiers{{
    {"", [](std::string_view a) { return std::string(a); }},
    {".", remove_extension},
    {"//", dirname_of},
    {"/.", [](std::string_view a) { return remove_extension(basename_of(a)); }},
    {"/", basename_of},
}};

// A placeholder found in the text: what it stands for and how many bytes it spans.
struct Token {
  enum class Kind { all_args, one_arg, id, slot } kind = Kind::all_args;
  long position = 0;  // one_arg: 1-based, or negative from the end
  Transform transform = nullptr;
  std::size_t length = 0;
};

std::optional<Token> modifier_token(std::string_view rest, Token token, std::size_t consumed) {
  for (const Modifier& m : kModifiers) {
    if (rest.substr(consumed).starts_with(m.suffix) && rest.substr(consumed + m.suffix.size()).starts_with("}")) {
      token.transform = m.transform;
      token.length = consumed + m.suffix.size() + 1;
      return token;
    }
  }
  return std::nullopt;
}

// The placeholder starting at text[0] == '{', if any.
std::optional<Token> token_at(std::string_view text) {
  if (text.starts_with("{#}")) return Token{Token::Kind::id, 0, nullptr, 3};
  if (text.starts_with("{%}")) return Token{Token::Kind::slot, 0, nullptr, 3};
  std::size_t at = 1;
  const bool negative = at < text.size() && text[at] == '-';
  if (negative) ++at;
  long position = 0;
  const std::size_t digits_from = at;
  // Nine digits at most: no overflow, and no command has a billion arguments.
  while (at < text.size() && at - digits_from < 9 && text[at] >= '0' && text[at] <= '9')
    position = position * 10 + (text[at++] - '0');
  if (at == digits_from) {
    if (negative) return std::nullopt;
    return modifier_token(text, Token{Token::Kind::all_args, 0, nullptr, 0}, 1);
  }
  if (position == 0) return std::nullopt;  // {0}, {-0}: not placeholders in parallel either
  return modifier_token(text, Token{Token::Kind::one_arg, negative ? -position : position, nullptr, 0}, at);
}

// The argument a positional placeholder names; nullopt beyond the list (empty, as in parallel).
std::optional<std::string_view> positional(std::span<const std::string> args, long position) {
  const long count = static_cast<long>(args.size());
  const long index = position > 0 ? position - 1 : count + position;
  if (index < 0 || index >= count) return std::nullopt;
  return args[static_cast<std::size_t>(index)];
}

// Appends every argument, transformed and (for a shell) quoted, joined by spaces.
void append_all(std::string& out, std::span<const std::string> args, Transform transform, bool quote_for_shell) {
  bool first = true;
  for (const std::string& arg : args) {
    if (!first) out.push_back(' ');
    first = false;
    const std::string value = transform(arg);
    out.append(quote_for_shell ? shell_quote_if_needed(value) : value);
  }
}

// `all` is what {} stands for: every argument, or with context replace the one whose copy of
// the word this is; {N} always counts in every argument.
void append_value(std::string& out, const Token& token, const TaskArgs& task, std::span<const std::string> all,
                  bool quote_for_shell) {
  std::string value;
  switch (token.kind) {
    case Token::Kind::all_args:
      append_all(out, all, token.transform, quote_for_shell);
      return;
    case Token::Kind::id:
      out.append(std::to_string(task.id));
      return;
    case Token::Kind::slot:
      out.append(std::to_string(task.slot));
      return;
    case Token::Kind::one_arg:
      if (const auto arg = positional(task.args, token.position)) value = token.transform(*arg);
      break;
  }
  out.append(quote_for_shell ? shell_quote_if_needed(value) : value);
}

// Replaces every known placeholder in `text`, {} by `all`; sets `found` when at least one
// was seen.
std::string expand_tokens(std::string_view text, const TaskArgs& task, std::span<const std::string> all,
                          bool quote_for_shell, bool& found) {
  std::string expanded;
  expanded.reserve(text.size() + 16);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t brace = text.find('{', pos);
    if (brace == std::string_view::npos) {
      expanded.append(text.substr(pos));
      break;
    }
    expanded.append(text.substr(pos, brace - pos));
    const std::optional<Token> token = token_at(text.substr(brace));
    if (!token) {
      expanded.push_back('{');  // unknown {x}: left as written
      pos = brace + 1;
      continue;
    }
    found = true;
    append_value(expanded, *token, task, all, quote_for_shell);
    pos = brace + token->length;
  }
  return expanded;
}

// True when `word` holds {} or one of its path forms, which context replace repeats.
bool holds_all_args(std::string_view word) {
  for (std::size_t brace = word.find('{'); brace != std::string_view::npos; brace = word.find('{', brace + 1)) {
    const std::optional<Token> token = token_at(word.substr(brace));
    if (token && token->kind == Token::Kind::all_args) return true;
  }
  return false;
}

// `word` once per argument, {} standing for that one, the copies joined by spaces.
std::string repeat_word(std::string_view word, const TaskArgs& task, bool quote_for_shell, bool& found) {
  std::string out;
  for (std::size_t i = 0; i < task.args.size(); ++i) {
    if (i > 0) out.push_back(' ');
    out += expand_tokens(word, task, task.args.subspan(i, 1), quote_for_shell, found);
  }
  found = true;
  return out;
}

std::string expand_text(std::string_view text, const TaskArgs& task, bool quote_for_shell, bool& found) {
  if (!task.repeat_context) return expand_tokens(text, task, task.args, quote_for_shell, found);
  // Context replace: the command word by word, as parallel reads it (\S+ between whitespace).
  constexpr std::string_view kSpace = " \t\n";
  std::string expanded;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = text.find_first_not_of(kSpace, pos);
    expanded.append(text.substr(pos, start == std::string_view::npos ? std::string_view::npos : start - pos));
    if (start == std::string_view::npos) break;
    const std::size_t end = std::min(text.find_first_of(kSpace, start), text.size());
    const std::string_view word = text.substr(start, end - start);
    expanded += holds_all_args(word) ? repeat_word(word, task, quote_for_shell, found)
                                     : expand_tokens(word, task, task.args, quote_for_shell, found);
    pos = end;
  }
  return expanded;
}

}  // namespace

std::size_t placeholder_length(std::string_view text) {
  if (!text.starts_with('{')) return 0;
  const std::optional<Token> token = token_at(text);
  // {%} is the slot, which the one-input expansion of a caller that counts tokens fixes at 1.
  return token && token->kind != Token::Kind::slot ? token->length : 0;
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

std::string expand_shell(std::string_view command, const TaskArgs& task) {
  bool found = false;
  std::string expanded = expand_text(command, task, /*quote_for_shell=*/true, found);
  if (!found) {
    expanded.push_back(' ');
    append_all(expanded, task.args, kModifiers[0].transform, /*quote_for_shell=*/true);
  }
  return expanded;
}

std::vector<std::string> expand_argv(const std::vector<std::string>& argv, const TaskArgs& task) {
  bool found = false;
  std::vector<std::string> expanded;
  expanded.reserve(argv.size() + task.args.size());
  for (const std::string& word : argv) {
    if (task.repeat_context && holds_all_args(word)) {
      for (std::size_t i = 0; i < task.args.size(); ++i)
        expanded.push_back(expand_tokens(word, task, task.args.subspan(i, 1), /*quote_for_shell=*/false, found));
      found = true;
      continue;
    }
    expanded.push_back(expand_tokens(word, task, task.args, /*quote_for_shell=*/false, found));
  }
  if (!found) expanded.insert(expanded.end(), task.args.begin(), task.args.end());
  return expanded;
}

LineShape line_shape(std::string_view command, bool repeat_context) {
  LineShape shape;
  shape.fixed = command.size() + 1;  // + the space before appended arguments
  constexpr std::string_view kSpace = " \t\n";
  for (std::size_t start = command.find_first_not_of(kSpace); start != std::string_view::npos;
       start = command.find_first_not_of(kSpace, start)) {
    const std::size_t end = std::min(command.find_first_of(kSpace, start), command.size());
    const std::string_view word = command.substr(start, end - start);
    const bool repeated = repeat_context && holds_all_args(word);
    if (repeated) shape.per_arg += word.size() + 1;
    for (std::size_t brace = word.find('{'); brace != std::string_view::npos; brace = word.find('{', brace + 1)) {
      const std::optional<Token> token = token_at(word.substr(brace));
      if (!token) continue;
      if (token->kind == Token::Kind::id || token->kind == Token::Kind::slot) shape.fixed += 20;  // digits of a u64
      else ++shape.copies;
    }
    start = end;
  }
  if (shape.copies == 0) shape.copies = 1;  // appended
  shape.per_arg += shape.copies;             // a space before each copy
  return shape;
}

std::string expand_shell(std::string_view command, std::string_view input, std::uint64_t id) {
  const std::string arg(input);
  return expand_shell(command, TaskArgs{{&arg, 1}, id, 1, false});
}

std::vector<std::string> expand_argv(const std::vector<std::string>& argv, std::string_view input,
                                     std::uint64_t id) {
  const std::string arg(input);
  return expand_argv(argv, TaskArgs{{&arg, 1}, id, 1, false});
}

}  // namespace zpipe::worker
