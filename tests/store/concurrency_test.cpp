#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "tests/store/store_fixture.hpp"

namespace tr::store::testing {
namespace {

using concurrency = backend_test;

TEST_P(concurrency, readers_and_writers_on_many_threads_see_only_whole_connections) {
  constexpr int writers = 3;
  constexpr int per_writer = 40;
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      for (int i = 0; i < per_writer; ++i)
        if (!db().create_connection(sample_connection(std::to_string(w * 1000 + i)))) ++failures;
    });
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&] {
      while (!done) {
        auto all = db().list_connections();
        if (!all) {
          ++failures;
          continue;
        }
        for (const auto& one : *all)
          if (one.headers.size() != 2 || one.domains.size() != 2 || one.key.size() != 32)
            ++failures;
      }
    });
  for (int w = 0; w < writers; ++w) threads[w].join();
  done = true;
  for (auto& thread : threads)
    if (thread.joinable()) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(db().list_connections()->size(), static_cast<std::size_t>(writers * per_writer));
}

TEST_P(concurrency, events_of_concurrent_writers_arrive_once_each) {
  std::mutex mutex;
  std::set<std::string> seen;
  auto subscription = db().changes().subscribe([&](const change_event& e) {
    std::lock_guard guard{mutex};
    seen.insert(e.id);
  });
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w)
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) ASSERT_TRUE(db().create_connection(sample_connection()));
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(seen.size(), 40u);
}

INSTANTIATE_STORE_BACKENDS(concurrency);

}  // namespace
}  // namespace tr::store::testing
