#include "app/admin_guard.hpp"

#include <openssl/evp.h>

#include <optional>
#include <string>

namespace tr::app {

namespace {

std::string_view bearer_token(std::string_view header) {
  constexpr std::string_view scheme = "bearer";
  if (header.size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if ((header[i] | 0x20) != scheme[i]) return {};
  auto rest = header.substr(scheme.size());
  if (rest.front() != ' ' && rest.front() != '\t') return {};
  auto begin = rest.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  auto end = rest.find_last_not_of(" \t");
  return rest.substr(begin, end - begin + 1);
}

}  // namespace

std::string bearer_token_hash(std::string_view authorization) {
  auto token = bearer_token(authorization);
  if (token.empty()) return {};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr) != 1) return {};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * size);
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::size_t admin_guard::peer_hash::operator()(const transport::peer_address& peer) const noexcept {
  std::size_t out = 1469598103934665603ull;
  for (auto byte : peer.bytes) out = (out ^ byte) * 1099511628211ull;
  return out;
}

admin_guard::admin_guard(options opts) : options_(opts) {}

bool admin_guard::knows(std::string_view authorization) const {
  auto hash = bearer_token_hash(authorization);
  if (hash.empty()) return false;
  std::lock_guard lock{mutex_};
  return hashes_.contains(hash);
}

void admin_guard::remember(std::string_view authorization) {
  auto hash = bearer_token_hash(authorization);
  if (hash.empty()) return;
  std::lock_guard lock{mutex_};
  hashes_.insert(std::move(hash));
}

void admin_guard::reload(std::vector<std::string> hashes) {
  std::unordered_set<std::string> fresh(std::make_move_iterator(hashes.begin()),
                                        std::make_move_iterator(hashes.end()));
  std::lock_guard lock{mutex_};
  hashes_.swap(fresh);
}

bool admin_guard::throttled(const transport::peer_address& peer, clock::time_point now) {
  std::lock_guard lock{mutex_};
  auto found = peers_.find(peer);
  if (found == peers_.end()) return false;
  if (now - found->second.window_start >= options_.window) {
    peers_.erase(found);
    return false;
  }
  return found->second.failures >= options_.max_failures;
}

void admin_guard::failed(const transport::peer_address& peer, clock::time_point now) {
  std::uint32_t count = 0;
  std::optional<std::string> held;  // a first-failure line may be written, this many held back
  {
    std::lock_guard lock{mutex_};
    ++failures_total_;
    auto found = peers_.find(peer);
    if (found != peers_.end() && now - found->second.window_start >= options_.window) {
      peers_.erase(found);
      found = peers_.end();
    }
    if (found == peers_.end()) {
      if (peers_.size() >= options_.max_addresses)
        std::erase_if(peers_, [&](const auto& entry) {
          return now - entry.second.window_start >= options_.window;
        });
      if (peers_.size() >= options_.max_addresses) {
        // Counted, not tracked: one line a minute at most, however many addresses fail.
        if (!overflow_lines_.allow(now)) return;
        auto suppressed = std::to_string(overflow_lines_.suppressed());
        logging::warning(
            "admin: failed bearer token (too many addresses failing to track "
            "them all)",
            {{"peer", transport::to_string(peer)}, {"suppressed", suppressed}});
        return;
      }
      found = peers_.emplace(peer, address_state{now, 0}).first;
    }
    count = ++found->second.failures;
    if (count == 1 && first_failure_lines_.allow(now))
      held = std::to_string(first_failure_lines_.suppressed());
  }
  if (held) {
    logging::warning("admin: failed bearer token",
                     {{"peer", transport::to_string(peer)}, {"suppressed", *held}});
  } else if (count == options_.max_failures) {
    auto failures = std::to_string(count);
    auto window = std::to_string(options_.window.count()) + "s";
    logging::warning(
        "admin: too many failed bearer tokens: API requests get 429 until the "
        "window ends",
        {{"peer", transport::to_string(peer)}, {"failures", failures}, {"window", window}});
  }
}

std::uint64_t admin_guard::failures() const {
  std::lock_guard lock{mutex_};
  return failures_total_;
}

}  // namespace tr::app
