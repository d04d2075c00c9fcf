#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tr::transport {

/// Where accepted connections go while the load is light, and when a busy shard hands some of
/// them to a light one: a pure rule, the runtime supplies the figures.
///
/// Each shard measures the fraction of the last `window` it spent working (not waiting). A new
/// connection goes to the first shard, by index, that is light (busy less than `light`), so at
/// a low rate the connections, and the loop turns they cost, gather on one shard instead of
/// waking every shard for a share of the same input. When no shard is light, the runtime
/// spreads them by the number of connections as before.
///
/// A shard busier than `heavy` while another is light asks some of its connections to end
/// gracefully (HTTP/2 GOAWAY, as at a connection's maximum age): their clients reconnect, and
/// the new connections are placed on the light shard. It hands off about half the difference
/// between the two shards — connections taken by how much they sent during the window, the
/// busiest first, never one that alone carries more than that half (it would only move the
/// excess to the other side) — then waits `settle` before it looks again.
struct load_following {
  double light = 0.5;
  double heavy = 0.75;
  std::chrono::milliseconds window{200};
  std::chrono::milliseconds settle{1000};

  /// The first light shard of `busy` (fractions of the window, by shard index); none: nullopt.
  std::optional<std::size_t> first_light(std::span<const double> busy) const;

  /// The fraction of a shard's work to hand off when it is `self` busy and the lightest other
  /// shard `lightest_other`: 0 unless self is heavy and the other light.
  double share_to_hand_off(double self, double lightest_other) const;

  struct candidate {
    std::size_t id = 0;       ///< the caller's name for the connection
    std::uint64_t bytes = 0;  ///< what it sent during the window
  };
  /// Which of `candidates` to hand off so that about `share` of `total_bytes` (everything the
  /// shard read during the window, handed-off candidates or not) leaves: the busiest first,
  /// skipping any whose bytes alone exceed that; none with zero bytes.
  static std::vector<std::size_t> pick(std::vector<candidate> candidates, std::uint64_t total_bytes,
                                       double share);
};

}  // namespace tr::transport
