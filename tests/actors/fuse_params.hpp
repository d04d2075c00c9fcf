#pragma once

// The fuse tunables of the fuse tests: small numbers on a simulated clock, no jitter, so a
// test can count its way to each transition.
#include <chrono>

#include "actors/fuse.hpp"

namespace tr::actors::fuse_tests {

inline fuse::params small_params() {
  using namespace std::chrono_literals;
  fuse::params p;
  p.failure_threshold = 3;
  p.backoff_initial = 1000ms;
  p.backoff_max = 8000ms;
  p.jitter = 0.0;
  p.min_limit = 1;
  p.max_limit = 16;
  p.latency_target = 100ms;
  p.decrease_interval = 10ms;
  return p;
}

}  // namespace tr::actors::fuse_tests
