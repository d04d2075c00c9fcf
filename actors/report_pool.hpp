#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "codecs/report.hpp"

namespace tr::actors {

/// A parsed report as it crosses shards: immutable, shared, freed (or taken back by the
/// ingress that parsed it) when its last holder lets go.
using shared_report = std::shared_ptr<const codecs::report>;

/// The reports one ingress parses into, recycled so that steady state allocates nothing.
///
/// The ingress parses each report once into current(); connections on its own shard read it
/// during dispatch, connections on other shards get a copy of the pointer. Before the next
/// parse, writable() checks whether anyone else still holds the current report: if not (every
/// target was local, or the others are done) it is parsed into again; if so, it is lent out
/// (kept in a ring, oldest first) and the oldest lent report that came back takes its place, or
/// a new one when none has. A report comes back once the other shards have let go of it, which
/// they do within a loop turn of receiving it; the ring holds at most `max_lent` (the oldest is
/// forgotten beyond that and simply freed by its last holder), so a stuck holder costs an
/// allocation per report, never unbounded memory.
///
/// One instance per ingress (one shard's thread); the reports it hands out may be read and
/// released on any thread.
class report_pool {
 public:
  explicit report_pool(std::size_t max_lent = 128) : ring_(max_lent) {}

  /// A report no one else holds, to parse into; it becomes current().
  codecs::report& writable() {
    if (!current_ || current_.use_count() != 1) {
      if (current_) lend(std::move(current_));
      current_ = take_back();
    }
    // A holder's last release (acq_rel) happens before this: its reads of the report are done.
    std::atomic_thread_fence(std::memory_order_acquire);
    // The report was made non-const (take_back); only the pool writes it, only while unshared.
    return const_cast<codecs::report&>(*current_);
  }

  /// The report last parsed into.
  const shared_report& current() const { return current_; }

  /// Reports made since the start (for tests and measurements).
  std::size_t made() const { return made_; }
  /// Lent reports held in the ring.
  std::size_t lent() const { return count_; }

 private:
  void lend(shared_report report) {
    if (ring_.empty()) return;
    if (count_ == ring_.size()) {  // full: forget the oldest
      ring_[head_].reset();
      head_ = (head_ + 1) % ring_.size();
      --count_;
    }
    ring_[(head_ + count_) % ring_.size()] = std::move(report);
    ++count_;
  }

  shared_report take_back() {
    if (count_ != 0 && ring_[head_].use_count() == 1) {
      auto back = std::move(ring_[head_]);
      head_ = (head_ + 1) % ring_.size();
      --count_;
      return back;
    }
    ++made_;
    return std::make_shared<codecs::report>();
  }

  shared_report current_;
  std::vector<shared_report> ring_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t made_ = 0;
};

}  // namespace tr::actors
