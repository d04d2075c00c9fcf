#include "actors/routing_table.hpp"

#include <algorithm>
#include <bit>

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

bool routing_table::slot_list::contains(slot s) const {
  auto all = view();
  return std::find(all.begin(), all.end(), s) != all.end();
}

void routing_table::slot_list::push_back(slot s) {
  if (size_ < inline_size) {
    inline_[size_++] = s;
    return;
  }
  // Spilled capacity is the size rounded up to a power of two (at least 8).
  auto capacity = [](std::uint32_t n) {
    return n <= inline_size ? n : std::max<std::uint32_t>(8, std::bit_ceil(n));
  };
  if (size_ == inline_size || capacity(size_ + 1) != capacity(size_)) {
    auto grown = std::make_unique<slot[]>(capacity(size_ + 1));
    std::copy_n(view().data(), size_, grown.get());
    spilled_ = std::move(grown);
  }
  spilled_[size_++] = s;
}

void routing_table::slot_list::erase(slot s) {
  slot* data = size_ <= inline_size ? inline_.data() : spilled_.get();
  auto end = std::remove(data, data + size_, s);
  auto kept = static_cast<std::uint32_t>(end - data);
  if (size_ > inline_size && kept <= inline_size) {
    std::copy_n(data, kept, inline_.data());
    spilled_.reset();
  }
  size_ = kept;
}

routing_table::slot routing_table::intern(std::string_view connection_id) {
  if (auto it = slots_.find(connection_id); it != slots_.end()) return it->second;
  std::string key{connection_id};
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
  if (auto it = slots_.find(connection_id); it != slots_.end()) return it->second;
  return std::nullopt;
}

void routing_table::set_routes(std::uint64_t dev_eui, std::span<const std::string> connection_ids) {
  if (connection_ids.empty()) {
    routes_.erase(dev_eui);
    return;
  }
  auto& slots = routes_[dev_eui];
  slots = {};
  for (auto& id : connection_ids) {
    auto s = intern(id);
    if (!slots.contains(s)) slots.push_back(s);
  }
}

void routing_table::add_routes(std::uint64_t dev_eui, std::span<const std::string> connection_ids) {
  if (connection_ids.empty()) return;
  auto& slots = routes_[dev_eui];
  for (auto& id : connection_ids) {
    auto s = intern(id);
    if (!slots.contains(s)) slots.push_back(s);
  }
}

void routing_table::remove_connection(std::string_view connection_id) {
  auto it = slots_.find(connection_id);
  if (it == slots_.end()) return;
  slot s = it->second;
  slots_.erase(it);
  for (auto r = routes_.begin(); r != routes_.end();) {
    auto& slots = r->second;
    slots.erase(s);
    r = slots.empty() ? routes_.erase(r) : std::next(r);
  }
  ids_[s].clear();
  free_slots_.push_back(s);
}

std::span<const routing_table::slot> routing_table::lookup(std::uint64_t dev_eui) const {
  if (auto it = routes_.find(dev_eui); it != routes_.end()) return it->second.view();
  return {};
}

}  // namespace tr::actors
