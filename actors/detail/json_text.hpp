#pragma once

#include <string>
#include <string_view>

#include "codecs/detail/escape.hpp"
#include "codecs/detail/utf8.hpp"

namespace tr::actors::detail {

/// Appends `text` as a quoted JSON string; bytes that are not valid UTF-8 become U+FFFD.
inline void append_json_string(std::string& out, std::string_view text) {
  struct sink {
    std::string& out;
    void put(std::string_view s) { out.append(s); }
  } s{out};
  std::string scratch;
  out += '"';
  codecs::detail::put_json_escaped(s, codecs::detail::utf8_or_replaced(text, scratch));
  out += '"';
}

}  // namespace tr::actors::detail
