#pragma once

#include <string>
#include <string_view>

#include "codecs/detail/escape.hpp"

namespace tr::actors::detail {

/// Appends `text` as a quoted JSON string.
inline void append_json_string(std::string& out, std::string_view text) {
  struct sink {
    std::string& out;
    void put(std::string_view s) { out.append(s); }
  } s{out};
  out += '"';
  codecs::detail::put_json_escaped(s, text);
  out += '"';
}

}  // namespace tr::actors::detail
