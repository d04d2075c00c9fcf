#include "transport/tls_session.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <utility>

#include "transport/detail/openssl_text.hpp"

namespace tr::transport {

namespace {

constexpr std::size_t read_chunk = 16 * 1024;

}  // namespace

tls_session::tls_session(SSL* ssl, bool is_server) : ssl_(ssl), is_server_(is_server) {
  network_in_ = BIO_new(BIO_s_mem());
  network_out_ = BIO_new(BIO_s_mem());
  if (!network_in_ || !network_out_) {
    BIO_free(network_in_);
    BIO_free(network_out_);
    network_in_ = network_out_ = nullptr;
    failure_ = error{error_code::internal_error, "cannot allocate memory BIOs"};
    return;
  }
  // An empty memory BIO reports "retry" instead of end of file.
  BIO_set_mem_eof_return(network_in_, -1);
  BIO_set_mem_eof_return(network_out_, -1);
  SSL_set_bio(ssl_, network_in_, network_out_);
  if (is_server_) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    failure_ = advance_handshake();  // queues the ClientHello
  }
}

tls_session::tls_session(tls_session&& other) noexcept { *this = std::move(other); }

tls_session& tls_session::operator=(tls_session&& other) noexcept {
  if (this != &other) {
    SSL_free(ssl_);
    ssl_ = std::exchange(other.ssl_, nullptr);
    network_in_ = std::exchange(other.network_in_, nullptr);
    network_out_ = std::exchange(other.network_out_, nullptr);
    plaintext_ = std::move(other.plaintext_);
    ciphertext_ = std::move(other.ciphertext_);
    alpn_ = std::move(other.alpn_);
    failure_ = std::move(other.failure_);
    is_server_ = other.is_server_;
    handshake_done_ = other.handshake_done_;
    peer_closed_ = other.peer_closed_;
    shutdown_sent_ = other.shutdown_sent_;
  }
  return *this;
}

tls_session::~tls_session() { SSL_free(ssl_); }  // frees both BIOs too

error tls_session::receive(std::span<const std::byte> ciphertext) {
  if (failure_) return failure_;
  if (peer_closed_) return {};
  if (!ciphertext.empty() &&
      BIO_write(network_in_, ciphertext.data(), static_cast<int>(ciphertext.size())) <= 0) {
    failure_ = error{error_code::internal_error, "cannot buffer ciphertext"};
    return failure_;
  }
  if (!handshake_done_) {
    if (auto err = advance_handshake()) return failure_ = err;
    if (!handshake_done_) return {};
  }
  if (auto err = read_plaintext()) return failure_ = err;
  return {};
}

error tls_session::advance_handshake() {
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    handshake_done_ = true;
    const unsigned char* protocol = nullptr;
    unsigned int size = 0;
    SSL_get0_alpn_selected(ssl_, &protocol, &size);
    alpn_.assign(reinterpret_cast<const char*>(protocol), protocol ? size : 0);
    drain_bio();
    return {};
  }
  int code = SSL_get_error(ssl_, rc);
  drain_bio();  // the next flight, or the alert telling the peer why we give up
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return {};
  return fail(code, "handshake");
}

error tls_session::read_plaintext() {
  for (;;) {
    ERR_clear_error();
    auto space = plaintext_.prepare(read_chunk);
    std::size_t count = 0;
    int rc = SSL_read_ex(ssl_, space.data(), space.size(), &count);
    if (rc == 1) {
      plaintext_.commit(count);
      continue;
    }
    int code = SSL_get_error(ssl_, rc);
    drain_bio();  // key updates, session tickets, alerts
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return {};
    if (code == SSL_ERROR_ZERO_RETURN) {
      peer_closed_ = true;
      return {};
    }
    return fail(code, "read");
  }
}

error tls_session::send(std::span<const std::byte> bytes) {
  if (failure_) return failure_;
  if (!handshake_done_) return {error_code::invalid_argument, "TLS handshake not complete"};
  if (shutdown_sent_) return {error_code::tls_error, "TLS session already shut down"};
  if (bytes.empty()) return {};
  ERR_clear_error();
  std::size_t written = 0;
  // Memory BIOs never block: one call takes the whole batch (split into records by OpenSSL).
  int rc = SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written);
  if (rc != 1) return failure_ = fail(SSL_get_error(ssl_, rc), "write");
  drain_bio();
  return {};
}

void tls_session::shutdown() {
  if (shutdown_sent_ || failure_ || !handshake_done_) return;
  shutdown_sent_ = true;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
  drain_bio();
}

error tls_session::fail(int ssl_error, const char* during) {
  std::string details = detail::take_openssl_errors();
  if (!handshake_done_ && !is_server_) {
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      return {error_code::tls_verification_failed,
              std::string{"certificate verify failed: "} +
                  X509_verify_cert_error_string(verify)};
    }
  }
  std::string reason = std::string{"TLS "} + during + " failed";
  if (!details.empty()) {
    reason += ": " + details;
  } else if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_SSL) {
    reason += ": unexpected end of data or protocol violation";
  }
  return {handshake_done_ ? error_code::tls_error : error_code::tls_handshake_failed,
          std::move(reason)};
}

void tls_session::drain_bio() {
  if (!network_out_) return;
  std::size_t pending = BIO_ctrl_pending(network_out_);
  while (pending > 0) {
    auto space = ciphertext_.prepare(pending);
    int count = BIO_read(network_out_, space.data(), static_cast<int>(pending));
    if (count <= 0) break;
    ciphertext_.commit(static_cast<std::size_t>(count));
    pending = BIO_ctrl_pending(network_out_);
  }
}

}  // namespace tr::transport
