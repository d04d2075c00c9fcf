#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "codecs/error.hpp"
#include "codecs/query.hpp"
#include "codecs/report.hpp"
#include "codecs/signing_key.hpp"

struct evp_md_ctx_st;

namespace tr::codecs {

/// Length of a token: 64 lower-case hex digits of a SHA-256 digest.
inline constexpr std::size_t token_size = 64;

/// Signs uplinks and downlinks with one connection's key (docs/protocol.md §2, §3).
///
/// Uplink: token = lowercase_hex(SHA-256(bodyElements + queryElements + key)), plain
/// concatenation, no separators, no HMAC. bodyElements by report type, each as the body's text:
///   DevEUI_uplink:        CustomerID + DevEUI + FPort + FCntUp + payload_hex
///   DevEUI_downlink_Sent: CustomerID + DevEUI + FPort + FCntDn
///   DevEUI_location:      CustomerID + lower-case(DevEUI)
///   DevEUI_notification:  CustomerID + DevEUI   (not published: project decision)
/// A missing FPort counts as "0". queryElements = `LrnDevEui=..&LrnFPort=..&LrnInfos=..&AS_ID=..
/// &Time=..` in this order with decoded values, without Token.
///
/// Downlink: token = lowercase_hex(SHA-256(percent-decoded query up to "&Token=" + key)), the
/// parameters in the order received.
///
/// The key is hashed as the text it holds: keys are normalized when they enter the system
/// (signing_key::parse). The signer fetches SHA-256 once per process, keeps one EVP_MD_CTX, and
/// feeds the digest through a small stack buffer instead of building the message, so signing
/// never allocates. One signer per connection actor: it is not thread-safe.
class token_signer {
 public:
  /// A signer for `key`. Throws std::runtime_error if OpenSSL has no SHA-256 (set-up time only).
  explicit token_signer(signing_key key);
  ~token_signer();
  token_signer(token_signer&& other) noexcept;
  token_signer& operator=(token_signer&& other) noexcept;
  token_signer(const token_signer&) = delete;
  token_signer& operator=(const token_signer&) = delete;

  /// The key this signer hashes.
  const signing_key& key() const { return key_; }
  /// Signs with `key` from now on (the digest context is kept).
  void set_key(const signing_key& key) { key_ = key; }

  /// Writes the uplink token of `body` and `query` (decoded values) to `out`.
  error sign_uplink(const token_fields& body, const uplink_query& query,
                    std::span<char, token_size> out);

  /// Writes the downlink token of `signed_part` (the raw query up to "&Token=", see
  /// split_downlink_query), percent-decoding it on the fly, to `out`.
  error sign_downlink(std::string_view signed_part, std::span<char, token_size> out);

 private:
  evp_md_ctx_st* context_ = nullptr;
  signing_key key_;
};

/// Compares a computed token with a received one in constant time; the received token may use
/// upper-case hex. False when the lengths differ.
bool tokens_equal(std::string_view computed, std::string_view received);

}  // namespace tr::codecs
