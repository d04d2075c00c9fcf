#include "transport/error.hpp"

namespace tr::transport {

const char* to_string(error_code code) {
  switch (code) {
    case error_code::none: return "none";
    case error_code::tls_handshake_failed: return "tls_handshake_failed";
    case error_code::tls_verification_failed: return "tls_verification_failed";
    case error_code::tls_error: return "tls_error";
    case error_code::protocol_error: return "protocol_error";
    case error_code::header_too_large: return "header_too_large";
    case error_code::body_too_large: return "body_too_large";
    case error_code::refused: return "refused";
    case error_code::stream_reset: return "stream_reset";
    case error_code::connection_closed: return "connection_closed";
    case error_code::streams_exhausted: return "streams_exhausted";
    case error_code::busy: return "busy";
    case error_code::going_away: return "going_away";
    case error_code::unknown_stream: return "unknown_stream";
    case error_code::cancelled: return "cancelled";
    case error_code::invalid_argument: return "invalid_argument";
    case error_code::internal_error: return "internal_error";
  }
  return "unknown";
}

std::string error::message() const {
  std::string result = to_string(code_);
  if (!reason_.empty()) {
    result += ": ";
    result += reason_;
  }
  return result;
}

}  // namespace tr::transport
