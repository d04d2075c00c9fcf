#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tr::actors {

/// The supervisor's rebalancing rule, as a pure function of what it observed.
///
/// Every second the supervisor samples each shard's busy time (ns per second of its loop) and
/// each connection's uplinks per second. A move is proposed when the busiest shard is busy at
/// least `min_busy` of the time, more than `min_gap` (a fraction of a second of CPU) and more
/// than `min_ratio` times busier than the least busy one, for `sustain` consecutive samples,
/// and no move happened in the last `cooldown` samples. The connection moved is the busiest one
/// on the busiest shard whose share of that shard's work is at most half the gap, so a move
/// narrows the gap without flipping it (which would make connections ping-pong between shards).
/// While the shards are light, gather() brings the connections that carry uplinks to the shard
/// their reports arrive on.
struct rebalance_policy {
  /// Below this the busiest shard is light: one shard doing the work costs less per uplink than
  /// two sharing it, which is also why NS connections gather on the first light shard
  /// (transport::load_following).
  double min_busy = 0.5;
  double min_gap = 0.2;    ///< busy seconds per second between the two shards
  double min_ratio = 1.2;  ///< busiest ÷ least busy
  unsigned sustain = 5;    ///< consecutive samples over the thresholds
  unsigned cooldown = 10;  ///< samples after a move before the next one

  /// Gathering, the other way: while the shards together are busy less than `gather_below` of
  /// one shard's time, and at least `gather_concentration` of the reports arrive on one shard
  /// (the ingress shard, where NS connections gather: transport::load_following), connections
  /// that carried uplinks on another shard move to it, so their reports stop crossing shards.
  /// Only once those connections carry `gather_min_rate` uplinks a second together (below that
  /// the crossings cost next to nothing), the busiest first, at most `gather_per_sample` a
  /// sample, and not within `cooldown` samples of a move of sample(). The target is where the
  /// reports arrive, not a shard's busy figure, so a burst of work does not turn it around; when
  /// NS connections are spread over the shards, nothing gathers. Spreading needs the busiest
  /// shard at `min_busy`, above `gather_below`: neither undoes the other while the load holds.
  double gather_below = 0.4;
  double gather_concentration = 0.75;
  double gather_min_rate = 100;
  std::size_t gather_per_sample = 64;

  struct connection_sample {
    std::string id;
    std::size_t shard = 0;
    double rate = 0;  ///< uplinks per second
  };
  struct move {
    std::string id;
    std::size_t from = 0;
    std::size_t to = 0;
  };

  /// Takes one sample (`busy[i]` = busy seconds per second of shard i) and returns the move to
  /// make now, if any.
  std::optional<move> sample(const std::vector<double>& busy,
                             const std::vector<connection_sample>& connections);

  /// The gathering moves for the sample just taken by sample() (which proposed none), if any;
  /// `arrivals[i]` = reports that arrived on shard i since the last sample.
  std::vector<move> gather(const std::vector<double>& busy, const std::vector<double>& arrivals,
                           const std::vector<connection_sample>& connections) const;

 private:
  unsigned over_ = 0;
  unsigned since_move_ = 1'000'000;
};

}  // namespace tr::actors
