#include "codecs/detail/utf8.hpp"

#include <simdjson.h>

namespace tr::codecs::detail {

std::string_view utf8_or_replaced(std::string_view text, std::string& scratch) {
  if (simdjson::validate_utf8(text.data(), text.size())) return text;
  scratch.clear();
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x80) {
      scratch += c;
    } else {
      scratch += "\xEF\xBF\xBD";
    }
  }
  return scratch;
}

}  // namespace tr::codecs::detail
