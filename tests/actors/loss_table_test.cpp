#include "actors/loss_table.hpp"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

using tr::actors::loss_table;

TEST(loss_table, a_device_without_losses_has_none_and_costs_no_entry) {
  loss_table t;
  EXPECT_EQ(t.lost(42), 0u);
  EXPECT_EQ(t.take(42), 0u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(loss_table, counts_losses_until_an_uplink_takes_them_to_tell) {
  loss_table t;
  t.lose(7);
  t.lose(7);
  EXPECT_EQ(t.lost(7), 2u);
  EXPECT_EQ(t.take(7), 2u);
  EXPECT_EQ(t.lost(7), 0u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(loss_table, losses_while_an_uplink_was_in_flight_are_told_by_the_next_one_alone) {
  loss_table t;
  t.lose(7);
  EXPECT_EQ(t.take(7), 1u);  // an uplink goes out saying 1
  EXPECT_EQ(t.take(7), 0u);  // a second one before its answer says nothing more
  t.lose(7);                 // a third is shed meanwhile
  EXPECT_EQ(t.take(7), 1u);
}

TEST(loss_table, an_uplink_that_is_not_delivered_gives_back_what_it_told_and_itself) {
  loss_table t;
  t.lose(7);
  t.lose(7);
  auto told = t.take(7);
  t.lose(7);            // lost while it was in flight
  t.lose(7, told + 1);  // it failed: its count and itself
  EXPECT_EQ(t.lost(7), 4u);
}

TEST(loss_table, past_its_bound_a_new_device_is_not_counted_and_known_ones_still_are) {
  loss_table t{3};
  EXPECT_TRUE(t.lose(1));
  EXPECT_TRUE(t.lose(2));
  EXPECT_TRUE(t.lose(3));
  EXPECT_FALSE(t.lose(4));
  EXPECT_EQ(t.lost(4), 0u);
  EXPECT_TRUE(t.lose(1));
  EXPECT_EQ(t.lost(1), 2u);
  EXPECT_EQ(t.take(2), 1u);
  EXPECT_TRUE(t.lose(4));  // room again
  EXPECT_EQ(t.size(), 3u);
}

TEST(loss_table, keys_dev_euis_by_their_hex_digits_in_any_case) {
  EXPECT_EQ(loss_table::key_of("20635F0108000496"), 0x20635F0108000496ULL);
  EXPECT_EQ(loss_table::key_of("20635f0108000496"), 0x20635F0108000496ULL);
  EXPECT_NE(loss_table::key_of("not-a-deveui"), loss_table::key_of("not-a-deveui!"));
}

TEST(loss_table, agrees_with_a_plain_map_over_random_losses_and_sends) {
  loss_table t{5000};
  std::unordered_map<std::uint64_t, std::uint32_t> model;
  std::mt19937_64 rng{7};
  for (int step = 0; step < 200000; ++step) {
    std::uint64_t device = rng() % 3000;
    if (rng() % 3 != 0) {
      ASSERT_TRUE(t.lose(device));
      ++model[device];
    } else {
      auto told = t.take(device);
      ASSERT_EQ(told, model.count(device) ? model[device] : 0u);
      model.erase(device);
    }
  }
  EXPECT_EQ(t.size(), model.size());
  for (auto& [device, count] : model) EXPECT_EQ(t.lost(device), count) << device;
}
