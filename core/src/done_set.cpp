#include "zpipe/core/done_set.hpp"

#include <algorithm>

namespace zpipe::core {
namespace {
constexpr std::uint64_t kAllOnes = ~std::uint64_t{0};
// Below this many leading full words, compacting is not worth a move of the bitmap.
constexpr std::size_t kMinCompactWords = 16;
}  // namespace

bool DoneSet::insert(std::uint64_t id) {
  if (id <= floor_) return false;  // id 0 included: floor_ >= 0
  const std::uint64_t bit = id - floor_ - 1;
  const std::uint64_t word = bit >> 6;
  if (word >= words_.size()) words_.resize(word + 1, 0);
  const std::uint64_t mask = std::uint64_t{1} << (bit & 63);
  if (words_[word] & mask) return false;
  words_[word] |= mask;
  ++count_;
  if (word == full_words_) {
    while (full_words_ < words_.size() && words_[full_words_] == kAllOnes) ++full_words_;
    if (full_words_ >= kMinCompactWords && full_words_ * 2 >= words_.size()) compact();
  }
  return true;
}

void DoneSet::compact() {
  words_.erase(words_.begin(), words_.begin() + static_cast<std::ptrdiff_t>(full_words_));
  floor_ += 64 * full_words_;
  full_words_ = 0;
}

void DoneSet::erase(std::uint64_t id) {
  if (!contains(id)) return;
  if (id <= floor_) {
    // Below the floor: bring back the words from the one holding id (rare: the sink only
    // erases ids it has not written, which lie above any full prefix).
    const std::uint64_t new_floor = (id - 1) / 64 * 64;
    const std::size_t restored = static_cast<std::size_t>((floor_ - new_floor) / 64);
    words_.insert(words_.begin(), restored, kAllOnes);
    full_words_ += restored;
    floor_ = new_floor;
  }
  const std::uint64_t bit = id - floor_ - 1;
  const std::size_t word = static_cast<std::size_t>(bit >> 6);
  words_[word] &= ~(std::uint64_t{1} << (bit & 63));
  full_words_ = std::min(full_words_, word);
  --count_;
}

std::vector<IdRange> DoneSet::ranges() const {
  std::vector<IdRange> out;
  // Runs are capped below UINT32_MAX so a full word can always extend the last one.
  constexpr std::uint64_t kChunk = std::uint64_t{1} << 31;
  for (std::uint64_t first = 1; first <= floor_; first += kChunk)
    out.push_back(IdRange{first, static_cast<std::uint32_t>(std::min(kChunk, floor_ - first + 1))});
  for (std::size_t w = 0; w < words_.size(); ++w) {
    std::uint64_t bits = words_[w];
    const std::uint64_t base = floor_ + 1 + 64 * w;
    if (bits == kAllOnes && !out.empty() && out.back().first + out.back().count == base &&
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

}  // namespace zpipe::core
