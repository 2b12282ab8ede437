#pragma once
// Running a `shell` task without the shell when the shell would only exec one program
// (as xargs does): one exec instead of two per task. The record must be the one
// `/bin/sh -c COMMAND` gives, byte for byte, so every test here is conservative: when in
// doubt, the answer is "use the shell". docs/tasks.md, "Shell or direct exec".
//
// Error style: answers, no errors (anything unexpected means "use the shell").

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zpipe/worker/process.hpp"

namespace zpipe::worker {

// The argv that `/bin/sh -c expand_shell(command, input, id)` would exec, when the shell
// would do nothing but split the command into words and run one program found in PATH:
// the command's literal text holds no shell syntax (quotes, $, globs, redirections,
// operators, `=`, `~`, `#`, braces other than placeholders, control bytes; spaces and tabs
// only separate words) and the program is neither empty, an assignment, nor a shell
// keyword or builtin. A placeholder's value is always part of one word, never split.
// nullopt: use the shell.
std::optional<std::vector<std::string>> shell_free_argv(std::string_view command, std::string_view input,
                                                        std::uint64_t id);

// The environment `/bin/sh -c` would give the program it runs, for a direct exec in its
// place; nullopt when this process cannot stand in for the shell: /bin/sh is not dash (the
// shell whose rules shell_free_argv reproduces), PATH is unset (dash would search its own
// default list, exec another), or dash would rewrite a variable (a name that is not a shell
// name or is given twice, IFS, OPTIND, PPID). It is this process's environ, with PWD set to
// the current directory when it does not name it already (dash does that). Computed once
// per process: the worker changes none of these.
std::optional<char* const*> direct_exec_environment();

// dash runs a command in a child and reports that child's death by a signal S itself:
// exit status 128 + S and, unless S is SIGINT or SIGPIPE, a line on its stderr:
// strsignal(S) (at most 31 bytes), " (core dumped)" when there is one. A direct exec makes
// the same of such a death, so the record stays what `sh -c` gives. The line counts against
// `max_output` like any stderr byte. A death by our own timeout kill is left as it is (the
// shell dies of it too).
void report_death_as_dash_would(ProcessResult& process, std::size_t max_output);

}  // namespace zpipe::worker
