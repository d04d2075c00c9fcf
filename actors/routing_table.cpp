#include "actors/routing_table.hpp"

#include <algorithm>

namespace tr::actors {

std::optional<std::uint64_t> routing_table::parse_dev_eui(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    std::uint64_t nibble;
    if (c >= '0' && c <= '9')
      nibble = static_cast<std::uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      nibble = static_cast<std::uint64_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      nibble = static_cast<std::uint64_t>(c - 'A' + 10);
    else
      return std::nullopt;
    value = (value << 4) | nibble;
  }
  return value;
}

routing_table::slot routing_table::intern(std::string_view connection_id) {
  std::string key{connection_id};
  if (auto it = slots_.find(key); it != slots_.end()) return it->second;
  slot s;
  if (!free_slots_.empty()) {
    s = free_slots_.back();
    free_slots_.pop_back();
    ids_[s] = key;
  } else {
    s = static_cast<slot>(ids_.size());
    ids_.push_back(key);
  }
  slots_.emplace(std::move(key), s);
  return s;
}

std::optional<routing_table::slot> routing_table::find(std::string_view connection_id) const {
  if (auto it = slots_.find(std::string{connection_id}); it != slots_.end()) return it->second;
  return std::nullopt;
}

void routing_table::set_routes(std::uint64_t dev_eui, std::span<const std::string> connection_ids) {
  if (connection_ids.empty()) {
    routes_.erase(dev_eui);
    return;
  }
  auto& slots = routes_[dev_eui];
  slots.clear();
  for (auto& id : connection_ids) {
    auto s = intern(id);
    if (std::find(slots.begin(), slots.end(), s) == slots.end()) slots.push_back(s);
  }
}

void routing_table::remove_connection(std::string_view connection_id) {
  auto it = slots_.find(std::string{connection_id});
  if (it == slots_.end()) return;
  slot s = it->second;
  slots_.erase(it);
  for (auto r = routes_.begin(); r != routes_.end();) {
    auto& slots = r->second;
    slots.erase(std::remove(slots.begin(), slots.end(), s), slots.end());
    r = slots.empty() ? routes_.erase(r) : std::next(r);
  }
  ids_[s].clear();
  free_slots_.push_back(s);
}

std::span<const routing_table::slot> routing_table::lookup(std::uint64_t dev_eui) const {
  if (auto it = routes_.find(dev_eui); it != routes_.end()) return it->second;
  return {};
}

}  // namespace tr::actors
