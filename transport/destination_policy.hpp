#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transport/runtime/socket.hpp"

namespace tr::transport {

/// One CIDR block; IPv4 blocks are held as IPv4-mapped IPv6 (::ffff:a.b.c.d/96+n).
struct network {
  std::array<std::uint8_t, 16> bytes{};
  unsigned prefix = 0;  ///< leading bits that must match, 0..128
};

/// Parses a CIDR list ("169.254.0.0/16, fe80::/10"; commas or blanks between entries; an
/// address without "/n" is a single host). False with `problem` set on a bad entry; the blocks
/// go to `out` when given.
bool parse_network_list(std::string_view text, std::string& problem,
                        std::vector<network>* out = nullptr);

/// Where the router refuses to connect on behalf of a connection (as.deny_networks), and its
/// own listeners: a connection URL must not make the router call itself (a loop) or reach
/// link-local, metadata or other denied addresses (SSRF).
///
/// The check is made on every resolved address right before the connect, so a name that
/// resolves to a denied address later (DNS rebinding) is refused too; an address literal in a
/// URL is also checked when the connection is created or changed (400).
///
/// Thread-safety: allows() and refusal() from any thread; add_listener() too (rarely called).
class destination_policy {
 public:
  explicit destination_policy(std::vector<network> deny = {});

  /// A listener of this router: `host` as bound ("0.0.0.0" and "::" mean every local address).
  void add_listener(std::string_view host, std::uint16_t port);

  /// True when the router may connect to this address.
  bool allows(const socket_address& address) const { return !refusal(address); }

  /// Why the router may not connect to this address, or nullopt.
  std::optional<std::string> refusal(const socket_address& address) const;

  /// Why a URL's address literal is refused, or nullopt when allowed (names are left to the
  /// connect-time check).
  std::optional<std::string> refusal(std::string_view host, std::uint16_t port) const;

 private:
  std::optional<std::string> why_not(const std::array<std::uint8_t, 16>& address,
                                     std::uint16_t port) const;

  std::vector<network> deny_;
  mutable std::mutex mutex_;
  std::vector<std::pair<network, std::uint16_t>> own_;  // address block and port
};

}  // namespace tr::transport
