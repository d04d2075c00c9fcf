#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tr::actors {

/// DevEUI → the connections its reports go to. One replica per shard, touched only by that
/// shard's thread: the control plane posts every change to every shard, so lookups take no lock
/// and no snapshot is ever copied whole. Connections are interned as small slot numbers, which
/// the shard maps to its connection owners; a retired connection's slot is reused.
class routing_table {
 public:
  using slot = std::uint32_t;

  /// A DevEUI as a number: 16 hex digits, any case; nullopt otherwise.
  static std::optional<std::uint64_t> parse_dev_eui(std::string_view text);

  /// The slot of connection `id`, interning it on first use.
  slot intern(std::string_view connection_id);
  /// The slot of connection `id` if it is known.
  std::optional<slot> find(std::string_view connection_id) const;
  /// The connection id of a slot.
  const std::string& id_of(slot s) const { return ids_[s]; }
  /// Number of slots ever handed out (valid slots are below it).
  std::size_t slot_count() const { return ids_.size(); }

  /// Replaces the routes of a device (an empty list removes it).
  void set_routes(std::uint64_t dev_eui, std::span<const std::string> connection_ids);
  /// Removes a device.
  void remove_device(std::uint64_t dev_eui) { routes_.erase(dev_eui); }
  /// Removes every device's route (connections keep their slots).
  void clear_devices() { routes_.clear(); }
  /// Removes a connection from every route and frees its slot.
  void remove_connection(std::string_view connection_id);

  /// The slots a device routes to; empty when it has no route.
  std::span<const slot> lookup(std::uint64_t dev_eui) const;
  std::size_t device_count() const { return routes_.size(); }

 private:
  std::unordered_map<std::uint64_t, std::vector<slot>> routes_;
  std::unordered_map<std::string, slot> slots_;
  std::vector<std::string> ids_;
  std::vector<slot> free_slots_;
};

}  // namespace tr::actors
