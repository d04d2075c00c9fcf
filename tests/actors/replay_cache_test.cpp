#include "actors/replay_cache.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace std::chrono_literals;
using tr::actors::replay_cache;
using tr::actors::token_bucket;

namespace {
std::string token_number(int i) {
  std::string t(64, '0');
  auto s = std::to_string(i);
  t.replace(0, s.size(), s);
  return t;
}
}  // namespace

TEST(replay_cache, a_token_seen_twice_within_its_window_is_a_replay) {
  replay_cache c;
  replay_cache::clock::time_point now{};
  EXPECT_EQ(c.remember(token_number(1), now + 60s, now), replay_cache::verdict::fresh);
  EXPECT_EQ(c.remember(token_number(1), now + 60s, now + 30s), replay_cache::verdict::replay);
}

TEST(replay_cache, tokens_differing_only_in_case_are_the_same_token) {
  replay_cache c;
  replay_cache::clock::time_point now{};
  std::string lower(64, 'a');
  std::string upper(64, 'A');
  EXPECT_EQ(c.remember(lower, now + 60s, now), replay_cache::verdict::fresh);
  EXPECT_EQ(c.remember(upper, now + 60s, now), replay_cache::verdict::replay);
}

TEST(replay_cache, tokens_differing_in_the_second_half_are_told_apart) {
  replay_cache c;
  replay_cache::clock::time_point now{};
  std::string a(64, '0'), b(64, '0');
  b[20] = '1';
  EXPECT_EQ(c.remember(a, now + 60s, now), replay_cache::verdict::fresh);
  EXPECT_EQ(c.remember(b, now + 60s, now), replay_cache::verdict::fresh);
}

TEST(replay_cache, an_expired_token_is_forgotten) {
  replay_cache c;
  replay_cache::clock::time_point now{};
  c.remember(token_number(1), now + 60s, now);
  EXPECT_EQ(c.remember(token_number(2), now + 200s, now + 61s), replay_cache::verdict::fresh);
  EXPECT_EQ(c.size(), 1u);
}

TEST(replay_cache, a_full_cache_refuses_rather_than_forgets) {
  replay_cache c{3};
  replay_cache::clock::time_point now{};
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(c.remember(token_number(i), now + 60s, now), replay_cache::verdict::fresh);
  EXPECT_EQ(c.remember(token_number(9), now + 60s, now), replay_cache::verdict::full);
  EXPECT_EQ(c.remember(token_number(0), now + 60s, now), replay_cache::verdict::replay);
  EXPECT_EQ(c.remember(token_number(9), now + 200s, now + 61s), replay_cache::verdict::fresh);
}

TEST(replay_cache, a_forgotten_token_is_fresh_again_and_still_holds_its_place) {
  replay_cache c{1};
  replay_cache::clock::time_point now{};
  ASSERT_EQ(c.remember(token_number(1), now + 60s, now), replay_cache::verdict::fresh);
  c.forget(token_number(1));
  EXPECT_FALSE(c.seen(token_number(1), now));
  // Released, the entry still counts against the capacity until it expires.
  EXPECT_EQ(c.remember(token_number(2), now + 60s, now), replay_cache::verdict::full);
  EXPECT_EQ(c.remember(token_number(1), now + 60s, now), replay_cache::verdict::fresh);
  EXPECT_EQ(c.remember(token_number(1), now + 60s, now), replay_cache::verdict::replay);
  for (int i = 0; i < 100; ++i) {  // released and taken again: one entry, never more
    c.forget(token_number(1));
    ASSERT_EQ(c.remember(token_number(1), now + 60s, now), replay_cache::verdict::fresh);
  }
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.remember(token_number(2), now + 200s, now + 61s), replay_cache::verdict::fresh);
  EXPECT_EQ(c.size(), 1u);  // the first expired and went
}

TEST(token_bucket, allows_the_burst_then_the_rate) {
  token_bucket::clock::time_point now{};
  token_bucket b{10.0, 20.0, now};
  int taken = 0;
  while (b.try_take(now)) ++taken;
  EXPECT_EQ(taken, 20);
  EXPECT_FALSE(b.try_take(now + 50ms));
  EXPECT_TRUE(b.try_take(now + 100ms));
  EXPECT_FALSE(b.try_take(now + 100ms));
}

TEST(token_bucket, never_saves_more_than_the_burst) {
  token_bucket::clock::time_point now{};
  token_bucket b{10.0, 5.0, now};
  int taken = 0;
  while (b.try_take(now + 1h)) ++taken;
  EXPECT_EQ(taken, 5);
}
