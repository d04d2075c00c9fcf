#pragma once

#include <chrono>

#include "transport/runtime/timer_wheel.hpp"
#include "transport/runtime/unique_function.hpp"

namespace tr::transport {

/// The clock and the timers of the loop an object runs on: its shard (shard.hpp), or in a unit
/// test a simulated clock the test advances. Objects that take their time through this rather
/// than from the shard can be driven deterministically.
class loop_clock {
 public:
  using clock = std::chrono::steady_clock;

  /// The time at the start of this loop turn.
  virtual clock::time_point now() const = 0;

  /// The time now, to the clock's precision (for latencies, where the turn's time is too coarse).
  virtual clock::time_point precise_now() const { return clock::now(); }

  /// Runs `fn` on this loop at `deadline` (never early).
  virtual timer_id schedule(clock::time_point deadline, unique_function<void()> fn) = 0;

  /// Runs `fn` on this loop after `delay` from now().
  timer_id schedule(clock::duration delay, unique_function<void()> fn) {
    return schedule(now() + delay, std::move(fn));
  }

  /// Cancels a timer; false when it already ran or was cancelled.
  virtual bool cancel(timer_id id) = 0;

 protected:
  ~loop_clock() = default;
};

}  // namespace tr::transport
