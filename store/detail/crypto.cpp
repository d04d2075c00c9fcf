#include "store/detail/crypto.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace tr::store::detail {

namespace {

constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;

struct cipher_ctx_deleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_deleter>;

const EVP_CIPHER* aes_256_gcm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("the CSPRNG failed (RAND_bytes)");
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xf]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int high = hex_value(hex[i]);
    int low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

std::string sha256(std::string_view text) {
  std::string out(32, '\0');
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), reinterpret_cast<unsigned char*>(out.data()), &size,
                 sha256_md(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return out;
}

data_key::data_key(std::span<const unsigned char, size> bytes) {
  std::copy(bytes.begin(), bytes.end(), bytes_.begin());
}

data_key::~data_key() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

std::string sealer::seal(std::string_view plaintext, std::string_view additional_data) const {
  std::string out = random_bytes(nonce_size);
  out.resize(nonce_size + plaintext.size() + tag_size);
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  auto* cipher_text = nonce + nonce_size;
  cipher_ctx ctx{EVP_CIPHER_CTX_new()};
  int length = 0;
  int final_length = 0;
  bool ok = ctx &&
            EVP_EncryptInit_ex2(ctx.get(), aes_256_gcm(), key_.data(), nonce, nullptr) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &length, bytes(additional_data),
                              static_cast<int>(additional_data.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), cipher_text, &length, bytes(plaintext),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), cipher_text + length, &final_length) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_size,
                                cipher_text + plaintext.size()) == 1;
  if (!ok) throw std::runtime_error("AES-256-GCM encryption failed");
  return out;
}

std::optional<std::string> sealer::open(std::string_view blob,
                                        std::string_view additional_data) const {
  if (blob.size() < nonce_size + tag_size) return std::nullopt;
  auto cipher_text = blob.substr(nonce_size, blob.size() - nonce_size - tag_size);
  std::string tag{blob.substr(blob.size() - tag_size)};
  std::string out(cipher_text.size(), '\0');
  auto* plain = reinterpret_cast<unsigned char*>(out.data());
  cipher_ctx ctx{EVP_CIPHER_CTX_new()};
  int length = 0;
  int final_length = 0;
  bool ok = ctx &&
            EVP_DecryptInit_ex2(ctx.get(), aes_256_gcm(), key_.data(), bytes(blob), nullptr) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &length, bytes(additional_data),
                              static_cast<int>(additional_data.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), plain, &length, bytes(cipher_text),
                              static_cast<int>(cipher_text.size())) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), plain + length, &final_length) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  return out;
}

}  // namespace tr::store::detail
