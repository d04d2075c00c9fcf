#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tr::store::detail {

/// `n` bytes from OpenSSL's CSPRNG; throws std::runtime_error only if the CSPRNG fails.
std::string random_bytes(std::size_t n);

/// Lower-case hex of bytes.
std::string to_hex(std::string_view bytes);

/// Bytes of a hex string (either case); nullopt when not hex or of odd length.
std::optional<std::string> from_hex(std::string_view hex);

/// SHA-256 of `text`, 32 raw bytes.
std::string sha256(std::string_view text);

/// A 256-bit AES-GCM key that wipes itself.
class data_key {
 public:
  static constexpr std::size_t size = 32;
  explicit data_key(std::span<const unsigned char, size> bytes);
  data_key(const data_key&) = default;
  data_key& operator=(const data_key&) = default;
  ~data_key();

  const unsigned char* data() const noexcept { return bytes_.data(); }

 private:
  std::array<unsigned char, size> bytes_;
};

/// AES-256-GCM with a random 96-bit nonce per message. A sealed blob is
/// nonce (12) || ciphertext || tag (16). The additional data binds a blob to its row.
class sealer {
 public:
  explicit sealer(const data_key& key) : key_(key) {}

  /// Encrypts `plaintext`; throws std::runtime_error only if OpenSSL fails.
  std::string seal(std::string_view plaintext, std::string_view additional_data) const;

  /// Decrypts and authenticates; nullopt when the blob was not sealed with this key and data.
  std::optional<std::string> open(std::string_view blob, std::string_view additional_data) const;

 private:
  data_key key_;
};

}  // namespace tr::store::detail
