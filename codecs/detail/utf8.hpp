#pragma once

#include <string>
#include <string_view>

namespace tr::codecs::detail {

/// `text` itself when it is valid UTF-8; otherwise a copy in `scratch` with every byte from 0x80
/// up replaced by U+FFFD. For a peer's bytes echoed in a JSON message (an id from a URL path, a
/// decoded query parameter), so that the message stays valid JSON.
std::string_view utf8_or_replaced(std::string_view text, std::string& scratch);

}  // namespace tr::codecs::detail
