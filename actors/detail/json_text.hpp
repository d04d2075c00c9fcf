#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "codecs/detail/escape.hpp"

namespace tr::actors::detail {

/// Appends `text` as a quoted JSON string. Text that is not valid UTF-8 (a peer's bytes echoed
/// in an error, such as an undecodable connection name) has each byte from 0x80 up replaced by
/// U+FFFD, so the answer stays valid JSON.
inline void append_json_string(std::string& out, std::string_view text) {
  struct sink {
    std::string& out;
    void put(std::string_view s) { out.append(s); }
  } s{out};
  out += '"';
  if (simdjson::validate_utf8(text.data(), text.size())) {
    codecs::detail::put_json_escaped(s, text);
  } else {
    std::string replaced;
    for (char c : text) {
      if (static_cast<unsigned char>(c) < 0x80) {
        replaced += c;
      } else {
        replaced += "\xEF\xBF\xBD";
      }
    }
    codecs::detail::put_json_escaped(s, replaced);
  }
  out += '"';
}

}  // namespace tr::actors::detail
