// The cost of reaching a shard with a closure, on running shards (real threads, real eventfd):
// - same_shard_post_batch: a closure on the shard posts `batch` closures to its own shard, which
//   run later in the same loop turn; per post: queue, call and destroy (no lock, no syscall).
// - same_shard_post_chain: each closure posts the next one to its own shard: 16 hops run per
//   loop turn, then a turn (epoll_wait with a zero timeout, clock reads, timers) intervenes.
// Both are timed on the shard (manual time), without the wake-up that starts an iteration.
// - cross_shard_ping_pong: a closure bounces between two shards `hops` times; each hop finds
//   the other shard's inbox empty, so it pays the mutex, the eventfd write and the other
//   thread's wake-up. ns_per_hop is one way.
// - cross_shard_post_burst: a shard posts `batch` closures to another shard in a row; only the
//   first one wakes it.
// - outside_thread_post_burst: the benchmark thread posts `batch` closures to a shard (the
//   control plane's path).
// The figure is ns per post or per hop, including running the (empty) closure.

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>

#include "transport/runtime/runtime.hpp"

namespace tr::transport {
namespace {

/// Waits for a std::promise<void> set on a shard.
void wait_for(std::promise<void>& done) { done.get_future().wait(); }

using steady = std::chrono::steady_clock;

/// Waits for the time a shard measured, and reports it as the iteration's time.
void report(benchmark::State& state, std::promise<steady::duration>& measured) {
  auto took = measured.get_future().get();
  state.SetIterationTime(std::chrono::duration<double>(took).count());
}

// Timed on the shard, from the first post to the end of the last closure: the wake-up that
// starts each iteration is not part of the figure.
void same_shard_post_batch(benchmark::State& state) {
  const auto batch = static_cast<int>(state.range(0));
  runtime rt{1};
  rt.start();
  for (auto _ : state) {
    std::promise<steady::duration> measured;
    rt.at(0).post([&, batch](shard& on) {
      auto started = steady::now();
      auto left = std::make_shared<int>(batch);
      for (int i = 0; i < batch; ++i) {
        on.post([&measured, left, started](shard&) {
          if (--*left == 0) measured.set_value(steady::now() - started);
        });
      }
    });
    report(state, measured);
  }
  state.counters["ns_per_post"] = benchmark::Counter(
      static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(same_shard_post_batch)->Arg(100)->Arg(1000)->UseManualTime();

/// Posts itself to its shard until `left` reaches zero.
struct chain_step {
  int* left;
  steady::time_point started;
  std::promise<steady::duration>* measured;
  void operator()(shard& on) {
    if (--*left == 0) {
      measured->set_value(steady::now() - started);
      return;
    }
    on.post(chain_step{left, started, measured});
  }
};

void same_shard_post_chain(benchmark::State& state) {
  const auto hops = static_cast<int>(state.range(0));
  runtime rt{1};
  rt.start();
  for (auto _ : state) {
    std::promise<steady::duration> measured;
    int left = hops;
    rt.at(0).post([&](shard& on) { chain_step{&left, steady::now(), &measured}(on); });
    report(state, measured);
  }
  state.counters["ns_per_post"] = benchmark::Counter(
      static_cast<double>(hops), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(same_shard_post_chain)->Arg(1000)->UseManualTime();

/// Bounces between shards 0 and 1 until `left` reaches zero.
struct ping_pong {
  runtime* rt;
  int* left;
  std::promise<void>* done;
  void operator()(shard& on) {
    if (--*left == 0) {
      done->set_value();
      return;
    }
    rt->at(1 - on.index()).post(ping_pong{rt, left, done});
  }
};

void cross_shard_ping_pong(benchmark::State& state) {
  const auto hops = static_cast<int>(state.range(0));
  runtime rt{2};
  rt.start();
  for (auto _ : state) {
    std::promise<void> done;
    int left = hops;
    rt.at(0).post(ping_pong{&rt, &left, &done});
    wait_for(done);
  }
  state.counters["ns_per_hop"] = benchmark::Counter(
      static_cast<double>(hops), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(cross_shard_ping_pong)->Arg(1000)->UseRealTime();

void cross_shard_post_burst(benchmark::State& state) {
  const auto batch = static_cast<int>(state.range(0));
  runtime rt{2};
  rt.start();
  for (auto _ : state) {
    std::promise<void> done;
    rt.at(0).post([&, batch](shard& on) {
      auto left = std::make_shared<std::atomic<int>>(batch);
      shard& target = on.owner().at(1);
      for (int i = 0; i < batch; ++i) {
        target.post([&done, left](shard&) {
          if (left->fetch_sub(1) == 1) done.set_value();
        });
      }
    });
    wait_for(done);
  }
  state.counters["ns_per_post"] = benchmark::Counter(
      static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(cross_shard_post_burst)->Arg(100)->Arg(1000)->UseRealTime();

void outside_thread_post_burst(benchmark::State& state) {
  const auto batch = static_cast<int>(state.range(0));
  runtime rt{1};
  rt.start();
  for (auto _ : state) {
    std::promise<void> done;
    auto left = std::make_shared<int>(batch);
    for (int i = 0; i < batch; ++i) {
      rt.at(0).post([&done, left](shard&) {
        if (--*left == 0) done.set_value();
      });
    }
    wait_for(done);
  }
  state.counters["ns_per_post"] = benchmark::Counter(
      static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(outside_thread_post_burst)->Arg(1000)->UseRealTime();

}  // namespace
}  // namespace tr::transport
