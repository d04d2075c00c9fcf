#include "actors/replay_cache.hpp"

#include <algorithm>
#include <array>

namespace tr::actors {

namespace {

/// The value of each byte as a hex digit; any other byte keeps its own low four bits.
constexpr std::array<std::uint8_t, 256> nibble_table = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : c;
    table[c] = static_cast<std::uint8_t>(v & 0xf);
  }
  return table;
}();

}  // namespace

replay_cache::key replay_cache::key_of(std::string_view token) {
  // 128 bits of the SHA-256 token are plenty to tell accepted tokens apart.
  key k{0, 0};
  for (std::size_t i = 0; i < 32 && i < token.size(); ++i)
    k[i / 16] = (k[i / 16] << 4) | nibble_table[static_cast<unsigned char>(token[i])];
  return k;
}

void replay_cache::prune(clock::time_point now) {
  while (!by_expiry_.empty() && by_expiry_.top().expiry <= now) {
    auto it = seen_.find(by_expiry_.top().token);
    if (it != seen_.end() && it->second.expiry <= now) seen_.erase(it);
    by_expiry_.pop();
  }
}

replay_cache::verdict replay_cache::remember(const key& k, clock::time_point expiry,
                                             clock::time_point now) {
  std::lock_guard lock{mutex_};
  prune(now);
  if (auto it = seen_.find(k); it != seen_.end()) {
    if (!it->second.released) return verdict::replay;
    it->second.released = false;  // taken again: its expiry entry is still queued
    if (expiry > it->second.expiry) {
      it->second.expiry = expiry;
      by_expiry_.push(entry{expiry, k});
    }
    return verdict::fresh;
  }
  if (seen_.size() >= capacity_) return verdict::full;
  seen_.emplace(k, state{expiry, false});
  by_expiry_.push(entry{expiry, k});
  return verdict::fresh;
}

void replay_cache::forget(std::string_view token) {
  auto k = key_of(token);
  std::lock_guard lock{mutex_};
  if (auto it = seen_.find(k); it != seen_.end()) it->second.released = true;
}

bool replay_cache::seen(const key& k, clock::time_point now) {
  std::lock_guard lock{mutex_};
  prune(now);
  auto it = seen_.find(k);
  return it != seen_.end() && !it->second.released;
}

std::size_t replay_cache::size() const {
  std::lock_guard lock{mutex_};
  return seen_.size();
}

bool token_bucket::try_take(clock::time_point now) {
  if (now > last_) {
    std::chrono::duration<double> elapsed = now - last_;
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
    last_ = now;
  }
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

}  // namespace tr::actors
