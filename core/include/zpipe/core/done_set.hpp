#pragma once
// A set of task ids (1-based): the sink's "has a record" set and the ventilator's "already
// done before I started" set. One bit per id above a floor; every id below the floor is in
// the set without a bit. The floor moves up as the lowest ids fill in, so a batch that
// completes roughly in order costs memory for the ids in flight (the window), not for the
// batch: 100 M ids take a few KiB instead of 12.5 MB.
// Error style: no errors; callers bound the ids they insert (see the sink's impossible_id).

#include <cstdint>
#include <vector>

#include "zpipe/core/protocol.hpp"

namespace zpipe::core {

class DoneSet {
public:
  // Marks id; returns false if it was already marked (id 0, never a task id, counts as marked).
  bool insert(std::uint64_t id);
  void erase(std::uint64_t id);
  bool contains(std::uint64_t id) const {
    if (id == 0) return false;
    if (id <= floor_) return true;
    const std::uint64_t bit = id - floor_ - 1;
    const std::uint64_t word = bit >> 6;
    return word < words_.size() && (words_[word] >> (bit & 63)) & 1;
  }
  std::uint64_t count() const { return count_; }
  // Ids 1..floor() are all in the set (memory is only spent above it).
  std::uint64_t floor() const { return floor_; }

  // The set as runs of consecutive ids, in ascending order.
  std::vector<IdRange> ranges() const;

private:
  // Drops leading words whose bits are all set, raising the floor. Amortised: runs only
  // once they make up half the bitmap, so each word is moved O(1) times on average.
  void compact();

  std::uint64_t floor_ = 0;          // ids 1..floor_ are in the set
  std::vector<std::uint64_t> words_; // bit b of word w: id floor_ + 1 + 64 w + b
  std::size_t full_words_ = 0;       // leading words of words_ known to be all ones
  std::uint64_t count_ = 0;
};

}  // namespace zpipe::core
