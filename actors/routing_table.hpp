#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
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
  /// Adds connections to the routes of a device (those it has already count once).
  void add_routes(std::uint64_t dev_eui, std::span<const std::string> connection_ids);
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
  /// A device's slots: up to three inline (the common case, no allocation), more on the heap.
  class slot_list {
   public:
    std::span<const slot> view() const {
      return {size_ <= inline_size ? inline_.data() : spilled_.get(), size_};
    }
    bool contains(slot s) const;
    void push_back(slot s);
    void erase(slot s);
    bool empty() const { return size_ == 0; }

   private:
    static constexpr std::uint32_t inline_size = 3;
    std::uint32_t size_ = 0;
    std::array<slot, inline_size> inline_{};
    std::unique_ptr<slot[]> spilled_;  ///< when size_ > inline_size: capacity size_ rounded up
  };
  struct id_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };

  std::unordered_map<std::uint64_t, slot_list> routes_;
  std::unordered_map<std::string, slot, id_hash, std::equal_to<>> slots_;
  std::vector<std::string> ids_;
  std::vector<slot> free_slots_;
};

}  // namespace tr::actors
