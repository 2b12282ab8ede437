// Which shell commands can skip the shell, and the argv the shell would have run.
//
// The command's literal text is read as dash reads it; only the simplest case is accepted,
// a plain list of words. Placeholder values need no reading at all: expand_shell quotes any
// value that holds a byte special to the shell, so the shell takes every value as part of
// one word, verbatim (an unquoted value holds only `A-Za-z0-9_@%+=:,./-`, nothing the shell
// expands). Hence the argv is the template's words with their placeholders replaced by the
// raw values: what expand_argv does with an argv task's words.

#include "zpipe/worker/direct_exec.hpp"

#include <algorithm>
#include <iterator>

#include "zpipe/worker/placeholders.hpp"

namespace zpipe::worker {
namespace {

// Bytes of a command's literal text that may make the shell do more than split words:
// operators, redirections, quotes, expansions, globs, comments, assignments, tilde, brace
// and job syntax, history (bash), `^` (a pipe in old shells), newline (a second command)
// and every other control byte. Space and tab only separate words.
bool is_shell_syntax(unsigned char c) {
  if (c == '\t') return false;
  if (c < 0x20 || c == 0x7f) return true;
  switch (c) {
    case '|': case '&': case ';': case '<': case '>': case '(': case ')':
    case '$': case '`': case '\\': case '"': case '\'':
    case '*': case '?': case '[': case ']': case '#': case '~': case '=': case '%':
    case '{': case '}': case '!': case '^':
      return true;
    default:
      return false;
  }
}

// The command's words, placeholders still in them; nullopt when its literal text holds
// shell syntax or no word at all.
std::optional<std::vector<std::string>> plain_words(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  auto end_word = [&] {
    if (in_word) words.push_back(std::move(word));
    word.clear();
    in_word = false;
  };
  for (std::size_t i = 0; i < command.size();) {
    const char c = command[i];
    if (c == ' ' || c == '\t') {
      end_word();
      ++i;
      continue;
    }
    if (const std::size_t token = placeholder_length(command.substr(i)); token > 0) {
      word.append(command.substr(i, token));
      in_word = true;
      i += token;
      continue;
    }
    if (is_shell_syntax(static_cast<unsigned char>(c))) return std::nullopt;
    word.push_back(c);
    in_word = true;
    ++i;
  }
  end_word();
  if (words.empty()) return std::nullopt;
  return words;
}

// dash's keywords and builtins (`dash -c 'type NAME'`), and bash's, should /bin/sh be bash
// somewhere. A builtin can differ from the program of the same name (dash's `echo` reads
// backslash escapes, /bin/echo does not; /bin/true answers --help), so both go to the shell.
constexpr std::string_view kShellWords[] = {
    "!", ".", ":", "[", "[[", "]]", "alias", "bg", "bind", "break", "builtin", "caller", "case",
    "cd", "chdir", "command", "compgen", "complete", "compopt", "continue", "coproc", "declare",
    "dirs", "disown", "do", "done", "echo", "elif", "else", "enable", "esac", "eval", "exec",
    "exit", "export", "false", "fc", "fg", "fi", "for", "function", "getopts", "hash", "help",
    "history", "if", "in", "jobs", "kill", "let", "local", "logout", "mapfile", "popd", "printf",
    "pushd", "pwd", "read", "readarray", "readonly", "return", "select", "set", "shift", "shopt",
    "source", "suspend", "test", "then", "time", "times", "trap", "true", "type", "typeset",
    "ulimit", "umask", "unalias", "unset", "until", "wait", "while", "{", "}",
};

// A word the shell runs as a keyword or builtin, not a program from PATH.
bool is_shell_keyword_or_builtin(std::string_view word) {
  return std::ranges::find(kShellWords, word) != std::end(kShellWords);
}

}  // namespace

std::optional<std::vector<std::string>> shell_free_argv(std::string_view command, std::string_view input,
                                                        std::uint64_t id) {
  const std::optional<std::vector<std::string>> words = plain_words(command);
  if (!words) return std::nullopt;
  // With no placeholder the input becomes one more word, as expand_shell appends it quoted.
  std::vector<std::string> argv = expand_argv(*words, input, id);
  const std::string& program = argv.front();
  // An empty name is the shell's own error; a value with `=` in the first word may be an
  // assignment (`{}` on `A=1`), a value may name a keyword or builtin (`{} x` on `if`).
  if (program.empty() || program.find('=') != std::string::npos || is_shell_keyword_or_builtin(program))
    return std::nullopt;
  return argv;
}

}  // namespace zpipe::worker
