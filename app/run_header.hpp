#pragma once
// GNU parallel's --header for `zpipe run -- COMMAND` (docs/cli.md, "--header"): the first
// value of each input source is a line of column names, split at the column separator;
// `{name}` (and `{name.}` `{name/}` `{name//}` `{name/.}`) in the command then stand for
// that column, numbered across the sources as parallel numbers them. The names are needed
// before anything runs, to rewrite the command, so they are read here, not by the
// ventilator: a ::: source loses its first value, standard input its first input (read a
// byte at a time, so what follows is left for the ventilator), a file is marked to skip it.
// Error style: throws config::ConfigError naming --header (exit 2).

#include <string>
#include <vector>

#include "zpipe/config/pipeline.hpp"

namespace zpipe::app {

// Reads and removes the header of every source in `inputs`, splits it at `colsep` (an
// ECMAScript regex; trailing empty names dropped, as Perl's split does) and rewrites the
// names' replacement strings in `command` to positional ones.
void apply_header(std::vector<config::InputSource>& inputs, std::vector<std::string>& command,
                  const std::string& colsep);

// `{name}` and its path forms in `word` as `{position}` ..., for each name in turn.
std::string rename_columns(std::string word, const std::vector<std::string>& names);

}  // namespace zpipe::app
