#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "transport/runtime/unique_function.hpp"

namespace tr::transport {

/// Names a scheduled timer; stale (and harmless to cancel) once it fired or was cancelled.
struct timer_id {
  std::uint64_t value = 0;  ///< 0: no timer

  /// True when this names a timer that was scheduled (it may have fired since).
  explicit operator bool() const { return value != 0; }
  friend bool operator==(timer_id, timer_id) = default;
};

/// The timers of one shard: a hierarchical timing wheel with a 1 ms tick.
///
/// Algorithm (the classic cascading wheel of the Linux kernel before 4.8): five levels, the
/// first of 256 one-tick slots, then four of 64 slots, each slot of a level spanning a whole
/// turn of the level below (256 ms, 16.4 s, 17.5 min, 18.6 h; beyond 49.7 days a timer waits in
/// the last level and is placed again). A timer goes into the lowest level whose span covers its
/// distance from now; when the first level wraps around, the due slot of the next level is
/// emptied into the levels below (a "cascade"). Slots are intrusive doubly linked lists of
/// pooled nodes, so schedule and cancel are O(1) and nothing is allocated once the pool and the
/// callbacks (unique_function, in place) have reached their working size. One bitmap per level
/// says which slots are non-empty: next_wake() is the earliest tick with a due first-level slot
/// or a non-empty slot to cascade, and advance() jumps straight to it instead of stepping over
/// empty ticks, so an idle shard sleeps until its next timer.
///
/// Order: timers fire in deadline order, equal deadlines in the order they were scheduled (each
/// due slot is sorted by exact deadline, then sequence). A timer never fires before its deadline
/// and at most about one tick after the advance() that passes it. The binary heap alternative
/// is measured against this in bench/transport/runtime_timers_bench.cpp.
class timer_wheel {
 public:
  using clock = std::chrono::steady_clock;
  using callback = unique_function<void()>;

  /// An empty wheel whose tick 0 starts at `origin`.
  explicit timer_wheel(clock::time_point origin = clock::now());

  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;

  /// Runs `fn` at the first advance() at or after `deadline`.
  timer_id schedule(clock::time_point deadline, callback fn);

  /// Cancels a pending timer (its callback is destroyed unrun); false if it already fired,
  /// was cancelled, or was never scheduled. O(1).
  bool cancel(timer_id id);

  /// Runs every timer whose deadline is at or before `now`, in order; returns how many ran.
  /// Callbacks may schedule and cancel timers; one scheduled for `now` or earlier runs at the
  /// next tick.
  /// A callback that throws is counted (failures()) and the others still run.
  std::size_t advance(clock::time_point now);

  /// Callbacks that ended with an exception, since construction.
  std::uint64_t failures() const { return failures_; }

  /// Cancels every pending timer (callbacks destroyed unrun).
  void clear();

  /// When the next timer may be due (a time_point::max() when the wheel is empty).
  clock::time_point next_wake() const;

  /// Timers pending.
  std::size_t size() const { return count_; }

  /// True when no timer is pending.
  bool empty() const { return count_ == 0; }

 private:
  std::uint64_t failures_ = 0;
  static constexpr std::uint32_t none = 0xffffffffu;
  static constexpr std::uint64_t never = ~std::uint64_t{0};
  static constexpr int levels = 5;
  static constexpr std::size_t bucket_count = 256 + 4 * 64;
  static constexpr std::uint16_t not_linked = 0xffff;  // free, or taken out to fire

  // The links and times of a timer; its callback is kept apart (callbacks_, same index) so
  // that walking and sorting slots touches 40-byte nodes only.
  struct node {
    std::int64_t deadline = 0;  // nanoseconds since origin, exact
    std::uint64_t expiry = 0;   // tick
    std::uint64_t sequence = 0;
    std::uint32_t prev = none;
    std::uint32_t next = none;
    std::uint32_t generation = 1;
    std::uint16_t bucket = not_linked;
    bool pending = false;
  };

  struct due_entry {
    std::int64_t deadline;  // copied here so that sorting stays in this array
    std::uint64_t sequence;
    std::uint32_t index;
    std::uint32_t generation;
  };

  std::uint64_t tick_of(clock::time_point t, bool round_up) const;
  std::uint64_t next_tick() const;
  void place(std::uint32_t index);
  void link(std::uint32_t index, std::uint16_t bucket);
  void unlink(std::uint32_t index);
  void cascade_at(std::uint64_t tick);
  void take_due(std::uint16_t bucket);
  void release(std::uint32_t index);

  clock::time_point origin_;
  std::uint64_t current_ = 0;  // the next tick to process
  std::uint64_t sequence_ = 0;
  std::size_t count_ = 0;
  std::vector<node> nodes_;
  std::vector<callback> callbacks_;
  std::uint32_t free_head_ = none;
  std::array<std::uint32_t, bucket_count> heads_;
  std::array<std::uint32_t, bucket_count> tails_;
  std::array<std::uint64_t, 4> first_level_bits_{};
  std::array<std::uint64_t, levels - 1> upper_level_bits_{};
  std::vector<due_entry> due_;
};

}  // namespace tr::transport
