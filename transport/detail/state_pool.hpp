#pragma once

#include <memory>
#include <vector>

namespace tr::transport::detail {

/// A state to reuse from `free` (the last one freed, whose memory is warmest), or a new one that
/// `pool` owns. The caller resets its fields; `free` and `pool` belong to one engine (one thread).
template <class State>
State* take_state(std::vector<std::unique_ptr<State>>& pool, std::vector<State*>& free) {
  if (free.empty()) {
    pool.push_back(std::make_unique<State>());
    return pool.back().get();
  }
  State* state = free.back();
  free.pop_back();
  return state;
}

}  // namespace tr::transport::detail
