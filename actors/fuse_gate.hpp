#pragma once

#include <cstdint>

#include "actors/fuse.hpp"

namespace tr::actors {

/// The shed-or-send check of one connection, on the shard that runs it: a comparison against
/// the last admission snapshot its fuse actor posted back (state, limit, end of the open
/// period). The learning happens in the fuse actor; this only applies what it decided.
///
/// While open, once the open period is over, exactly one uplink is admitted as the probe; the
/// gate admits no other until a newer snapshot comes back (the probe's outcome moved the fuse
/// to throttling or opened a new period) or the probe was not sent after all. Owned by one
/// shard thread; no lock.
class fuse_gate {
 public:
  using clock = fuse::clock;

  explicit fuse_gate(std::uint32_t max_limit) { snapshot_.limit = max_limit; }

  /// May one more uplink be sent now, given `in_flight` uplinks already awaiting an answer?
  fuse::admission admit(clock::time_point now, std::uint32_t in_flight) {
    if (snapshot_.current == fuse::state::open) {
      if (probe_in_flight_ || now < snapshot_.open_until) return fuse::admission::shed;
      probe_in_flight_ = true;
      return fuse::admission::probe;
    }
    return in_flight < snapshot_.limit ? fuse::admission::send : fuse::admission::shed;
  }

  /// The probe admitted by admit() was not sent after all (no session could take it).
  void release_probe() { probe_in_flight_ = false; }

  /// Takes a snapshot from the fuse; an older one than the current (by version) is ignored.
  /// Returns true when it was taken.
  bool apply(const fuse::snapshot& s) {
    if (snapshot_.version != 0 && s.version <= snapshot_.version) return false;
    if (s.current != fuse::state::open || s.epoch != snapshot_.epoch) probe_in_flight_ = false;
    snapshot_ = s;
    return true;
  }

  fuse::state current_state() const { return snapshot_.current; }
  std::uint32_t limit() const { return snapshot_.limit; }
  /// The open period of the current snapshot (probes carry it so the fuse knows their period).
  std::uint32_t epoch() const { return snapshot_.epoch; }
  /// Why the fuse's state last changed (a string literal).
  const char* reason() const { return snapshot_.reason; }
  const fuse::snapshot& current() const { return snapshot_; }

 private:
  fuse::snapshot snapshot_;
  bool probe_in_flight_ = false;
};

}  // namespace tr::actors
