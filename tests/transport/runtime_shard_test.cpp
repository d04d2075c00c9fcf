// Shards without sockets: posts, their order, timers, load figures and stopping.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "transport/runtime/runtime.hpp"

namespace tr::transport {
namespace {

using namespace std::chrono_literals;

/// The value of `future`, failing the test instead of hanging when it does not come.
template <class T>
T await(std::future<T>& future, std::chrono::seconds timeout = 10s) {
  if (future.wait_for(timeout) != std::future_status::ready) {
    ADD_FAILURE() << "timed out waiting for the shard";
    return T{};
  }
  return future.get();
}

TEST(runtime_shard, runs_a_post_on_the_shard_thread) {
  runtime rt{2};
  rt.start();
  std::promise<std::pair<std::thread::id, shard*>> seen;
  auto result = seen.get_future();
  rt.at(1).post([&](shard& on) { seen.set_value({std::this_thread::get_id(), shard::current()}); });
  auto [thread, current] = await(result);
  EXPECT_NE(thread, std::this_thread::get_id());
  EXPECT_EQ(current, &rt.at(1));
  EXPECT_EQ(shard::current(), nullptr) << "not a shard thread";
}

TEST(runtime_shard, runs_posts_made_before_start_once_started) {
  runtime rt{1};
  std::promise<int> ran;
  auto result = ran.get_future();
  rt.at(0).post([&](shard&) { ran.set_value(7); });
  rt.start();
  EXPECT_EQ(await(result), 7);
}

TEST(runtime_shard, keeps_the_order_of_each_producer_across_shards) {
  runtime rt{3};
  rt.start();
  constexpr int per_producer = 20000;
  std::vector<int> from_shard;   // touched on shard 2 only
  std::vector<int> from_thread;  // touched on shard 2 only
  std::promise<void> done;
  auto finished = done.get_future();
  auto record = [&](std::vector<int>& into, int value) {
    into.push_back(value);
    if (from_shard.size() == per_producer && from_thread.size() == per_producer) done.set_value();
  };
  rt.at(0).post([&](shard& producer) {
    for (int i = 0; i < per_producer; ++i) {
      producer.owner().at(2).post([&, i](shard&) { record(from_shard, i); });
    }
  });
  for (int i = 0; i < per_producer; ++i) {
    rt.at(2).post([&, i](shard&) { record(from_thread, i); });
  }
  ASSERT_EQ(finished.wait_for(20s), std::future_status::ready);
  for (int i = 0; i < per_producer; ++i) {
    ASSERT_EQ(from_shard[i], i);
    ASSERT_EQ(from_thread[i], i);
  }
}

// A shard's turn that posts to another shard wakes it once, when the turn ends: here the
// target is idle (its inbox empty) before each of the ten posts, which used to cost ten
// wake-ups (eventfd writes and loop turns of the target).
TEST(runtime_shard, wakes_another_shard_once_per_turn_however_many_posts_reach_it) {
  runtime rt{2};
  rt.start();
  constexpr int posts = 10;
  std::vector<int> ran;  // touched on shard 1 only
  std::promise<void> done;
  auto finished = done.get_future();
  std::promise<std::uint64_t> before_promise;
  auto before = before_promise.get_future();
  rt.at(0).post([&](shard& on) {
    before_promise.set_value(on.load().wakes_sent_total);
    for (int i = 0; i < posts; ++i) {
      on.owner().at(1).post([&, i](shard&) {
        ran.push_back(i);
        if (ran.size() == posts) done.set_value();
      });
      std::this_thread::sleep_for(2ms);  // time for an awake target to empty its inbox
    }
  });
  ASSERT_EQ(finished.wait_for(10s), std::future_status::ready);
  for (int i = 0; i < posts; ++i) EXPECT_EQ(ran[i], i);
  std::promise<std::uint64_t> after_promise;
  auto after = after_promise.get_future();
  rt.at(0).post([&](shard& on) {  // the figure is counted at the end of the posting turn
    on.post_next_turn([&](shard& next) { after_promise.set_value(next.load().wakes_sent_total); });
  });
  // One, or none if shard 1 woke on its own (a timer) and took the posts before the turn ended.
  EXPECT_LE(await(after) - await(before), 1u);
}

// What another shard posts while a turn runs is taken at the end of that turn (not in a turn
// of its own), and the poster then owes no wake-up.
TEST(runtime_shard, takes_posts_that_arrive_during_a_turn_before_the_turn_ends) {
  runtime rt{2};
  rt.start();
  std::atomic<bool> x_running{false}, y_posted{false}, y_ran{false};
  auto wait_for = [](std::atomic<bool>& flag) {
    auto until = std::chrono::steady_clock::now() + 5s;
    while (!flag.load() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    return flag.load();
  };
  std::promise<bool> x_saw_y_posted;
  auto x_result = x_saw_y_posted.get_future();
  shard::clock::time_point x_turn{}, y_turn{};  // the loop time of the turns that ran X and Y
  rt.at(1).post([&](shard& on) {  // X: a turn of shard 1 still running when Y is posted
    x_turn = on.now();
    x_running = true;
    x_saw_y_posted.set_value(wait_for(y_posted));
  });
  std::promise<std::pair<bool, std::uint64_t>> poster;
  auto poster_result = poster.get_future();
  rt.at(0).post([&](shard& on) {
    if (!wait_for(x_running)) return poster.set_value({false, 0});
    std::uint64_t before = on.load().wakes_sent_total;
    on.owner().at(1).post([&](shard& target) {
      y_turn = target.now();
      y_ran = true;
    });
    y_posted = true;
    // Shard 1 gets no wake-up before this turn ends: Y can run only in X's turn.
    bool ran = wait_for(y_ran);
    on.post_next_turn([&, ran, before](shard& next) {
      poster.set_value({ran, next.load().wakes_sent_total - before});
    });
  });
  EXPECT_TRUE(await(x_result));
  auto [ran, wakes] = await(poster_result);
  ASSERT_TRUE(ran);
  EXPECT_EQ(y_turn, x_turn) << "a post that arrived during a turn waited for a turn of its own";
  EXPECT_EQ(wakes, 0u) << "the target had already taken the post";
}

TEST(runtime_shard, runs_a_post_to_itself_later_in_the_same_turn) {
  runtime rt{1};
  rt.start();
  std::promise<std::vector<int>> order;
  auto result = order.get_future();
  rt.at(0).post([&](shard& on) {
    auto steps = std::make_shared<std::vector<int>>();
    on.post([&, steps](shard&) {
      steps->push_back(2);
      order.set_value(*steps);
    });
    steps->push_back(1);
  });
  EXPECT_EQ(await(result), (std::vector<int>{1, 2}));
}

// post() to itself chains up to 16 rounds in one turn; post_next_turn() yields a whole turn
// (socket events, timers, writes) each time: what slicing a long piece of work relies on.
TEST(runtime_shard, runs_a_post_for_the_next_turn_in_a_turn_of_its_own) {
  runtime rt{1};
  rt.start();
  std::promise<std::vector<shard::clock::time_point>> turns;
  auto result = turns.get_future();
  struct chain {
    std::vector<shard::clock::time_point> seen;
    std::promise<std::vector<shard::clock::time_point>>* done;
    void step(shard& on) {
      seen.push_back(on.now());
      if (seen.size() == 40) return done->set_value(seen);
      on.post_next_turn([this](shard& next) { step(next); });
    }
  };
  chain c{{}, &turns};
  bool same_turn_post_ran_first = false;
  rt.at(0).post([&](shard& on) {
    on.post_next_turn([&](shard& next) { c.step(next); });
    on.post([&](shard&) { same_turn_post_ran_first = c.seen.empty(); });
  });
  auto seen = await(result);
  EXPECT_TRUE(same_turn_post_ran_first);
  ASSERT_EQ(seen.size(), 40u);
  for (std::size_t i = 1; i < seen.size(); ++i)
    EXPECT_LT(seen[i - 1], seen[i]) << "step " << i << " ran in the turn of step " << i - 1;
}

TEST(runtime_shard, fires_timers_in_order_and_not_the_cancelled_ones) {
  runtime rt{1};
  rt.start();
  std::promise<std::vector<int>> fired;
  auto result = fired.get_future();
  rt.at(0).post([&](shard& on) {
    auto order = std::make_shared<std::vector<int>>();
    on.schedule(30ms, [order, &fired] {
      order->push_back(3);
      fired.set_value(*order);
    });
    on.schedule(10ms, [order] { order->push_back(1); });
    timer_id doomed = on.schedule(15ms, [order] { order->push_back(99); });
    on.schedule(20ms, [order] { order->push_back(2); });
    on.schedule(5ms, [&on, doomed] { EXPECT_TRUE(on.cancel(doomed)); });
  });
  EXPECT_EQ(await(result), (std::vector<int>{1, 2, 3}));
}

TEST(runtime_shard, fires_a_timer_no_earlier_than_its_delay) {
  runtime rt{1};
  rt.start();
  std::promise<std::chrono::nanoseconds> waited;
  auto result = waited.get_future();
  auto before = std::chrono::steady_clock::now();
  rt.at(0).post([&](shard& on) {
    on.schedule(20ms, [&] { waited.set_value(std::chrono::steady_clock::now() - before); });
  });
  EXPECT_GE(await(result), 20ms);
}

/// Shard 0's figures, read in a turn after those that ran what was posted so far: a turn's
/// figures are published at its end, and a post from another thread may still run in the turn
/// that ran the others.
shard_load figures_in_a_later_turn(runtime& rt) {
  std::promise<shard_load> read;
  auto figures_read = read.get_future();
  rt.at(0).post(
      [&](shard& on) { on.post_next_turn([&](shard& next) { read.set_value(next.load()); }); });
  return await(figures_read);
}

TEST(runtime_shard, counts_posts_in_its_load_figures) {
  runtime rt{1};
  rt.start();
  for (int i = 0; i < 100; ++i) rt.at(0).post([](shard&) {});
  std::promise<void> done;
  auto finished = done.get_future();
  rt.at(0).post([&](shard&) { done.set_value(); });
  ASSERT_EQ(finished.wait_for(10s), std::future_status::ready);
  shard_load figures = figures_in_a_later_turn(rt);
  EXPECT_GE(figures.posts_total, 101u);
  EXPECT_GT(figures.busy_ns_total, 0u);
  EXPECT_EQ(figures.connections, 0u);
}

TEST(runtime_shard, counts_a_long_turn_in_the_bucket_of_its_duration) {
  runtime rt{1};
  rt.start();
  std::promise<void> done;
  auto finished = done.get_future();
  rt.at(0).post([&](shard&) {
    std::this_thread::sleep_for(3ms);  // one turn of at least 3 ms
    done.set_value();
  });
  ASSERT_EQ(finished.wait_for(10s), std::future_status::ready);
  shard_load figures = figures_in_a_later_turn(rt);
  // Buckets up to 2 ms (index 5) hold nothing of it; 5 ms or above (index 6 on) does.
  std::uint64_t longer = 0;
  for (std::size_t i = 6; i < figures.turn_counts.size(); ++i) longer += figures.turn_counts[i];
  EXPECT_GE(longer, 1u);
  EXPECT_GE(figures.turn_weighted_ns_total, 3'000'000u);
}

TEST(runtime_shard, publishes_figures_per_second_and_clears_them_when_idle) {
  runtime rt{1};
  rt.start();
  for (int i = 0; i < 500; ++i) rt.at(0).post([](shard&) {});
  // The figures are per second by contract: watch them change over a few seconds.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  std::uint64_t seen = 0;
  while (seen == 0 && std::chrono::steady_clock::now() < deadline) {
    seen = rt.at(0).load().posts_per_second;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GE(seen, 100u) << "500 posts in the first second";
  while (rt.at(0).load().posts_per_second != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(rt.at(0).load().posts_per_second, 0u) << "an idle second publishes zeros";
}

TEST(runtime_shard, pins_each_shard_to_one_cpu_when_asked) {
  runtime_options options;
  options.shards = 2;
  options.pin_threads = true;
  runtime rt{options};
  rt.start();
  for (std::size_t i = 0; i < rt.size(); ++i) {
    std::promise<int> cpus;
    auto result = cpus.get_future();
    rt.at(i).post([&](shard&) {
      cpu_set_t set;
      CPU_ZERO(&set);
      pthread_getaffinity_np(pthread_self(), sizeof set, &set);
      cpus.set_value(CPU_COUNT(&set));
    });
    EXPECT_EQ(await(result), 1) << "shard " << i;
  }
}

TEST(runtime_shard, refuses_posts_once_stopped) {
  runtime rt{2};
  rt.start();
  rt.stop();
  EXPECT_FALSE(rt.running());
  auto witness = std::make_shared<int>(0);
  EXPECT_FALSE(rt.at(0).post([witness](shard&) { ++*witness; }));
  EXPECT_EQ(witness.use_count(), 1) << "the refused closure was destroyed";
}

TEST(runtime_shard, destroys_pending_timers_and_posts_unrun_on_stop) {
  auto witness = std::make_shared<int>(0);
  {
    runtime rt{1};
    rt.start();
    std::promise<void> armed;
    auto ready = armed.get_future();
    rt.at(0).post([&, witness](shard& on) {
      on.schedule(1h, [witness] { ++*witness; });
      armed.set_value();
    });
    ASSERT_EQ(ready.wait_for(10s), std::future_status::ready);
  }
  EXPECT_EQ(*witness, 0);
  EXPECT_EQ(witness.use_count(), 1);
}

TEST(runtime_shard, makes_one_shard_per_core_when_asked_for_zero) {
  runtime rt{0};
  EXPECT_EQ(rt.size(), std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace
}  // namespace tr::transport
