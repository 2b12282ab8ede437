#include "inputs.hpp"

#include <cerrno>
#include <system_error>

namespace zpipe::experiment::detail {

Inputs::Inputs(const config::Source& source, std::uint64_t tasks, std::optional<std::uint64_t> payload)
    : source_(source), tasks_(tasks), payload_(payload) {
  if (const auto* lines = std::get_if<config::LinesSource>(&source_); lines != nullptr && !payload_) {
    file_.open(lines->path, std::ios::binary);
    if (!file_) throw std::system_error(errno, std::system_category(), "cannot read " + lines->path);
  }
}

void Inputs::fill(std::string& out, std::size_t bytes) {
  if (file_.is_open()) {
    // The pipeline's lines file as it is (the sweep counted its lines as the batch's size).
    std::string chunk(bytes, '\0');
    file_.read(chunk.data(), static_cast<std::streamsize>(bytes));
    out.append(chunk.data(), static_cast<std::size_t>(file_.gcount()));
    return;
  }
  const std::size_t limit = out.size() + bytes;
  while (given_ < tasks_ && out.size() < limit) {
    if (payload_) {
      out.append(*payload_, 'x');
    } else if (const auto* range = std::get_if<config::RangeSource>(&source_)) {
      out += std::to_string(range->start + static_cast<std::int64_t>(given_));
    } else if (const auto* items = std::get_if<config::ItemsSource>(&source_)) {
      out += items->items.at(given_);
    }
    out += '\n';
    ++given_;
  }
}

bool Inputs::exhausted() const { return file_.is_open() ? file_.eof() : given_ >= tasks_; }

}  // namespace zpipe::experiment::detail
