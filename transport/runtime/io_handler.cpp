#include "transport/runtime/io_handler.hpp"

#include <netdb.h>

#include <cstring>

namespace tr::transport {

const char* to_string(io_failure failure) {
  switch (failure) {
    case io_failure::none: return "none";
    case io_failure::peer_closed: return "peer_closed";
    case io_failure::system: return "system";
    case io_failure::engine: return "engine";
    case io_failure::timed_out: return "timed_out";
    case io_failure::resolve_failed: return "resolve_failed";
    case io_failure::closed_locally: return "closed_locally";
    case io_failure::shutting_down: return "shutting_down";
    case io_failure::denied: return "denied by the destination policy";
  }
  return "unknown";
}

std::string io_status::message() const {
  std::string text = to_string(failure);
  if (failure == io_failure::engine) return text + ": " + engine_error.message();
  if (failure == io_failure::resolve_failed && system_error != 0) {
    return text + ": " + gai_strerror(system_error);
  }
  if (system_error != 0) return text + ": " + std::strerror(system_error);
  return text;
}

}  // namespace tr::transport
