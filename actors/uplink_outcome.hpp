#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tr::actors {

/// How an uplink to one connection ended (`tunnel_router_uplinks_total{outcome}`).
enum class uplink_outcome : std::uint8_t {
  delivered,  ///< the AS answered 2xx
  failed,     ///< any other status, or a transport or TLS error
  timeout,    ///< no answer within as.request_timeout_ms
  shed,       ///< not sent: fuse open, limit reached, no session
  paused,     ///< not sent: the connection is paused
};
inline constexpr std::size_t uplink_outcome_count = 5;

std::string_view name_of(uplink_outcome o);

}  // namespace tr::actors
