#include "transport/detail/openssl_text.hpp"

#include <openssl/err.h>

namespace tr::transport::detail {

std::string take_openssl_errors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    if (!text.empty()) text += "; ";
    if (const char* reason = ERR_reason_error_string(code)) {
      text += reason;
    } else {
      char buffer[256];
      ERR_error_string_n(code, buffer, sizeof buffer);
      text += buffer;
    }
  }
  return text;
}

}  // namespace tr::transport::detail
