#pragma once
// A set of task ids as one bit per id (100 M ids = 12.5 MB), grown on demand: the sink's
// "has a record" set and the ventilator's "already done before I started" set.
// Error style: no errors; callers bound the ids they insert (see the sink's impossible_id).

#include <algorithm>
#include <cstdint>
#include <vector>

#include "zpipe/core/protocol.hpp"

namespace zpipe::core {

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
  void erase(std::uint64_t id) {
    const std::uint64_t word = id >> 6;
    const std::uint64_t bit = std::uint64_t{1} << (id & 63);
    if (word < words_.size() && (words_[word] & bit)) {
      words_[word] &= ~bit;
      --count_;
    }
  }
  bool contains(std::uint64_t id) const {
    const std::uint64_t word = id >> 6;
    return word < words_.size() && (words_[word] >> (id & 63)) & 1;
  }
  std::uint64_t count() const { return count_; }

  // The set as runs of consecutive ids, in ascending order.
  std::vector<IdRange> ranges() const {
    std::vector<IdRange> out;
    for (std::size_t w = 0; w < words_.size(); ++w) {
      std::uint64_t bits = words_[w];
      const std::uint64_t base = w * 64;
      if (bits == ~std::uint64_t{0} && !out.empty() && out.back().first + out.back().count == base &&
          out.back().count <= UINT32_MAX - 64) {
        out.back().count += 64;  // a full word extends the run at once
        continue;
      }
      while (bits != 0) {
        const int bit = __builtin_ctzll(bits);
        const std::uint64_t id = base + static_cast<std::uint64_t>(bit);
        if (!out.empty() && out.back().first + out.back().count == id && out.back().count < UINT32_MAX) {
          ++out.back().count;
        } else {
          out.push_back(IdRange{id, 1});
        }
        bits &= bits - 1;
      }
    }
    return out;
  }

private:
  std::vector<std::uint64_t> words_;
  std::uint64_t count_ = 0;
};

}  // namespace zpipe::core
