#include "actors/placement.hpp"

#include <gtest/gtest.h>

using tr::actors::rebalance_policy;

namespace {

std::vector<rebalance_policy::connection_sample> two_shards_of_connections() {
  return {{"a", 0, 4000}, {"b", 0, 3000}, {"c", 0, 500}, {"d", 1, 1000}};
}

}  // namespace

TEST(rebalance_policy, proposes_nothing_while_the_shards_are_balanced) {
  rebalance_policy p;
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(p.sample({0.5, 0.45}, two_shards_of_connections()));
}

TEST(rebalance_policy, waits_for_a_sustained_imbalance) {
  rebalance_policy p;
  for (unsigned i = 1; i < p.sustain; ++i)
    EXPECT_FALSE(p.sample({0.9, 0.2}, two_shards_of_connections()));
  EXPECT_TRUE(p.sample({0.9, 0.2}, two_shards_of_connections()));
}

TEST(rebalance_policy, leaves_a_light_busiest_shard_alone) {
  rebalance_policy p;  // min_busy 0.5: one light shard doing the work is the cheapest
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(p.sample({0.45, 0.0}, two_shards_of_connections()));
  for (unsigned i = 1; i < p.sustain; ++i) p.sample({0.55, 0.0}, two_shards_of_connections());
  EXPECT_TRUE(p.sample({0.55, 0.0}, two_shards_of_connections()));
}

TEST(rebalance_policy, a_single_spike_resets_the_count) {
  rebalance_policy p;
  for (unsigned i = 1; i < p.sustain; ++i) p.sample({0.9, 0.2}, two_shards_of_connections());
  EXPECT_FALSE(p.sample({0.5, 0.5}, two_shards_of_connections()));
  EXPECT_FALSE(p.sample({0.9, 0.2}, two_shards_of_connections()));
}

TEST(rebalance_policy, moves_the_busiest_connection_that_does_not_flip_the_gap) {
  rebalance_policy p;
  std::optional<rebalance_policy::move> m;
  for (unsigned i = 0; i < p.sustain; ++i) m = p.sample({0.9, 0.2}, two_shards_of_connections());
  ASSERT_TRUE(m);
  // gap 0.7: "a" costs 0.9*4000/7500 = 0.48 > 0.35, "b" 0.36 > 0.35, "c" 0.06 fits.
  EXPECT_EQ(m->id, "c");
  EXPECT_EQ(m->from, 0u);
  EXPECT_EQ(m->to, 1u);
}

TEST(rebalance_policy, cools_down_after_a_move) {
  rebalance_policy p;
  for (unsigned i = 0; i < p.sustain; ++i) p.sample({0.9, 0.2}, two_shards_of_connections());
  for (unsigned i = 1; i < p.cooldown; ++i)
    EXPECT_FALSE(p.sample({0.9, 0.2}, two_shards_of_connections()));
  EXPECT_TRUE(p.sample({0.9, 0.2}, two_shards_of_connections()));
}

TEST(rebalance_policy, never_moves_when_one_connection_is_the_whole_load) {
  rebalance_policy p;
  std::vector<rebalance_policy::connection_sample> one = {{"a", 0, 5000}};
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(p.sample({0.9, 0.1}, one));
}
