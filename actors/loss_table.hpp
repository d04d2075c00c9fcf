#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tr::actors {

/// The uplinks of each device that one connection did not deliver (shed, failed, timeout,
/// paused) since the last one it delivered: what `LostUplinksAS` tells the AS.
///
/// Only devices with losses are held, so a healthy connection's table is empty. Open addressing
/// with linear probing over 64-bit device keys (a DevEUI's 16 hex digits), backward-shift
/// deletion, grown by doubling up to `max_devices` entries (16 bytes each, at most 3/4 full):
/// memory is bounded per connection whatever the number of devices. Past the bound, a loss of a
/// device that is not already in the table is not counted (lose() returns false; the caller
/// counts it): that device's next delivered uplink says fewer losses than there were. Belongs to
/// the one thread that runs its connection.
class loss_table {
 public:
  static constexpr std::size_t default_max_devices = 16384;

  explicit loss_table(std::size_t max_devices = default_max_devices);

  /// The table key of a DevEUI: its 16 hex digits as a number (any case); other text is hashed.
  static std::uint64_t key_of(std::string_view dev_eui);

  /// `count` more uplinks of `device` were not delivered (or an uplink that told them was not).
  /// False when the table is full and `device` is not in it: they are not counted.
  bool lose(std::uint64_t device, std::uint32_t count = 1);

  /// Uplinks of `device` not delivered and not yet told (0 when none).
  std::uint32_t lost(std::uint64_t device) const;

  /// What an uplink of `device` going out tells: the losses not yet told, which leave the table
  /// (another uplink of the device sent before this one's answer tells only what is lost after
  /// it). If this uplink is not delivered, its caller puts them back with lose(count + 1).
  std::uint32_t take(std::uint64_t device);

  /// Devices with losses held now.
  std::size_t size() const { return size_; }
  std::size_t max_devices() const { return max_devices_; }

 private:
  struct entry {
    std::uint64_t device = 0;
    std::uint32_t count = 0;  ///< 0: the slot is free
  };

  std::size_t home_of(std::uint64_t device) const;
  std::size_t find(std::uint64_t device) const;  ///< the slot holding `device`, or npos
  void grow();
  void erase_at(std::size_t slot);

  std::vector<entry> slots_;  ///< a power of two in size, or empty
  std::size_t size_ = 0;
  std::size_t max_devices_;
};

}  // namespace tr::actors
