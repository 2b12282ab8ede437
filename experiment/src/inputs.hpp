#pragma once
// The text a run's ventilator reads as its source, produced piece by piece (a sweep of large
// payloads never holds all of them in memory): the pipeline's own inputs (a range's numbers,
// its items, its lines file) one per line, or `tasks` payloads of N bytes.
// Error style: exceptions (std::system_error) when the pipeline's lines file cannot be read.

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

#include "zpipe/config/pipeline.hpp"

namespace zpipe::experiment::detail {

class Inputs {
public:
  Inputs(const config::Source& source, std::uint64_t tasks, std::optional<std::uint64_t> payload);
  // Appends about `bytes` more bytes to `out` (whole inputs; a lines file in any slices).
  void fill(std::string& out, std::size_t bytes);
  // Everything was given.
  bool exhausted() const;

private:
  const config::Source source_;
  std::uint64_t tasks_;
  std::optional<std::uint64_t> payload_;
  std::uint64_t given_ = 0;  // inputs produced so far
  std::ifstream file_;       // a lines source
};

}  // namespace zpipe::experiment::detail
