// load_following: the rule that places accepted connections on the first light shard and has a
// heavy shard hand some of them to a light one.
#include "transport/runtime/load_following.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace tr::transport {
namespace {

TEST(load_following, the_first_light_shard_takes_new_connections) {
  load_following rule;  // light: under 0.5
  EXPECT_EQ(rule.first_light(std::vector<double>{0.0, 0.0}), 0u);
  EXPECT_EQ(rule.first_light(std::vector<double>{0.49, 0.0}), 0u);
  EXPECT_EQ(rule.first_light(std::vector<double>{0.5, 0.9, 0.2}), 2u);
  EXPECT_FALSE(rule.first_light(std::vector<double>{0.6, 0.7}));
}

TEST(load_following, a_heavy_shard_hands_off_half_the_gap_only_beside_a_light_one) {
  load_following rule;  // heavy: over 0.75
  EXPECT_DOUBLE_EQ(rule.share_to_hand_off(1.0, 0.0), 0.5);
  EXPECT_DOUBLE_EQ(rule.share_to_hand_off(0.8, 0.4), 0.25);
  EXPECT_EQ(rule.share_to_hand_off(0.7, 0.0), 0) << "not heavy";
  EXPECT_EQ(rule.share_to_hand_off(1.0, 0.5), 0) << "no light shard beside it";
  EXPECT_EQ(rule.share_to_hand_off(0.2, 0.9), 0);
}

std::vector<std::size_t> sorted(std::vector<std::size_t> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(load_following, picks_the_busiest_first_up_to_the_share) {
  // Four equal connections, half the work to hand off: two of them.
  EXPECT_EQ(load_following::pick({{1, 100}, {2, 100}, {3, 100}, {4, 100}}, 400, 0.5).size(), 2u);
  // The busiest first; 300 alone would exceed 250 and is skipped, not moved across.
  EXPECT_EQ(sorted(load_following::pick({{1, 300}, {2, 150}, {3, 100}, {4, 50}}, 600, 5.0 / 12)),
            (std::vector<std::size_t>{2, 3}));
  // One connection carrying everything stays: moving it would only move the excess.
  EXPECT_TRUE(load_following::pick({{1, 1000}}, 1000, 0.5).empty());
  // Connections that sent nothing in the window carry no load to move.
  EXPECT_TRUE(load_following::pick({{1, 0}, {2, 0}}, 500, 0.5).empty());
  EXPECT_TRUE(load_following::pick({{1, 100}, {2, 100}}, 200, 0).empty());
}

}  // namespace
}  // namespace tr::transport
