#include "codecs/signing_key.hpp"

#include <openssl/rand.h>

#include <cstring>

#include "codecs/detail/hex.hpp"

namespace tr::codecs {

result<signing_key> signing_key::parse(std::string_view text) {
  if (text.size() != size || !detail::is_hex(text)) {
    return error(errc::invalid_key, "key must be exactly 32 hex digits");
  }
  signing_key key;
  for (std::size_t i = 0; i < size; ++i) key.text_[i] = detail::to_lower(text[i]);
  key.length_ = size;
  return key;
}

result<signing_key> signing_key::generate() {
  unsigned char bytes[size / 2];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return error(errc::crypto_failure, "no random bytes from the CSPRNG");
  }
  signing_key key;
  detail::write_hex(bytes, sizeof bytes, key.text_.data());
  key.length_ = size;
  return key;
}

result<signing_key> signing_key::verbatim(std::string_view text) {
  if (text.size() != size) return error(errc::invalid_key, "key must be exactly 32 characters");
  signing_key key;
  std::memcpy(key.text_.data(), text.data(), size);
  key.length_ = size;
  return key;
}

}  // namespace tr::codecs
