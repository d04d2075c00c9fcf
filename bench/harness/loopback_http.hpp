#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace tr::harness {

/// The answer of a loopback_request.
struct http_reply {
  int status = 0;  ///< 0 when the request failed (connect, timeout, unreadable answer)
  std::string body;
};

/// One blocking HTTP/1.1 request to 127.0.0.1:port (`Connection: close`), for admin API calls
/// and /metrics from the demo and the tests. `authorization` and `content_type` are sent when
/// not empty.
http_reply loopback_request(std::uint16_t port, std::string_view method, std::string_view target,
                            std::string_view body = {}, std::string_view authorization = {},
                            std::string_view content_type = "application/json",
                            std::chrono::milliseconds timeout = std::chrono::seconds{10});

}  // namespace tr::harness
