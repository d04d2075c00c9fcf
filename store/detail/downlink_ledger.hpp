#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/cluster.hpp"

namespace tr::store::detail {

/// The cluster-wide downlink checks of one replica, run off the threads that ask (the I/O
/// shards): a bounded queue served by a small pool of threads, each with its own PostgreSQL
/// session, opened on its first job.
///
/// Bounds: at most `queue_capacity` jobs wait (beyond that a check is answered `busy` at once);
/// a job that waited longer than `budget` is answered `busy` without touching the store; a
/// statement runs at most `budget` (the session's `statement_timeout`: a check stuck behind a
/// lock is cancelled, rolled back, and answered `busy`); a server that answers nothing at all is
/// given up a second later (the session's pg_limits), or at once when the listener finds it
/// gone: `unavailable`. While the replica's listener knows the store is down, checks are
/// answered `unavailable` at once. Nothing is spent unless the answer is `accepted`.
class downlink_ledger {
 public:
  struct settings {
    std::size_t sessions = 4;           ///< worker threads, one store session each
    std::size_t queue_capacity = 1024;  ///< jobs waiting beyond the ones running
    std::chrono::milliseconds budget{2000};
  };

  /// `store_up` is the listener's view of the store; it must outlive the ledger.
  downlink_ledger(std::string url, settings options, const std::atomic<bool>& store_up);
  ~downlink_ledger();  ///< answers what still waits with `unavailable`, joins the workers

  downlink_ledger(const downlink_ledger&) = delete;
  downlink_ledger& operator=(const downlink_ledger&) = delete;

  void spend(downlink_check check, downlink_answer answer);
  void release(std::string connection_id, std::string token);

  /// Jobs refused because the queue was full or they waited too long (for tests and metrics).
  std::uint64_t refused() const noexcept { return refused_.load(std::memory_order_relaxed); }

 private:
  using clock = std::chrono::steady_clock;
  struct job {
    downlink_check check;
    downlink_answer answer;  ///< empty: a release
    clock::time_point queued_at;
  };

  bool enqueue(job&& next);
  void work();

  std::string url_;
  settings settings_;
  const std::atomic<bool>& store_up_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> queue_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> refused_{0};
  std::vector<std::thread> workers_;
};

}  // namespace tr::store::detail
