#include "transport/detail/h2_wire.hpp"

#include <nghttp2/nghttp2.h>

namespace tr::transport::detail::h2 {

const char* malformed_response_field(std::string_view name, std::string_view value, bool trailers,
                                     bool& regular_seen, bool& status_seen) {
  if (name.empty()) return "empty field name";
  if (name[0] == ':') {
    if (trailers) return "pseudo-header in trailers";
    if (regular_seen) return "pseudo-header after a regular field";
    if (name != ":status") return "pseudo-header other than :status in a response";
    if (status_seen) return "two :status fields";
    status_seen = true;
  } else {
    regular_seen = true;
    if (!nghttp2_check_header_name(reinterpret_cast<const uint8_t*>(name.data()), name.size()))
      return "field name not lower case, or with characters a name cannot hold";
    if (name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
        name == "transfer-encoding" || name == "upgrade")
      return "connection-specific field";
  }
  if (!nghttp2_check_header_value_rfc9113(reinterpret_cast<const uint8_t*>(value.data()),
                                          value.size()))
    return "field value with NUL, CR or LF, or starting or ending with a blank";
  return nullptr;
}

}  // namespace tr::transport::detail::h2
