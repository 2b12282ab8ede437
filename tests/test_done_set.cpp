// DoneSet: the id set behind exactly-once (sink) and resume (ventilator). Checked against
// std::set through random inserts and erases, and for memory that follows the ids in
// flight rather than the batch size.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "zpipe/core/done_set.hpp"

namespace zpipe::core {
namespace {

std::vector<IdRange> ranges_of(const std::set<std::uint64_t>& ids) {
  std::vector<IdRange> out;
  for (std::uint64_t id : ids) {
    if (!out.empty() && out.back().first + out.back().count == id) {
      ++out.back().count;
    } else {
      out.push_back(IdRange{id, 1});
    }
  }
  return out;
}

void expect_same(const DoneSet& set, const std::set<std::uint64_t>& model, std::uint64_t max_id) {
  ASSERT_EQ(set.count(), model.size());
  for (std::uint64_t id = 0; id <= max_id + 70; ++id) ASSERT_EQ(set.contains(id), model.count(id) == 1) << id;
  const auto got = set.ranges();
  const auto want = ranges_of(model);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, want[i].first);
    EXPECT_EQ(got[i].count, want[i].count);
  }
}

TEST(DoneSet, MatchesAModelUnderRandomInsertsAndErases) {
  std::mt19937_64 random(12345);
  DoneSet set;
  std::set<std::uint64_t> model;
  // Ids complete out of order within a sliding window, as results do; some are erased again.
  std::uint64_t low = 1;
  for (int step = 0; step < 40000; ++step) {
    const std::uint64_t id = low + random() % 300;
    if (random() % 16 == 0) {
      set.erase(id);
      model.erase(id);
    } else {
      EXPECT_EQ(set.insert(id), model.insert(id).second) << id;
    }
    while (model.count(low)) ++low;
  }
  EXPECT_GT(set.floor(), 1000u);  // compaction happened
  expect_same(set, model, low + 300);
}

TEST(DoneSet, IdZeroIsNeverATask) {
  DoneSet set;
  EXPECT_FALSE(set.insert(0));
  EXPECT_FALSE(set.contains(0));
  EXPECT_EQ(set.count(), 0u);
  EXPECT_TRUE(set.ranges().empty());
}

TEST(DoneSet, ErasingBelowTheFloorBringsItsWordsBack) {
  DoneSet set;
  std::set<std::uint64_t> model;
  for (std::uint64_t id = 1; id <= 5000; ++id) {
    set.insert(id);
    model.insert(id);
  }
  ASSERT_GE(set.floor(), 1000u);
  for (std::uint64_t id : {1ull, 64ull, 65ull, 777ull, 4999ull}) {
    set.erase(id);
    model.erase(id);
  }
  expect_same(set, model, 5000);
  EXPECT_TRUE(set.insert(777));
  model.insert(777);
  expect_same(set, model, 5000);
}

// Memory follows the window: a 10 M-id batch completed in order keeps only a few words.
TEST(DoneSet, FloorFollowsInOrderCompletion) {
  DoneSet set;
  for (std::uint64_t id = 1; id <= 10'000'000; ++id) ASSERT_TRUE(set.insert(id));
  EXPECT_EQ(set.count(), 10'000'000u);
  EXPECT_GE(set.floor(), 10'000'000u - 64 * 64);
  const auto ranges = set.ranges();
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].first, 1u);
  EXPECT_EQ(ranges[0].count, 10'000'000u);
}

}  // namespace
}  // namespace zpipe::core
