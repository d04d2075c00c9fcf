#include "codecs/token_signer.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <stdexcept>
#include <utility>

#include "codecs/detail/hex.hpp"

namespace tr::codecs {

namespace {

/// SHA-256 fetched once for the process (EVP_sha256() per call costs a lookup each time).
const EVP_MD* sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

/// Gathers the small pieces of a token message into blocks for EVP_DigestUpdate.
class digest_feed {
 public:
  explicit digest_feed(EVP_MD_CTX* context) : context_(context) {}

  void put(std::string_view text) {
    if (text.size() > sizeof buffer_ - used_) {
      flush();
      if (text.size() >= sizeof buffer_) {
        ok_ &= EVP_DigestUpdate(context_, text.data(), text.size()) == 1;
        return;
      }
    }
    if (text.empty()) return;  // an absent field: its data() may be null
    std::memcpy(buffer_ + used_, text.data(), text.size());
    used_ += text.size();
  }

  void put(char c) {
    if (used_ == sizeof buffer_) flush();
    buffer_[used_++] = c;
  }

  void put_lower(std::string_view text) {
    for (char c : text) put(detail::to_lower(c));
  }

  /// Finishes the digest into 64 hex digits.
  error finish(std::span<char, token_size> out) {
    flush();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    ok_ &= EVP_DigestFinal_ex(context_, digest, &length) == 1;
    if (!ok_ || length != token_size / 2) return error(errc::crypto_failure, "SHA-256 failed");
    detail::write_hex(digest, length, out.data());
    return {};
  }

 private:
  void flush() {
    if (used_ != 0) ok_ &= EVP_DigestUpdate(context_, buffer_, used_) == 1;
    used_ = 0;
  }

  EVP_MD_CTX* context_;
  std::size_t used_ = 0;
  bool ok_ = true;
  char buffer_[512];
};

}  // namespace

token_signer::token_signer(signing_key key) : context_(EVP_MD_CTX_new()), key_(key) {
  if (context_ == nullptr || sha256() == nullptr) {
    EVP_MD_CTX_free(context_);
    throw std::runtime_error("OpenSSL provides no SHA-256");
  }
}

token_signer::~token_signer() {
  EVP_MD_CTX_free(context_);
}

token_signer::token_signer(token_signer&& other) noexcept
    : context_(std::exchange(other.context_, nullptr)), key_(other.key_) {}

token_signer& token_signer::operator=(token_signer&& other) noexcept {
  std::swap(context_, other.context_);
  std::swap(key_, other.key_);
  return *this;
}

error token_signer::sign_uplink(const token_fields& body, const uplink_query& query,
                                std::span<char, token_size> out) {
  if (EVP_DigestInit_ex2(context_, sha256(), nullptr) != 1) {
    return error(errc::crypto_failure, "SHA-256 init failed");
  }
  digest_feed feed(context_);
  std::string_view fport = body.fport.empty() ? std::string_view("0") : body.fport;
  feed.put(body.customer_id);
  switch (body.type) {
    case report_type::uplink:
      feed.put(body.dev_eui);
      feed.put(fport);
      feed.put(body.fcnt_up);
      feed.put(body.payload_hex);
      break;
    case report_type::downlink_sent:
      feed.put(body.dev_eui);
      feed.put(fport);
      feed.put(body.fcnt_dn);
      break;
    case report_type::location:
      feed.put_lower(body.dev_eui);
      break;
    case report_type::notification:
      feed.put(body.dev_eui);
      break;
  }
  feed.put("LrnDevEui=");
  feed.put(query.dev_eui);
  feed.put("&LrnFPort=");
  feed.put(query.fport);
  feed.put("&LrnInfos=");
  feed.put(query.infos);
  feed.put("&AS_ID=");
  feed.put(query.as_id);
  feed.put("&Time=");
  feed.put(query.time);
  feed.put(key_.text());
  return feed.finish(out);
}

error token_signer::sign_downlink(std::string_view signed_part, std::span<char, token_size> out) {
  if (EVP_DigestInit_ex2(context_, sha256(), nullptr) != 1) {
    return error(errc::crypto_failure, "SHA-256 init failed");
  }
  digest_feed feed(context_);
  std::size_t i = 0;
  while (i < signed_part.size()) {
    std::size_t percent = signed_part.find('%', i);
    if (percent == std::string_view::npos) {
      feed.put(signed_part.substr(i));
      break;
    }
    feed.put(signed_part.substr(i, percent - i));
    int high = percent + 1 < signed_part.size() ? detail::hex_value(signed_part[percent + 1]) : -1;
    int low = percent + 2 < signed_part.size() ? detail::hex_value(signed_part[percent + 2]) : -1;
    if (high < 0 || low < 0) {
      return error(errc::invalid_percent_escape, "'%' must be followed by two hex digits");
    }
    feed.put(static_cast<char>(high * 16 + low));
    i = percent + 3;
  }
  feed.put(key_.text());
  return feed.finish(out);
}

bool tokens_equal(std::string_view computed, std::string_view received) {
  if (computed.size() != token_size || received.size() != token_size) return false;
  char lowered[token_size];
  for (std::size_t i = 0; i < token_size; ++i) lowered[i] = detail::to_lower(received[i]);
  return CRYPTO_memcmp(computed.data(), lowered, token_size) == 0;
}

}  // namespace tr::codecs
