#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tr::transport {

/// Where the connections of a listener that follows the load go, and when a busy shard hands
/// some of them to a light one: a pure rule, the runtime supplies the figures. This comment is
/// the reference; docs/architecture.md ("Listeners and placement") tells it for readers.
///
/// Each shard measures the fraction of the last `window` it spent working (not waiting). A new
/// connection goes to the first shard, by index, that is light (busy less than `light`) and has
/// not handed connections off within `cool_down`, so at a low rate the connections, and the loop
/// turns they cost, gather on one shard instead of waking every shard for a share of the same
/// input. When no shard qualifies, the runtime spreads them by the number of connections.
///
/// A shard busier than `heavy` while a shard that would take new connections is light hands off
/// about half the difference between the two: connections taken by how many bytes they sent
/// during the window, the busiest first, skipping any that would take the total past that
/// share (so the excess is not just moved to the other side), each asked to end gracefully
/// (HTTP/2 GOAWAY, as at a connection's maximum age). Their clients reconnect, and the new
/// connections are placed on the light shard. One hand-off per runtime per `settle`.
struct load_following {
  double light = 0.5;
  double heavy = 0.75;
  std::chrono::milliseconds window{200};
  std::chrono::milliseconds settle{1000};
  std::chrono::milliseconds cool_down{5000};

  /// The first shard of `busy` (fractions of the window, by shard index) under `light`;
  /// none: nullopt. A shard that may not take new connections is given as 1.
  std::optional<std::size_t> first_light(std::span<const double> busy) const;

  /// The fraction of a shard's work to hand off when it is `self` busy and the shard that
  /// would take the connections `target`: 0 unless self is heavy and the target light.
  double share_to_hand_off(double self, double target) const;

  struct candidate {
    std::size_t id = 0;       ///< the caller's name for the connection
    std::uint64_t bytes = 0;  ///< what it sent during the window
  };
  /// Which of `candidates` to hand off so that about `share` of `total_bytes` (everything the
  /// shard read during the window, candidates or not) leaves: the busiest first, skipping any
  /// that would take the total past that share; none with zero bytes.
  static std::vector<std::size_t> pick(std::vector<candidate> candidates, std::uint64_t total_bytes,
                                       double share);
};

}  // namespace tr::transport
