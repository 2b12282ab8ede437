#pragma once
// The task sources open_source() picks from, for the sources that build on one another:
// an argument-list source reads its inputs through the lines and items sources.
// Private to the ventilator library. Error style: as source.hpp.

#include <memory>

#include "zpipe/config/pipeline.hpp"
#include "zpipe/ventilator/source.hpp"

namespace zpipe::ventilator {

// Inputs ended by lines.delimiter, from a file or stdin ("-"); read lazily.
std::unique_ptr<TaskSource> open_lines(const config::LinesSource& lines);
// The pipeline's items, which outlive the source.
std::unique_ptr<TaskSource> open_items(const config::ItemsSource& items);
// GNU parallel's input sources combined into argument lists (args_source.cpp).
std::unique_ptr<TaskSource> open_args(const config::ArgsSource& args);

}  // namespace zpipe::ventilator
