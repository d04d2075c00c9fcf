#include "actors/loss_table.hpp"

#include <algorithm>
#include <bit>
#include <limits>

namespace tr::actors {

namespace {

constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();
constexpr std::size_t first_slots = 16;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

loss_table::loss_table(std::size_t max_devices) : max_devices_(std::max<std::size_t>(1, max_devices)) {}

std::uint64_t loss_table::key_of(std::string_view dev_eui) {
  std::uint64_t value = 0;
  bool hex = dev_eui.size() == 16;
  for (std::size_t i = 0; hex && i < dev_eui.size(); ++i) {
    int digit = hex_value(dev_eui[i]);
    hex = digit >= 0;
    value = value << 4 | static_cast<std::uint64_t>(digit & 0xf);
  }
  if (hex) return value;
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a
  for (char c : dev_eui) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return hash;
}

std::size_t loss_table::home_of(std::uint64_t device) const {
  return static_cast<std::size_t>((device * 0x9e3779b97f4a7c15ULL) >> 32) & (slots_.size() - 1);
}

std::size_t loss_table::find(std::uint64_t device) const {
  if (slots_.empty()) return npos;
  for (std::size_t i = home_of(device);; i = (i + 1) & (slots_.size() - 1)) {
    if (slots_[i].count == 0) return npos;
    if (slots_[i].device == device) return i;
  }
}

bool loss_table::lose(std::uint64_t device, std::uint32_t count) {
  if (count == 0) return true;
  if (auto at = find(device); at != npos) {
    auto room = std::numeric_limits<std::uint32_t>::max() - slots_[at].count;
    slots_[at].count += std::min(count, room);
    return true;
  }
  if (size_ >= max_devices_) return false;
  if ((size_ + 1) * 4 > slots_.size() * 3) grow();
  std::size_t i = home_of(device);
  while (slots_[i].count != 0) i = (i + 1) & (slots_.size() - 1);
  slots_[i] = {device, count};
  ++size_;
  return true;
}

std::uint32_t loss_table::lost(std::uint64_t device) const {
  auto at = find(device);
  return at == npos ? 0 : slots_[at].count;
}

std::uint32_t loss_table::take(std::uint64_t device) {
  auto at = find(device);
  if (at == npos) return 0;
  auto count = slots_[at].count;
  erase_at(at);
  return count;
}

void loss_table::grow() {
  std::vector<entry> old = std::move(slots_);
  slots_.assign(old.empty() ? first_slots : old.size() * 2, entry{});
  for (auto& e : old) {
    if (e.count == 0) continue;
    std::size_t i = home_of(e.device);
    while (slots_[i].count != 0) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = e;
  }
}

void loss_table::erase_at(std::size_t slot) {
  // Backward shift: later entries of the same probe run move up, so no tombstones are needed.
  std::size_t mask = slots_.size() - 1;
  std::size_t hole = slot;
  for (std::size_t i = (hole + 1) & mask; slots_[i].count != 0; i = (i + 1) & mask) {
    std::size_t home = home_of(slots_[i].device);
    // Move the entry into the hole unless its home lies cyclically in (hole, i].
    bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
    if (stays) continue;
    slots_[hole] = slots_[i];
    hole = i;
  }
  slots_[hole] = entry{};
  --size_;
}

}  // namespace tr::actors
