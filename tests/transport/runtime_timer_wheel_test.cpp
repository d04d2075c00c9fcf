// The shard's timer wheel on a simulated clock: order, cancellation, every level, and a
// randomised comparison with a plain reference model.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

#include "transport/runtime/timer_wheel.hpp"

namespace tr::transport {
namespace {

using namespace std::chrono_literals;
using clock_type = timer_wheel::clock;

class runtime_timer_wheel : public ::testing::Test {
 protected:
  clock_type::time_point at(clock_type::duration offset) const { return origin_ + offset; }

  timer_id schedule_recording(clock_type::duration offset, int name) {
    return wheel_.schedule(at(offset), [this, name] { fired_.push_back(name); });
  }

  clock_type::time_point origin_ = clock_type::now();
  timer_wheel wheel_{origin_};
  std::vector<int> fired_;
};

TEST_F(runtime_timer_wheel, fires_timers_in_deadline_order) {
  schedule_recording(30ms, 3);
  schedule_recording(10ms, 1);
  schedule_recording(20ms, 2);
  wheel_.advance(at(100ms));
  EXPECT_EQ(fired_, (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(wheel_.empty());
}

TEST_F(runtime_timer_wheel, fires_equal_deadlines_in_the_order_they_were_scheduled) {
  for (int i = 0; i < 5; ++i) schedule_recording(7ms, i);
  wheel_.advance(at(7ms));
  EXPECT_EQ(fired_, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(runtime_timer_wheel, orders_deadlines_within_one_tick_exactly) {
  schedule_recording(5ms + 900us, 2);
  schedule_recording(5ms + 100us, 1);
  wheel_.advance(at(10ms));
  EXPECT_EQ(fired_, (std::vector<int>{1, 2}));
}

TEST_F(runtime_timer_wheel, never_fires_before_the_deadline) {
  schedule_recording(10ms + 1us, 1);
  wheel_.advance(at(10ms));
  EXPECT_TRUE(fired_.empty());
  wheel_.advance(at(10ms + 999us));
  EXPECT_TRUE(fired_.empty());
  wheel_.advance(at(11ms));
  EXPECT_EQ(fired_, (std::vector<int>{1}));
}

TEST_F(runtime_timer_wheel, does_not_fire_a_cancelled_timer) {
  schedule_recording(5ms, 1);
  timer_id doomed = schedule_recording(6ms, 2);
  schedule_recording(7ms, 3);
  EXPECT_TRUE(wheel_.cancel(doomed));
  EXPECT_EQ(wheel_.size(), 2u);
  wheel_.advance(at(1s));
  EXPECT_EQ(fired_, (std::vector<int>{1, 3}));
}

TEST_F(runtime_timer_wheel, refuses_to_cancel_a_fired_or_stale_timer) {
  timer_id first = schedule_recording(1ms, 1);
  wheel_.advance(at(1ms));
  EXPECT_FALSE(wheel_.cancel(first));
  // The pooled node is reused by the next timer: the old id must not cancel it.
  timer_id second = schedule_recording(2ms, 2);
  EXPECT_FALSE(wheel_.cancel(first));
  EXPECT_FALSE(wheel_.cancel(timer_id{}));
  wheel_.advance(at(2ms));
  EXPECT_EQ(fired_, (std::vector<int>{1, 2}));
  EXPECT_FALSE(wheel_.cancel(second));
}

TEST_F(runtime_timer_wheel, fires_timers_of_every_level_on_time) {
  const std::vector<clock_type::duration> offsets = {300ms, 20s, 30min, 20h, 24h * 60};
  for (std::size_t i = 0; i < offsets.size(); ++i) schedule_recording(offsets[i], int(i));
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    wheel_.advance(at(offsets[i] - 1ms));
    EXPECT_EQ(fired_.size(), i) << "too early: level " << i;
    wheel_.advance(at(offsets[i]));
    EXPECT_EQ(fired_.size(), i + 1) << "late: level " << i;
  }
}

TEST_F(runtime_timer_wheel, sleeps_until_a_far_timer_with_few_wake_ups) {
  schedule_recording(20h, 1);
  int wake_ups = 0;
  while (fired_.empty() && wake_ups < 100) {
    clock_type::time_point wake = wheel_.next_wake();
    ASSERT_LE(wake, at(20h));
    wheel_.advance(wake);
    ++wake_ups;
  }
  EXPECT_EQ(fired_, (std::vector<int>{1}));
  EXPECT_LE(wake_ups, 6) << "one per level, not one per tick";
  EXPECT_EQ(wheel_.next_wake(), clock_type::time_point::max());
}

TEST_F(runtime_timer_wheel, lets_callbacks_schedule_and_cancel) {
  timer_id later = schedule_recording(50ms, 9);
  wheel_.schedule(at(10ms), [&] {
    fired_.push_back(1);
    wheel_.cancel(later);
    wheel_.schedule(at(10ms), [&] { fired_.push_back(2); });  // already due: next tick
  });
  wheel_.advance(at(10ms));
  EXPECT_EQ(fired_, (std::vector<int>{1}));
  wheel_.advance(at(11ms));
  EXPECT_EQ(fired_, (std::vector<int>{1, 2}));
  wheel_.advance(at(1s));
  EXPECT_EQ(fired_, (std::vector<int>{1, 2}));
}

TEST_F(runtime_timer_wheel, cancelling_a_timer_due_in_the_same_tick_stops_it) {
  timer_id second;
  wheel_.schedule(at(3ms), [&] {
    fired_.push_back(1);
    wheel_.cancel(second);
  });
  second = schedule_recording(3ms, 2);
  wheel_.advance(at(3ms));
  EXPECT_EQ(fired_, (std::vector<int>{1}));
}

TEST_F(runtime_timer_wheel, matches_a_reference_model_under_random_use) {
  struct expected_timer {
    std::int64_t deadline_ns;
    int name;
    timer_id id;
    bool cancelled = false;
  };
  std::mt19937_64 random{20240611};
  std::vector<expected_timer> model;
  std::int64_t now_ns = 0;
  std::vector<int> expected;
  auto ceil_ms = [](std::int64_t ns) { return (ns + 999'999) / 1'000'000; };
  for (int step = 0; step < 4000; ++step) {
    auto roll = random() % 10;
    if (roll < 5) {
      // Distances from 0 to 2^47 ns (39 h, every level), skewed towards short ones.
      std::int64_t distance = static_cast<std::int64_t>(random() % (1ull << (random() % 48)));
      std::int64_t deadline = now_ns + distance;
      int name = static_cast<int>(model.size());
      timer_id id = wheel_.schedule(origin_ + std::chrono::nanoseconds(deadline),
                                    [this, name] { fired_.push_back(name); });
      model.push_back({deadline, name, id});
    } else if (roll < 7 && !model.empty()) {
      auto& victim = model[random() % model.size()];
      bool pending = !victim.cancelled &&
                     std::find(expected.begin(), expected.end(), victim.name) == expected.end();
      EXPECT_EQ(wheel_.cancel(victim.id), pending);
      victim.cancelled = true;
    } else {
      now_ns += static_cast<std::int64_t>(random() % (1ull << (random() % 46)));
      std::vector<const expected_timer*> due;
      for (const auto& entry : model) {
        bool done = std::find(expected.begin(), expected.end(), entry.name) != expected.end();
        if (!entry.cancelled && !done && ceil_ms(entry.deadline_ns) <= now_ns / 1'000'000) {
          due.push_back(&entry);
        }
      }
      std::sort(due.begin(), due.end(), [](auto* a, auto* b) {
        return a->deadline_ns != b->deadline_ns ? a->deadline_ns < b->deadline_ns
                                                : a->name < b->name;
      });
      for (auto* entry : due) expected.push_back(entry->name);
      wheel_.advance(origin_ + std::chrono::nanoseconds(now_ns));
      ASSERT_EQ(fired_, expected) << "after step " << step;
    }
  }
  EXPECT_GT(fired_.size(), 500u) << "the run exercised too little";
}

}  // namespace
}  // namespace tr::transport
