#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "actors/fuse.hpp"

namespace tr::transport {
class shard;
}

namespace tr::actors {

class connection_owner;

/// One thing a connection owner tells its fuse, in the order it happened on the shard.
struct fuse_event {
  enum class kind : std::uint8_t {
    answer,      ///< a sent uplink ended (`signal`); `probe` when it was the open fuse's probe
    unanswered,  ///< an uplink sent at `sent` is still unanswered at `at` (the latency target)
    timed_out,   ///< an uplink sent at `sent` reached the request timeout at `at`
  };
  kind what = kind::answer;
  fuse::signal signal = fuse::signal::good;
  bool probe = false;
  std::uint32_t epoch = 0;  ///< the open period a probe was admitted in
  fuse::clock::time_point sent{};
  fuse::clock::time_point at{};
  std::uint32_t in_flight = 0;  ///< an answer: uplinks in flight when it was sent (0: unknown)
};

/// Runs a batch of events through `learner` in order, as one fuse learns.
void learn(fuse& learner, const std::vector<fuse_event>& batch);

/// The tie between one connection and its fuse: the connection's owners (one at a time, and a
/// retiring one after a move or restart) report outcome batches through it, and the fuse posts
/// admission snapshots back through it to the owner bound now. One per connection, shared by
/// its owners and the fuse; it outlives owner moves and restarts, and a restart of the fuse
/// (fuse_actor.hpp) keeps it too.
class fuse_link {
 public:
  fuse_link(fuse::params params, std::uint64_t seed) : seed_(seed), params_(params) {}
  virtual ~fuse_link() = default;
  fuse_link(const fuse_link&) = delete;
  fuse_link& operator=(const fuse_link&) = delete;

  /// Hands a batch of events to the fuse (any owner's shard thread).
  virtual void report(std::vector<fuse_event>&& batch) = 0;
  /// The fuse stops for good (the connection was removed; control thread).
  virtual void close() {}

 protected:
  /// Hands changed tunables to the fuse (any thread).
  virtual void reconfigure(const fuse::params& p) = 0;

 public:

  /// Admission snapshots go to `owner` from now on, starting with the latest one (control
  /// thread, or any).
  void bind(const std::shared_ptr<connection_owner>& owner);
  /// Posts snapshot `s` to the bound owner's shard, stamped with the next version (the fuse's
  /// thread).
  void deliver(fuse::snapshot s);
  /// The latest snapshot delivered (version 0: none yet).
  fuse::snapshot latest() const;

  /// The fuse's tunables now (a restarted fuse starts from them).
  fuse::params params() const;
  /// Sets the in-flight bound while closed to `max_limit` (at least min_limit): the
  /// connection's own fuse ceiling, or in cluster mode this replica's share of
  /// fuse.max_concurrency. Nothing happens when it is unchanged (any thread).
  void set_ceiling(std::uint32_t max_limit);
  /// The seed of the fuse's jitter (per connection, so fuses do not probe in step).
  std::uint64_t seed() const { return seed_; }

 private:
  void post_to(const std::shared_ptr<connection_owner>& owner, const fuse::snapshot& s);

  const std::uint64_t seed_;
  mutable std::mutex mutex_;
  fuse::params params_;
  std::weak_ptr<connection_owner> owner_;
  fuse::snapshot latest_;
};

/// A fuse_link whose fuse learns on the reporting thread itself, as each batch comes: for a
/// data plane run without an actor system (tests, tools). The router's own connections use
/// the fuse actor (fuse_actor.hpp).
class local_fuse_link final : public fuse_link {
 public:
  local_fuse_link(fuse::params params, std::uint64_t seed)
      : fuse_link(params, seed), learner_(params, seed) {}
  void report(std::vector<fuse_event>&& batch) override;

 private:
  void reconfigure(const fuse::params& p) override;

  std::mutex learning_;
  fuse learner_;
  fuse::snapshot sent_{};
};

}  // namespace tr::actors
