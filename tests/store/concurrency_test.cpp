#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <sqlite3.h>

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

/// SQLite locked by another process past the busy timeout: the write is refused as the store
/// being unavailable (the API's 503), not as a broken store (500), and works once it is free.
TEST_F(store_test, a_sqlite_file_locked_by_another_process_makes_writes_unavailable_not_failed) {
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto refused = db().create_connection(sample_connection());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error_value().code, error_code::unavailable) << refused.error_value().message;
  EXPECT_NE(refused.error_value().message.find("locked"), std::string::npos)
      << refused.error_value().message;
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_TRUE(db().create_connection(sample_connection()));
}

}  // namespace
}  // namespace tr::store::testing
