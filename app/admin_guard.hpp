#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "logging/log.hpp"
#include "transport/http_listener.hpp"

namespace tr::app {

/// What the admin listener decides before the admin API sees a request: whether its bearer token
/// is a known one (so that its body may be large) and whether its client address is throttled
/// for guessing tokens.
///
/// Known tokens: the SHA-256 of every user's token, loaded from the store at start, after each
/// change of users made here, and when a token the set did not know authenticates (a user made
/// by another replica). A request with an unknown token gets a small body limit and is still
/// judged by the admin API (401, or served when the store knows the token): the set governs
/// memory only, never access.
///
/// Throttle: an address whose requests fail authentication `max_failures` times within
/// `window` gets 429 for every API request until the window ends. The first failure of a window
/// (one line a second at most, whatever the number of addresses) and the start of a throttle
/// are logged. At most `max_addresses` addresses are tracked; failures beyond are counted and
/// logged once a minute.
///
/// Thread-safety: every member from any thread.
class admin_guard {
 public:
  using clock = std::chrono::steady_clock;

  struct options {
    std::size_t unauthenticated_body = 4096;  ///< body limit without a known token
    std::uint32_t max_failures = 10;
    std::chrono::seconds window{60};
    std::size_t max_addresses = 4096;
  };

  explicit admin_guard(options opts);

  /// True when `authorization` ("Bearer <token>") holds a known token.
  bool knows(std::string_view authorization) const;

  /// Remembers a token that authenticated.
  void remember(std::string_view authorization);

  /// Replaces the known tokens by these SHA-256 hashes (hex).
  void reload(std::vector<std::string> hashes);

  /// True when `peer` is throttled now.
  bool throttled(const transport::peer_address& peer, clock::time_point now);

  /// Counts a failed authentication of `peer`; logs as described above.
  void failed(const transport::peer_address& peer, clock::time_point now);

  /// Failed authentications counted since start.
  std::uint64_t failures() const;

  const options& settings() const { return options_; }

 private:
  struct address_state {
    clock::time_point window_start;
    std::uint32_t failures = 0;
  };
  struct peer_hash {
    std::size_t operator()(const transport::peer_address& peer) const noexcept;
  };

  options options_;
  mutable std::mutex mutex_;
  std::unordered_set<std::string> hashes_;
  std::unordered_map<transport::peer_address, address_state, peer_hash> peers_;
  logging::rate_limit first_failure_lines_{std::chrono::seconds{1}};
  logging::rate_limit overflow_lines_{std::chrono::seconds{60}};
  std::uint64_t failures_total_ = 0;
};

/// SHA-256 of the bearer token in an Authorization value, as 64 lower-case hex digits; "" when
/// the value holds no bearer token.
std::string bearer_token_hash(std::string_view authorization);

}  // namespace tr::app
