#pragma once
// Which task ids have a record: one bit per id (100 M ids = 12.5 MB), grown on demand.

#include <cstdint>
#include <vector>

namespace zpipe::sink {

class DoneSet {
public:
  // Marks id; returns false if it was already marked.
  bool insert(std::uint64_t id) {
    const std::uint64_t word = id >> 6;
    if (word >= words_.size()) words_.resize(std::max<std::size_t>(word + 1, words_.size() * 2), 0);
    const std::uint64_t bit = std::uint64_t{1} << (id & 63);
    if (words_[word] & bit) return false;
    words_[word] |= bit;
    ++count_;
    return true;
  }
  bool contains(std::uint64_t id) const {
    const std::uint64_t word = id >> 6;
    return word < words_.size() && (words_[word] >> (id & 63)) & 1;
  }
  std::uint64_t count() const { return count_; }

private:
  std::vector<std::uint64_t> words_;
  std::uint64_t count_ = 0;
};

}  // namespace zpipe::sink
