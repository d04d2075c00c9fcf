#include "transport/runtime/timer_wheel.hpp"

#include <algorithm>
#include <bit>

namespace tr::transport {

namespace {

constexpr std::int64_t nanoseconds_per_tick = 1'000'000;
constexpr std::uint64_t first_level_size = 256;
constexpr std::uint64_t max_distance = 0xffffffffu;  // ticks the top level can hold

int shift_of_upper_level(int level) { return 8 + 6 * level; }  // level 0 = the second level

}  // namespace

timer_wheel::timer_wheel(clock::time_point origin) : origin_(origin) {
  heads_.fill(none);
  tails_.fill(none);
}

std::uint64_t timer_wheel::tick_of(clock::time_point t, bool round_up) const {
  std::int64_t elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(t - origin_).count();
  if (elapsed <= 0) return 0;
  auto ticks = static_cast<std::uint64_t>(elapsed / nanoseconds_per_tick);
  if (round_up && elapsed % nanoseconds_per_tick != 0) ++ticks;
  return ticks;
}

timer_id timer_wheel::schedule(clock::time_point deadline, callback fn) {
  std::uint32_t index;
  if (free_head_ != none) {
    index = free_head_;
    free_head_ = nodes_[index].next;
  } else {
    index = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
    callbacks_.emplace_back();
  }
  node& entry = nodes_[index];
  callbacks_[index] = std::move(fn);
  entry.deadline = std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - origin_).count());
  entry.expiry = tick_of(deadline, true);
  entry.sequence = sequence_++;
  entry.pending = true;
  ++count_;
  place(index);
  return {(std::uint64_t{entry.generation} << 32) | (index + 1)};
}

bool timer_wheel::cancel(timer_id id) {
  if (!id) return false;
  std::uint64_t index = (id.value & 0xffffffffu) - 1;
  auto generation = static_cast<std::uint32_t>(id.value >> 32);
  if (index >= nodes_.size()) return false;
  node& entry = nodes_[index];
  if (entry.generation != generation || !entry.pending) return false;
  if (entry.bucket != not_linked) unlink(static_cast<std::uint32_t>(index));
  // Destroyed after release: the callback's destructor may itself schedule or cancel.
  callback doomed = std::move(callbacks_[index]);
  release(static_cast<std::uint32_t>(index));
  return true;
}

void timer_wheel::release(std::uint32_t index) {
  node& entry = nodes_[index];
  callbacks_[index].reset();
  entry.pending = false;
  entry.bucket = not_linked;
  ++entry.generation;
  entry.next = free_head_;
  free_head_ = index;
  --count_;
}

void timer_wheel::place(std::uint32_t index) {
  std::uint64_t expiry = std::max(nodes_[index].expiry, current_);
  std::uint64_t distance = expiry - current_;
  std::uint16_t bucket;
  if (distance < first_level_size) {
    bucket = static_cast<std::uint16_t>(expiry & 255);
  } else {
    if (distance > max_distance) expiry = current_ + max_distance;  // placed again later
    int level = 0;
    while (level < levels - 2 && distance >= (std::uint64_t{1} << shift_of_upper_level(level + 1))) {
      ++level;
    }
    auto slot = (expiry >> shift_of_upper_level(level)) & 63;
    bucket = static_cast<std::uint16_t>(first_level_size + 64 * level + slot);
  }
  link(index, bucket);
}

void timer_wheel::link(std::uint32_t index, std::uint16_t bucket) {
  node& entry = nodes_[index];
  entry.bucket = bucket;
  entry.next = none;
  entry.prev = tails_[bucket];
  if (entry.prev == none) {
    heads_[bucket] = index;
  } else {
    nodes_[entry.prev].next = index;
  }
  tails_[bucket] = index;
  if (bucket < first_level_size) {
    first_level_bits_[bucket >> 6] |= std::uint64_t{1} << (bucket & 63);
  } else {
    upper_level_bits_[(bucket - first_level_size) >> 6] |= std::uint64_t{1} << (bucket & 63);
  }
}

void timer_wheel::unlink(std::uint32_t index) {
  node& entry = nodes_[index];
  std::uint16_t bucket = entry.bucket;
  if (entry.prev == none) {
    heads_[bucket] = entry.next;
  } else {
    nodes_[entry.prev].next = entry.next;
  }
  if (entry.next == none) {
    tails_[bucket] = entry.prev;
  } else {
    nodes_[entry.next].prev = entry.prev;
  }
  entry.prev = entry.next = none;
  entry.bucket = not_linked;
  if (heads_[bucket] != none) return;
  if (bucket < first_level_size) {
    first_level_bits_[bucket >> 6] &= ~(std::uint64_t{1} << (bucket & 63));
  } else {
    upper_level_bits_[(bucket - first_level_size) >> 6] &= ~(std::uint64_t{1} << (bucket & 63));
  }
}

std::uint64_t timer_wheel::next_tick() const {
  if (count_ == 0) return never;
  std::uint64_t best = never;
  // First level: the first non-empty slot from the current one on, wrapping around; a slot
  // behind the current one holds timers of the next turn.
  std::uint64_t position = current_ & 255;
  for (std::uint64_t step = 0; step < 5; ++step) {
    std::uint64_t word = ((position >> 6) + step) & 3;
    std::uint64_t bits = first_level_bits_[word];
    if (step == 0) bits &= ~std::uint64_t{0} << (position & 63);
    if (step == 4) bits &= (std::uint64_t{1} << (position & 63)) - 1;
    if (bits != 0) {
      std::uint64_t slot = (word << 6) + static_cast<std::uint64_t>(std::countr_zero(bits));
      best = current_ + ((slot - position) & 255);
      break;
    }
  }
  // Upper levels: the tick at which the first non-empty slot cascades. On a level boundary the
  // current slot is still to cascade; past it, the current slot belongs to the next turn.
  for (int level = 0; level < levels - 1; ++level) {
    std::uint64_t bits = upper_level_bits_[level];
    if (bits == 0) continue;
    int shift = shift_of_upper_level(level);
    std::uint64_t base = current_ >> shift;
    bool on_boundary = (current_ & ((std::uint64_t{1} << shift) - 1)) == 0;
    std::uint64_t start = on_boundary ? (base & 63) : ((base + 1) & 63);
    auto offset = static_cast<std::uint64_t>(std::countr_zero(std::rotr(bits, static_cast<int>(start))));
    best = std::min(best, (base + (on_boundary ? 0 : 1) + offset) << shift);
  }
  return best;
}

void timer_wheel::cascade_at(std::uint64_t tick) {
  for (int level = 0; level < levels - 1; ++level) {
    auto slot = (tick >> shift_of_upper_level(level)) & 63;
    auto bucket = static_cast<std::uint16_t>(first_level_size + 64 * level + slot);
    std::uint32_t index = heads_[bucket];
    heads_[bucket] = tails_[bucket] = none;
    upper_level_bits_[level] &= ~(std::uint64_t{1} << slot);
    while (index != none) {
      std::uint32_t next = nodes_[index].next;
      place(index);
      index = next;
    }
    if (slot != 0) break;  // the next level turns only when this one wrapped
  }
}

void timer_wheel::take_due(std::uint16_t bucket) {
  for (std::uint32_t index = heads_[bucket]; index != none; index = nodes_[index].next) {
    node& entry = nodes_[index];
    entry.bucket = not_linked;
    due_.push_back({entry.deadline, entry.sequence, index, entry.generation});
  }
  heads_[bucket] = tails_[bucket] = none;
  first_level_bits_[bucket >> 6] &= ~(std::uint64_t{1} << (bucket & 63));
  if (due_.size() > 1) {
    std::sort(due_.begin(), due_.end(), [](const due_entry& a, const due_entry& b) {
      return a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence;
    });
  }
}

std::size_t timer_wheel::advance(clock::time_point now) {
  std::uint64_t target = tick_of(now, false);
  std::size_t ran = 0;
  for (;;) {
    std::uint64_t tick = next_tick();
    if (tick == never || tick > target) break;
    current_ = tick;
    if ((tick & 255) == 0) cascade_at(tick);
    take_due(static_cast<std::uint16_t>(tick & 255));
    current_ = tick + 1;
    for (std::size_t i = 0; i < due_.size(); ++i) {
      due_entry entry = due_[i];
      node& due = nodes_[entry.index];
      if (due.generation != entry.generation || !due.pending) continue;  // cancelled meanwhile
      callback fn = std::move(callbacks_[entry.index]);
      release(entry.index);
      try {
        fn();
      } catch (...) {
        ++failures_;  // the shard reports it (shard_load::exceptions_total)
      }
      ++ran;
    }
    due_.clear();
  }
  if (current_ <= target) current_ = target + 1;
  return ran;
}

void timer_wheel::clear() {
  for (std::uint32_t index = 0; index < nodes_.size(); ++index) {
    if (!nodes_[index].pending) continue;
    if (nodes_[index].bucket != not_linked) unlink(index);
    callback doomed = std::move(callbacks_[index]);
    release(index);
  }
}

timer_wheel::clock::time_point timer_wheel::next_wake() const {
  std::uint64_t tick = next_tick();
  if (tick == never) return clock::time_point::max();
  return origin_ + std::chrono::milliseconds(tick);
}

}  // namespace tr::transport
