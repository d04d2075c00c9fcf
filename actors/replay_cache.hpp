#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <queue>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tr::actors {

/// Remembers the downlink tokens accepted recently, so that a replay is refused.
///
/// A token needs remembering only while its request could still pass the time check: until the
/// request's own `Time` plus the connection's max time deviation. Each entry carries that expiry
/// and is pruned once it has passed. Memory is bounded by `capacity` entries (about 60 bytes
/// each); when the cache is full of unexpired tokens it refuses new ones (`full`) instead of
/// forgetting one that could then be replayed. Thread-safe (one mutex; downlinks are rare next to
/// uplinks and rate-limited per connection).
class replay_cache {
 public:
  using clock = std::chrono::system_clock;

  enum class verdict : std::uint8_t { fresh, replay, full };

  /// A token as the cache keeps it: its first 128 bits (its first 32 hex digits).
  using key = std::array<std::uint64_t, 2>;
  static key key_of(std::string_view token);

  explicit replay_cache(std::size_t capacity = 1'000'000) : capacity_(capacity) {}

  /// Records `token` (64 hex digits) as accepted until `expiry`; `replay` if it already is.
  verdict remember(std::string_view token, clock::time_point expiry, clock::time_point now) {
    return remember(key_of(token), expiry, now);
  }
  verdict remember(const key& token, clock::time_point expiry, clock::time_point now);

  /// Forgets `token`: its downlink was accepted here but not delivered (the NS refused it or was
  /// not reached), so the AS may send it again. The entry stays, released, until it expires, so
  /// the capacity bound still holds.
  void forget(std::string_view token);

  /// True when `token` was accepted and has not expired (nothing is recorded).
  bool seen(std::string_view token, clock::time_point now) { return seen(key_of(token), now); }
  bool seen(const key& token, clock::time_point now);

  std::size_t size() const;

 private:
  struct key_hash {
    std::size_t operator()(const key& k) const {
      return static_cast<std::size_t>(k[0] ^ (k[1] * 31));
    }
  };
  struct entry {
    clock::time_point expiry;
    key token;
    bool operator>(const entry& other) const { return expiry > other.expiry; }
  };

  void prune(clock::time_point now);

  std::size_t capacity_;
  mutable std::mutex mutex_;
  struct state {
    clock::time_point expiry;
    bool released = false;  ///< forgotten: not a replay, but the slot and its expiry entry stay
  };
  std::unordered_map<key, state, key_hash> seen_;
  std::priority_queue<entry, std::vector<entry>, std::greater<>> by_expiry_;
};

/// A token bucket: `rate` tokens per second, at most `burst` saved up. Not thread-safe.
class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  token_bucket(double rate, double burst, clock::time_point now)
      : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

  /// Takes one token if there is one.
  bool try_take(clock::time_point now);

 private:
  double rate_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

}  // namespace tr::actors
