#include "actors/fuse.hpp"

#include <gtest/gtest.h>

#include "tests/actors/fuse_params.hpp"

using namespace std::chrono_literals;
using tr::actors::fuse;

namespace {

constexpr auto good = fuse::signal::good;
constexpr auto failure = fuse::signal::failure;
constexpr auto overload = fuse::signal::overload;

using tr::actors::fuse_tests::small_params;

struct fuse_test : ::testing::Test {
  fuse::clock::time_point now{};
  fuse f{small_params()};
  void advance(fuse::duration d) { now += d; }
  void open_it() {
    for (int i = 0; i < 3; ++i) {
      ASSERT_EQ(f.admit(now, 0), fuse::admission::send);
      f.record(failure, 5ms, now);
      advance(20ms);
    }
    ASSERT_EQ(f.current_state(), fuse::state::open);
  }
};

}  // namespace

TEST_F(fuse_test, starts_closed_and_admits_up_to_the_in_flight_bound) {
  EXPECT_EQ(f.current_state(), fuse::state::closed);
  EXPECT_EQ(f.admit(now, 15), fuse::admission::send);
  EXPECT_EQ(f.admit(now, 16), fuse::admission::shed);
}

TEST_F(fuse_test, a_slow_answer_starts_throttling_with_half_the_limit) {
  f.record(good, 150ms, now);
  EXPECT_EQ(f.current_state(), fuse::state::throttling);
  EXPECT_EQ(f.limit(), 8u);
  EXPECT_EQ(f.admit(now, 8), fuse::admission::shed);
  EXPECT_EQ(f.admit(now, 7), fuse::admission::send);
}

TEST_F(fuse_test, an_uplink_still_unanswered_at_the_target_throttles_like_a_slow_answer) {
  f.unanswered(now);
  EXPECT_EQ(f.current_state(), fuse::state::throttling);
  EXPECT_EQ(f.limit(), 8u);
  f.unanswered(now + 1ms);  // within the decrease interval: counted once
  EXPECT_EQ(f.limit(), 8u);
  for (int i = 1; i <= 3; ++i) f.unanswered(now + i * 20ms);
  EXPECT_EQ(f.limit(), 1u);
  EXPECT_EQ(f.admit(now + 60ms, 1), fuse::admission::shed);
  // Never a failure: the fuse does not open on unanswered uplinks alone (the timeouts do that).
  for (int i = 4; i <= 20; ++i) f.unanswered(now + i * 20ms);
  EXPECT_EQ(f.current_state(), fuse::state::throttling);
}

TEST_F(fuse_test, an_open_fuse_ignores_unanswered_uplinks) {
  open_it();
  auto until = f.open_until();
  f.unanswered(now);
  EXPECT_EQ(f.current_state(), fuse::state::open);
  EXPECT_EQ(f.open_until(), until);
}

TEST_F(fuse_test, a_burst_of_bad_answers_decreases_once_per_interval) {
  f.record(good, 150ms, now);
  f.record(good, 150ms, now + 1ms);
  f.record(good, 150ms, now + 2ms);
  EXPECT_EQ(f.limit(), 8u);
  f.record(good, 150ms, now + 20ms);
  EXPECT_EQ(f.limit(), 4u);
}

TEST_F(fuse_test, good_answers_grow_the_limit_back_and_close_the_fuse) {
  f.record(good, 150ms, now);
  ASSERT_EQ(f.current_state(), fuse::state::throttling);
  for (int i = 0; i < 200 && f.current_state() != fuse::state::closed; ++i)
    f.record(good, 5ms, now);
  EXPECT_EQ(f.current_state(), fuse::state::closed);
  EXPECT_EQ(f.limit(), 16u);
}

TEST(fuse_recovery, a_light_load_after_an_incident_closes_once_the_limit_no_longer_holds_it) {
  auto p = small_params();
  p.max_limit = 512;
  fuse f{p};
  fuse::clock::time_point now{};
  f.record(good, 150ms, now);  // slow: throttling at 256, growing by one per 256 answers
  ASSERT_EQ(f.current_state(), fuse::state::throttling);
  ASSERT_EQ(f.limit(), 256u);
  for (std::uint32_t i = 1; i < fuse::calm_answers; ++i) f.record(good, 5ms, now, false, 3);
  EXPECT_EQ(f.current_state(), fuse::state::throttling);
  f.record(good, 5ms, now, false, 3);
  EXPECT_EQ(f.current_state(), fuse::state::closed);
  EXPECT_EQ(f.limit(), 512u);
  EXPECT_STREQ(f.reason(), "the limit no longer holds traffic back");
}

TEST(fuse_recovery, a_load_the_limit_holds_back_stays_throttling_and_grows_it_slowly) {
  auto p = small_params();
  p.max_limit = 512;
  fuse f{p};
  fuse::clock::time_point now{};
  f.record(good, 150ms, now);
  for (int i = 0; i < 200; ++i) f.record(good, 5ms, now, false, f.limit());
  EXPECT_EQ(f.current_state(), fuse::state::throttling);
  // One answer above half the limit starts the count again.
  for (std::uint32_t i = 1; i < fuse::calm_answers; ++i) f.record(good, 5ms, now, false, 3);
  f.record(good, 5ms, now, false, f.limit());
  f.record(good, 5ms, now, false, 3);
  EXPECT_EQ(f.current_state(), fuse::state::throttling);
}

TEST_F(fuse_test, consecutive_failures_open_the_fuse_and_shed_everything) {
  open_it();
  EXPECT_EQ(f.admit(now, 0), fuse::admission::shed);
  advance(900ms);
  EXPECT_EQ(f.admit(now, 0), fuse::admission::shed);
}

TEST_F(fuse_test, a_success_between_failures_resets_the_count) {
  f.record(failure, 5ms, now);
  f.record(failure, 5ms, now + 20ms);
  f.record(good, 5ms, now + 40ms);
  f.record(failure, 5ms, now + 60ms);
  f.record(failure, 5ms, now + 80ms);
  EXPECT_NE(f.current_state(), fuse::state::open);
}

TEST_F(fuse_test, after_the_back_off_exactly_one_probe_is_admitted) {
  open_it();
  advance(1000ms);
  EXPECT_EQ(f.admit(now, 0), fuse::admission::probe);
  EXPECT_EQ(f.admit(now, 1), fuse::admission::shed);
}

TEST_F(fuse_test, a_good_probe_brings_traffic_back_with_slow_start) {
  open_it();
  advance(1000ms);
  ASSERT_EQ(f.admit(now, 0), fuse::admission::probe);
  f.record(good, 5ms, now, true);
  EXPECT_EQ(f.current_state(), fuse::state::throttling);
  EXPECT_EQ(f.limit(), 1u);
  for (int i = 0; i < 7; ++i) f.record(good, 5ms, now);
  EXPECT_EQ(f.limit(), 8u);  // one more per good answer up to half the maximum
}

TEST_F(fuse_test, a_failed_probe_reopens_with_a_doubled_back_off) {
  open_it();
  advance(1000ms);
  ASSERT_EQ(f.admit(now, 0), fuse::admission::probe);
  f.record(failure, 5ms, now, true);
  EXPECT_EQ(f.current_state(), fuse::state::open);
  EXPECT_EQ(f.open_until() - now, 2000ms);
}

TEST_F(fuse_test, the_back_off_is_capped) {
  open_it();
  for (int i = 0; i < 10; ++i) {
    now = f.open_until();
    ASSERT_EQ(f.admit(now, 0), fuse::admission::probe);
    f.record(failure, 5ms, now, true);
  }
  EXPECT_EQ(f.open_until() - now, 8000ms);
}

TEST_F(fuse_test, late_answers_while_open_are_not_taken_for_the_probe) {
  open_it();
  f.record(good, 5ms, now);  // an uplink sent before the fuse opened
  EXPECT_EQ(f.current_state(), fuse::state::open);
  advance(1000ms);
  ASSERT_EQ(f.admit(now, 0), fuse::admission::probe);
  f.record(good, 5ms, now);  // still not the probe
  EXPECT_EQ(f.current_state(), fuse::state::open);
}

TEST_F(fuse_test, shed_uplinks_never_count_as_failures) {
  f.record(failure, 5ms, now);
  f.record(failure, 5ms, now + 20ms);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(f.admit(now, 1000), fuse::admission::shed);
  EXPECT_NE(f.current_state(), fuse::state::open);
}

TEST_F(fuse_test, overload_answers_count_toward_opening) {
  for (int i = 0; i < 3; ++i) f.record(overload, 5ms, now + i * 20ms);
  EXPECT_EQ(f.current_state(), fuse::state::open);
}

TEST(fuse_jitter, spreads_the_open_period_within_the_configured_fraction) {
  auto p = small_params();
  p.jitter = 0.2;
  fuse::clock::time_point now{};
  bool differ = false;
  fuse::duration first{};
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    fuse f{p, seed};
    for (int i = 0; i < 3; ++i) f.record(failure, 5ms, now);
    auto d = std::chrono::duration_cast<fuse::duration>(f.open_until() - now);
    EXPECT_GE(d, 800ms);
    EXPECT_LE(d, 1200ms);
    if (seed == 1)
      first = d;
    else if (d != first)
      differ = true;
  }
  EXPECT_TRUE(differ);
}

TEST_F(fuse_test, an_uplink_timed_out_with_nothing_answered_since_it_was_sent_opens_the_fuse) {
  f.record(good, 5ms, now);  // the AS answered once, then hangs
  advance(10ms);
  auto sent = now;
  f.unanswered(now + 100ms);
  advance(5000ms);
  f.timed_out(sent, now);
  EXPECT_EQ(f.current_state(), fuse::state::open);
  EXPECT_EQ(f.admit(now, 0), fuse::admission::shed);
  EXPECT_EQ(f.admit(now + 1000ms, 0), fuse::admission::probe);
}

TEST_F(fuse_test, a_timeout_while_other_uplinks_are_answered_only_counts_as_a_failure) {
  advance(10ms);
  auto sent = now;
  advance(2000ms);
  f.record(good, 150ms, now);  // a slow AS that still answers
  advance(3000ms);
  f.timed_out(sent, now);
  EXPECT_EQ(f.current_state(), fuse::state::throttling);
  f.record(failure, 5000ms, now);
  EXPECT_EQ(f.current_state(), fuse::state::throttling);
}

TEST_F(fuse_test, a_timed_out_probe_reopens_with_a_longer_back_off) {
  open_it();
  advance(1000ms);
  ASSERT_EQ(f.admit(now, 0), fuse::admission::probe);
  auto sent = now;
  advance(5000ms);
  f.timed_out(sent, now);  // already open: the probe's own outcome decides
  f.record(failure, 5000ms, now, true);
  EXPECT_EQ(f.current_state(), fuse::state::open);
  EXPECT_EQ(f.admit(now + 1999ms, 0), fuse::admission::shed);
  EXPECT_EQ(f.admit(now + 2000ms, 0), fuse::admission::probe);
}

TEST_F(fuse_test, says_why_its_state_last_changed) {
  f.record(good, 150ms, now);
  EXPECT_STREQ(f.reason(), "answers slower than the latency target");
  advance(10ms);
  auto sent = now;
  advance(5000ms);
  f.timed_out(sent, now);
  EXPECT_STREQ(f.reason(),
               "an uplink unanswered past the request timeout, nothing answered since it was sent");
}
