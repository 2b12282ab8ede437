#pragma once
// Reading the examples that docs print (hex dumps, YAML blocks), so tests can check that
// every figure in the docs is what the code does and the docs cannot drift.

#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace zpipe::test {

// The text of a file under docs/.
inline std::string doc_text(const std::string& name) { return read_file(std::string(ZPIPE_SOURCE_DIR) + "/docs/" + name); }

// A fenced block: its info string (```yaml -> "yaml") and its lines.
struct FencedBlock {
  std::string info;
  std::vector<std::string> lines;
  std::size_t end_line = 0;  // index of the closing fence in the document
};

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every fenced block of a markdown text, in order.
inline std::vector<FencedBlock> fenced_blocks(const std::vector<std::string>& lines) {
  std::vector<FencedBlock> blocks;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].starts_with("```")) continue;
    FencedBlock block{lines[i].substr(3), {}, 0};
    for (++i; i < lines.size() && !lines[i].starts_with("```"); ++i) block.lines.push_back(lines[i]);
    block.end_line = i;
    blocks.push_back(std::move(block));
  }
  return blocks;
}

inline bool is_hex_byte(const std::string& token) {
  return token.size() == 2 && std::isxdigit(static_cast<unsigned char>(token[0])) &&
         std::isxdigit(static_cast<unsigned char>(token[1]));
}

// The bytes of hex pairs at the start of `text` ("01 ff 3a  note" -> 01 ff 3a): tokens are
// read until the first one that is not two hex digits.
inline std::string hex_prefix(const std::string& text) {
  std::istringstream in(text);
  std::string bytes;
  for (std::string token; in >> token && is_hex_byte(token);)
    bytes.push_back(static_cast<char>(std::stoi(token, nullptr, 16)));
  return bytes;
}

// The bytes of a `hexdump -C` style block: "OFFSET  hex pairs  |ascii|" per line.
inline std::string hexdump_bytes(const std::vector<std::string>& lines) {
  std::string bytes;
  for (const std::string& line : lines) {
    const std::size_t gap = line.find(' ');
    if (gap != std::string::npos) bytes += hex_prefix(line.substr(gap));
  }
  return bytes;
}

inline std::string to_hex(const std::string& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex.push_back(digits[c >> 4]);
    hex.push_back(digits[c & 15]);
  }
  return hex;
}

}  // namespace zpipe::test
