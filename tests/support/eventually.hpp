#pragma once

#include <chrono>
#include <thread>

namespace tr::test {

/// Polls `done` every 10 ms until it holds or `limit` has passed; its last answer. For tests
/// that wait on another thread or process (a shard, a router, a database).
template <class Condition>
bool eventually(Condition done, std::chrono::milliseconds limit = std::chrono::seconds{10}) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return done();
}

}  // namespace tr::test
