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

TEST(rebalance_policy, gathers_busy_connections_where_the_reports_arrive_while_shards_are_light) {
  rebalance_policy p;
  std::vector<rebalance_policy::connection_sample> spread = {
      {"a", 0, 800}, {"b", 1, 300}, {"c", 1, 900}, {"d", 1, 0}, {"e", 2, 50}};
  EXPECT_FALSE(p.sample({0.1, 0.1, 0.05}, spread));
  auto moves = p.gather({0.1, 0.1, 0.05}, {2050, 0, 0}, spread);
  // The busiest first; "a" is where the reports arrive already, "d" carries nothing.
  ASSERT_EQ(moves.size(), 3u);
  EXPECT_EQ(moves[0].id, "c");
  EXPECT_EQ(moves[1].id, "b");
  EXPECT_EQ(moves[2].id, "e");
  for (auto& m : moves) EXPECT_EQ(m.to, 0u);
  EXPECT_EQ(moves[2].from, 2u);
  // Reports arriving on shard 1: there.
  auto other = p.gather({0.1, 0.1, 0.05}, {100, 1950, 0}, spread);
  ASSERT_EQ(other.size(), 2u);
  EXPECT_EQ(other[0].id, "a");
  EXPECT_EQ(other[0].to, 1u);
  EXPECT_EQ(other[1].id, "e");
}

TEST(rebalance_policy, gathers_nothing_while_reports_arrive_on_several_shards) {
  rebalance_policy p;  // gather_concentration 0.75: NS connections spread over the shards
  std::vector<rebalance_policy::connection_sample> spread = {{"a", 0, 800}, {"b", 1, 900}};
  p.sample({0.1, 0.1}, spread);
  EXPECT_TRUE(p.gather({0.1, 0.1}, {1000, 700}, spread).empty());
  EXPECT_TRUE(p.gather({0.1, 0.1}, {0, 0}, spread).empty());
  EXPECT_EQ(p.gather({0.1, 0.1}, {1300, 400}, spread).size(), 1u);
}

TEST(rebalance_policy, gathers_nothing_when_the_shards_together_are_not_light) {
  rebalance_policy p;  // gather_below 0.4 of one shard's time, all shards together
  std::vector<rebalance_policy::connection_sample> spread = {{"a", 0, 800}, {"b", 1, 900}};
  p.sample({0.25, 0.2}, spread);
  EXPECT_TRUE(p.gather({0.25, 0.2}, {1700, 0}, spread).empty());
  p.sample({0.2, 0.15}, spread);
  EXPECT_EQ(p.gather({0.2, 0.15}, {1700, 0}, spread).size(), 1u);
}

TEST(rebalance_policy, gathers_nothing_for_a_trickle_of_uplinks) {
  rebalance_policy p;  // gather_min_rate 100 uplinks a second among the connections away
  std::vector<rebalance_policy::connection_sample> trickle = {{"a", 1, 40}, {"b", 1, 40}};
  p.sample({0.01, 0.01}, trickle);
  EXPECT_TRUE(p.gather({0.01, 0.01}, {80, 0}, trickle).empty());
  trickle.push_back({"c", 1, 40});
  EXPECT_EQ(p.gather({0.01, 0.01}, {120, 0}, trickle).size(), 3u);
}

TEST(rebalance_policy, gathers_at_most_a_batch_per_sample) {
  rebalance_policy p;
  std::vector<rebalance_policy::connection_sample> many;
  for (std::size_t i = 0; i < p.gather_per_sample + 10; ++i)
    many.push_back({"c" + std::to_string(i), 1, 10});
  p.sample({0.1, 0.1}, many);
  EXPECT_EQ(p.gather({0.1, 0.1}, {1000, 0}, many).size(), p.gather_per_sample);
}

TEST(rebalance_policy, does_not_gather_soon_after_spreading) {
  rebalance_policy p;
  std::vector<rebalance_policy::connection_sample> load = two_shards_of_connections();
  std::optional<rebalance_policy::move> spread;
  for (unsigned i = 0; i < p.sustain; ++i) spread = p.sample({0.9, 0.2}, load);
  ASSERT_TRUE(spread);
  // The load falls at once: no gathering back for `cooldown` samples.
  for (unsigned i = 1; i < p.cooldown; ++i) {
    EXPECT_FALSE(p.sample({0.1, 0.1}, load));
    EXPECT_TRUE(p.gather({0.1, 0.1}, {8500, 0}, load).empty()) << "sample " << i;
  }
  EXPECT_FALSE(p.sample({0.1, 0.1}, load));
  EXPECT_FALSE(p.gather({0.1, 0.1}, {8500, 0}, load).empty());
}

TEST(rebalance_policy, gathers_nothing_with_one_shard) {
  rebalance_policy p;
  std::vector<rebalance_policy::connection_sample> one = {{"a", 0, 5000}};
  p.sample({0.1}, one);
  EXPECT_TRUE(p.gather({0.1}, {5000}, one).empty());
}
