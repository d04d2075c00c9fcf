// Timers on a shard: the hierarchical wheel the shard uses against a binary heap with lazy
// cancellation (the alternative, kept here as the measured baseline). Simulated clock, one
// thread, no shard: only the data structure is measured.
// - schedule_cancel/N: schedule a timer 5 s ahead and cancel it (a request timeout that is
//   not needed, the common case), with N other timers pending 0-10 s ahead. The clock moves
//   10 us per operation and the structure is advanced every 100 operations, as a shard at
//   100 k requests/s would. The heap keeps cancelled entries until their deadline passes
//   (5 s worth: 500 k entries), the wheel unlinks them at once.
// - schedule_fire/N: N timers spread over 0-1 s, then advanced through in 1 ms steps; per
//   timer: schedule, ordering, firing.
// ns_per_op is per schedule+cancel or per timer fired.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "transport/runtime/timer_wheel.hpp"

namespace tr::transport {
namespace {

using clock_type = timer_wheel::clock;
using namespace std::chrono_literals;

/// A binary min-heap of deadlines; cancel only marks the timer (lazy), the heap entry goes
/// when its deadline is reached.
class timer_heap {
 public:
  explicit timer_heap(clock_type::time_point origin) : origin_(origin) {}

  timer_id schedule(clock_type::time_point deadline, unique_function<void()> fn) {
    std::uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      index = static_cast<std::uint32_t>(nodes_.size());
      nodes_.emplace_back();
    }
    node& entry = nodes_[index];
    entry.fn = std::move(fn);
    entry.pending = true;
    auto at = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - origin_).count();
    heap_.push_back({at, sequence_++, index, entry.generation});
    std::push_heap(heap_.begin(), heap_.end(), later);
    return {(std::uint64_t{entry.generation} << 32) | (index + 1)};
  }

  bool cancel(timer_id id) {
    std::uint32_t index = static_cast<std::uint32_t>(id.value & 0xffffffffu) - 1;
    node& entry = nodes_[index];
    if (entry.generation != (id.value >> 32) || !entry.pending) return false;
    release(index);
    return true;
  }

  void advance(clock_type::time_point now) {
    auto at = std::chrono::duration_cast<std::chrono::nanoseconds>(now - origin_).count();
    while (!heap_.empty() && heap_.front().deadline <= at) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      item due = heap_.back();
      heap_.pop_back();
      node& entry = nodes_[due.index];
      if (entry.generation != due.generation || !entry.pending) continue;  // cancelled
      auto fn = std::move(entry.fn);
      release(due.index);
      fn();
    }
  }

 private:
  struct item {
    std::int64_t deadline;
    std::uint64_t sequence;
    std::uint32_t index;
    std::uint32_t generation;
  };
  struct node {
    unique_function<void()> fn;
    std::uint32_t generation = 1;
    bool pending = false;
  };
  static bool later(const item& a, const item& b) {
    return a.deadline != b.deadline ? a.deadline > b.deadline : a.sequence > b.sequence;
  }
  void release(std::uint32_t index) {
    nodes_[index].fn.reset();
    nodes_[index].pending = false;
    ++nodes_[index].generation;
    free_.push_back(index);
  }

  clock_type::time_point origin_;
  std::uint64_t sequence_ = 0;
  std::vector<item> heap_;
  std::vector<node> nodes_;
  std::vector<std::uint32_t> free_;
};

template <class Timers>
void schedule_cancel(benchmark::State& state) {
  const auto background = static_cast<int>(state.range(0));
  clock_type::time_point now = clock_type::now();
  Timers timers{now};
  std::mt19937 random{7};
  for (int i = 0; i < background; ++i) {
    timers.schedule(now + std::chrono::microseconds(random() % 10'000'000), [] {});
  }
  std::uint64_t operations = 0;
  for (auto _ : state) {
    timer_id id = timers.schedule(now + 5s, [] {});
    timers.cancel(id);
    now += 10us;
    if (++operations % 100 == 0) timers.advance(now);
  }
  state.counters["ns_per_op"] = benchmark::Counter(
      1, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(schedule_cancel<timer_wheel>)->Name("wheel_schedule_cancel")->Arg(0)->Arg(1000)->Arg(100000);
BENCHMARK(schedule_cancel<timer_heap>)->Name("heap_schedule_cancel")->Arg(0)->Arg(1000)->Arg(100000);

template <class Timers>
void schedule_fire(benchmark::State& state) {
  const auto count = static_cast<int>(state.range(0));
  std::mt19937 random{11};
  std::vector<std::chrono::microseconds> offsets(count);
  for (auto& offset : offsets) offset = std::chrono::microseconds(random() % 1'000'000);
  std::uint64_t fired = 0;
  for (auto _ : state) {
    clock_type::time_point start = clock_type::now();
    Timers timers{start};
    for (auto offset : offsets) timers.schedule(start + offset, [&fired] { ++fired; });
    for (auto at = start; at <= start + 1s; at += 1ms) timers.advance(at);
  }
  benchmark::DoNotOptimize(fired);
  state.counters["ns_per_op"] = benchmark::Counter(
      static_cast<double>(count), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(schedule_fire<timer_wheel>)->Name("wheel_schedule_fire")->Arg(1000)->Arg(100000);
BENCHMARK(schedule_fire<timer_heap>)->Name("heap_schedule_fire")->Arg(1000)->Arg(100000);

}  // namespace
}  // namespace tr::transport
