#include "transport/destination_policy.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace tr::transport {

namespace {

using address_bytes = std::array<std::uint8_t, 16>;

std::optional<address_bytes> from_sockaddr(const sockaddr* address) {
  address_bytes out{};
  if (address->sa_family == AF_INET) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, 4);
    return out;
  }
  if (address->sa_family == AF_INET6) {
    std::memcpy(out.data(), &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
    return out;
  }
  return std::nullopt;
}

/// An IPv4 or IPv6 literal (no brackets) as 16 bytes, and 96 when it was IPv4 (prefix offset).
std::optional<address_bytes> parse_address(std::string_view text, unsigned& offset) {
  std::string copy{text};
  address_bytes out{};
  in_addr v4{};
  if (::inet_pton(AF_INET, copy.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    offset = 96;
    return out;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, copy.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    offset = 0;
    return out;
  }
  return std::nullopt;
}

bool contains(const network& block, const address_bytes& address) {
  unsigned bits = block.prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i) {
    unsigned take = bits >= 8 ? 8 : bits;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((block.bytes[i] & mask) != (address[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

network host(const address_bytes& address) {
  return network{address, 128};
}

std::string text_of(const address_bytes& address) {
  static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char out[INET6_ADDRSTRLEN] = {};
  if (std::memcmp(address.data(), mapped, 12) == 0)
    ::inet_ntop(AF_INET, address.data() + 12, out, sizeof out);
  else
    ::inet_ntop(AF_INET6, address.data(), out, sizeof out);
  return out;
}

}  // namespace

bool parse_network_list(std::string_view text, std::string& problem, std::vector<network>* out) {
  std::size_t at = 0;
  while (at < text.size()) {
    auto begin = text.find_first_not_of(", \t", at);
    if (begin == std::string_view::npos) break;
    auto end = text.find_first_of(", \t", begin);
    if (end == std::string_view::npos) end = text.size();
    auto entry = text.substr(begin, end - begin);
    at = end;
    auto slash = entry.find('/');
    unsigned offset = 0;
    auto address = parse_address(entry.substr(0, slash), offset);
    if (!address) {
      problem = "has '" + std::string{entry} + "', which is not an IPv4 or IPv6 CIDR block";
      return false;
    }
    unsigned prefix = 128 - offset;
    if (slash != std::string_view::npos) {
      auto digits = entry.substr(slash + 1);
      unsigned value = 0;
      auto [stop, failure] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (digits.empty() || failure != std::errc{} || stop != digits.data() + digits.size() ||
          value > 128 - offset) {
        problem = "has '" + std::string{entry} + "', whose prefix length is out of range";
        return false;
      }
      prefix = value;
    }
    if (out) out->push_back(network{*address, prefix + offset});
  }
  return true;
}

destination_policy::destination_policy(std::vector<network> deny) : deny_(std::move(deny)) {}

void destination_policy::add_listener(std::string_view host_name, std::uint16_t port) {
  std::vector<network> blocks;
  unsigned offset = 0;
  auto literal = parse_address(host_name, offset);
  bool wildcard = literal && *literal == address_bytes{} /* "::" */;
  if (literal && offset == 96) {
    address_bytes any4{};
    any4[10] = any4[11] = 0xff;
    wildcard = *literal == any4;
  }
  if (wildcard) {
    // Every local address reaches it: loopback and each interface.
    std::string problem;
    parse_network_list("127.0.0.0/8, ::1, 0.0.0.0/8, ::", problem, &blocks);
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) == 0) {
      for (auto* entry = list; entry; entry = entry->ifa_next)
        if (entry->ifa_addr)
          if (auto bytes = from_sockaddr(entry->ifa_addr)) blocks.push_back(host(*bytes));
      ::freeifaddrs(list);
    }
  } else if (literal) {
    blocks.push_back(host(*literal));
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    std::string name{host_name};
    if (::getaddrinfo(name.c_str(), nullptr, &hints, &found) == 0) {
      for (auto* entry = found; entry; entry = entry->ai_next)
        if (auto bytes = from_sockaddr(entry->ai_addr)) blocks.push_back(host(*bytes));
      ::freeaddrinfo(found);
    }
  }
  std::lock_guard lock{mutex_};
  for (auto& block : blocks) own_.emplace_back(block, port);
}

std::optional<std::string> destination_policy::why_not(const address_bytes& address,
                                                       std::uint16_t port) const {
  for (const auto& block : deny_)
    if (contains(block, address))
      return "the address " + text_of(address) + " is in as.deny_networks";
  std::lock_guard lock{mutex_};
  for (const auto& [block, listening] : own_)
    if (listening == port && contains(block, address))
      return "the address " + text_of(address) + " port " + std::to_string(port) +
             " is one of the router's own listeners";
  return std::nullopt;
}

std::optional<std::string> destination_policy::refusal(
    const socket_address& address) const {
  auto bytes = from_sockaddr(reinterpret_cast<const sockaddr*>(&address.storage));
  if (!bytes) return "not an IP address";
  return why_not(*bytes, address.port());
}

std::optional<std::string> destination_policy::refusal(std::string_view host_name,
                                                       std::uint16_t port) const {
  unsigned offset = 0;
  auto literal = parse_address(host_name, offset);
  if (!literal) return std::nullopt;
  return why_not(*literal, port);
}

}  // namespace tr::transport
