#pragma once
// --tag, as GNU parallel does it: every line of a task's output starts with the task's input
// and a TAB. The tagger remembers whether the next byte starts a line, so a stream may come in
// pieces (a spilled output read back, --line-buffer's lines).
// Error style: no errors.

#include <string>
#include <string_view>

namespace zpipe::sink {

class LineTagger {
public:
  explicit LineTagger(std::string_view tag) : prefix_(std::string(tag) + '\t') {}

  // Appends `bytes` to `out`, with the tag before the first byte of each line.
  void apply(std::string_view bytes, std::string& out) {
    while (!bytes.empty()) {
      if (at_line_start_) out += prefix_;
      const std::size_t newline = bytes.find('\n');
      const std::size_t end = newline == std::string_view::npos ? bytes.size() : newline + 1;
      out.append(bytes.substr(0, end));
      at_line_start_ = newline != std::string_view::npos;
      bytes.remove_prefix(end);
    }
  }

private:
  std::string prefix_;
  bool at_line_start_ = true;
};

}  // namespace zpipe::sink
