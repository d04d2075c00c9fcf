// The fuse split across threads, on a simulated clock: the gate on the shard decides from the
// last snapshot, the learner replays the owner's batches in order (actors/fuse_link.hpp).
#include <gtest/gtest.h>

#include "actors/fuse_gate.hpp"
#include "actors/fuse_link.hpp"
#include "tests/actors/fuse_params.hpp"

using namespace std::chrono_literals;
using namespace tr::actors;

namespace {

using tr::actors::fuse_tests::small_params;

/// An owner's view: a gate, a learner standing in for the fuse actor, batches in between.
struct fuse_gate_test : ::testing::Test {
  fuse::clock::time_point now{};
  fuse_gate gate{small_params().max_limit};
  fuse learner{small_params()};
  std::vector<fuse_event> batch;
  std::uint64_t version = 0;

  void answered(fuse::signal s, fuse::duration latency, bool probe = false) {
    batch.push_back({fuse_event::kind::answer, s, probe, gate.epoch(), now - latency, now});
  }
  /// Sends the batch to the learner and its snapshot back to the gate.
  void exchange() {
    learn(learner, batch);
    batch.clear();
    auto s = learner.admission_state();
    s.version = ++version;
    gate.apply(s);
  }
  void open_it() {
    for (int i = 0; i < 3; ++i) answered(fuse::signal::failure, 5ms);
    exchange();
    ASSERT_EQ(gate.current_state(), fuse::state::open);
  }
};

}  // namespace

TEST_F(fuse_gate_test, admits_up_to_the_maximum_before_any_snapshot) {
  EXPECT_EQ(gate.admit(now, 15), fuse::admission::send);
  EXPECT_EQ(gate.admit(now, 16), fuse::admission::shed);
}

TEST_F(fuse_gate_test, sheds_everything_once_a_batch_of_failures_opened_the_fuse) {
  open_it();
  EXPECT_EQ(gate.admit(now, 0), fuse::admission::shed);
  EXPECT_STREQ(gate.reason(), "consecutive failures reached the threshold");
}

TEST_F(fuse_gate_test, a_batch_is_replayed_in_order) {
  // failure, failure, success, failure: the success resets the count, so the fuse stays shut.
  answered(fuse::signal::failure, 5ms);
  answered(fuse::signal::failure, 5ms);
  answered(fuse::signal::good, 5ms);
  answered(fuse::signal::failure, 5ms);
  exchange();
  EXPECT_NE(gate.current_state(), fuse::state::open);
}

TEST_F(fuse_gate_test, admits_exactly_one_probe_after_the_back_off_until_the_fuse_answers) {
  open_it();
  now += 999ms;
  EXPECT_EQ(gate.admit(now, 0), fuse::admission::shed);
  now += 1ms;
  EXPECT_EQ(gate.admit(now, 0), fuse::admission::probe);
  EXPECT_EQ(gate.admit(now, 0), fuse::admission::shed) << "a second probe";
  now += 5ms;
  answered(fuse::signal::good, 5ms, true);
  exchange();
  EXPECT_EQ(gate.current_state(), fuse::state::throttling);
  EXPECT_EQ(gate.limit(), 1u);
  EXPECT_EQ(gate.admit(now, 0), fuse::admission::send);
}

TEST_F(fuse_gate_test, a_failed_probe_opens_a_new_period_and_a_new_probe_follows_it) {
  open_it();
  now += 1000ms;
  ASSERT_EQ(gate.admit(now, 0), fuse::admission::probe);
  auto first = gate.epoch();
  answered(fuse::signal::failure, 5ms, true);
  exchange();
  EXPECT_EQ(gate.current_state(), fuse::state::open);
  EXPECT_EQ(gate.epoch(), first + 1);
  now += 1999ms;  // the back-off doubled
  EXPECT_EQ(gate.admit(now, 0), fuse::admission::shed);
  now += 1ms;
  EXPECT_EQ(gate.admit(now, 0), fuse::admission::probe);
}

TEST_F(fuse_gate_test, a_probe_of_an_earlier_open_period_does_not_close_the_fuse) {
  open_it();
  now += 1000ms;
  ASSERT_EQ(gate.admit(now, 0), fuse::admission::probe);
  batch.push_back({fuse_event::kind::answer, fuse::signal::good, true, gate.epoch() - 1,
                   now - 5ms, now});
  exchange();
  EXPECT_EQ(gate.current_state(), fuse::state::open);
}

TEST_F(fuse_gate_test, a_probe_not_sent_after_all_frees_the_way_for_another) {
  open_it();
  now += 1000ms;
  ASSERT_EQ(gate.admit(now, 0), fuse::admission::probe);
  gate.release_probe();
  EXPECT_EQ(gate.admit(now, 0), fuse::admission::probe);
}

TEST_F(fuse_gate_test, an_older_snapshot_than_the_one_held_is_ignored) {
  open_it();
  auto older = learner.admission_state();  // as an owner that moved away might hand it over
  older.current = fuse::state::closed;
  older.version = version - 1;
  EXPECT_FALSE(gate.apply(older));
  EXPECT_EQ(gate.current_state(), fuse::state::open);
}

TEST_F(fuse_gate_test, unanswered_and_timed_out_events_reach_the_learner) {
  batch.push_back({fuse_event::kind::unanswered, fuse::signal::failure, false, 0, now - 100ms,
                   now});
  exchange();
  EXPECT_EQ(gate.current_state(), fuse::state::throttling);
  EXPECT_EQ(gate.limit(), 8u);
  now += 2s;
  batch.push_back({fuse_event::kind::timed_out, fuse::signal::failure, false, 0, now - 1500ms,
                   now});
  exchange();
  EXPECT_EQ(gate.current_state(), fuse::state::open) << "a hung AS is blacklisted";
}
