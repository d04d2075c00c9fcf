#include "transport/tls_session.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "transport/detail/openssl_text.hpp"

namespace tr::transport {

namespace {

constexpr std::size_t read_chunk = 16 * 1024;

}  // namespace

/// The BIO between OpenSSL and a tls_session: reads come from the ciphertext the session is
/// being fed (in place), writes append to the session's outgoing ciphertext. It never blocks:
/// an empty input is "retry later", as a non-blocking socket would say.
struct network_bio {
  static tls_session& session(BIO* bio) { return *static_cast<tls_session*>(BIO_get_data(bio)); }

  static int read(BIO* bio, char* out, size_t size, size_t* done) {
    BIO_clear_retry_flags(bio);
    auto& input = session(bio).input_;
    if (input.empty()) {
      BIO_set_retry_read(bio);
      *done = 0;
      return 0;
    }
    std::size_t count = std::min(size, input.size());
    std::memcpy(out, input.data(), count);
    input = input.subspan(count);
    *done = count;
    return 1;
  }

  static int write(BIO* bio, const char* data, size_t size, size_t* done) {
    BIO_clear_retry_flags(bio);
    session(bio).ciphertext_.append(std::string_view{data, size});
    *done = size;
    return 1;
  }

  static long control(BIO* bio, int command, long, void*) {
    switch (command) {
      case BIO_CTRL_FLUSH:
        return 1;
      case BIO_CTRL_PENDING:
        return static_cast<long>(session(bio).input_.size());
      case BIO_CTRL_WPENDING:
        return 0;
      default:
        return 0;
    }
  }

  static int create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
  }

  /// The method table, made once (thread-safe static initialization); never freed.
  static const BIO_METHOD* method() {
    static BIO_METHOD* const created = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tr-network");
      if (m == nullptr) return m;
      BIO_meth_set_read_ex(m, read);
      BIO_meth_set_write_ex(m, write);
      BIO_meth_set_ctrl(m, control);
      BIO_meth_set_create(m, create);
      return m;
    }();
    return created;
  }
};

tls_session::tls_session(SSL* ssl, bool is_server) : ssl_(ssl), is_server_(is_server) {
  const BIO_METHOD* method = network_bio::method();
  network_ = method ? BIO_new(method) : nullptr;
  if (!network_) {
    failure_ = error{error_code::internal_error, "cannot create the TLS BIO"};
    return;
  }
  BIO_set_data(network_, this);
  SSL_set_bio(ssl_, network_, network_);  // one reference for both directions, owned by ssl_
  if (is_server_) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    failure_ = advance_handshake();  // queues the ClientHello
  }
}

tls_session::tls_session(tls_session&& other) noexcept {
  *this = std::move(other);
}

tls_session& tls_session::operator=(tls_session&& other) noexcept {
  if (this != &other) {
    SSL_free(ssl_);
    ssl_ = std::exchange(other.ssl_, nullptr);
    network_ = std::exchange(other.network_, nullptr);
    if (network_) BIO_set_data(network_, this);
    input_ = {};
    unread_ = std::move(other.unread_);
    plaintext_ = std::move(other.plaintext_);
    ciphertext_ = std::move(other.ciphertext_);
    alpn_ = std::move(other.alpn_);
    failure_ = std::move(other.failure_);
    is_server_ = other.is_server_;
    handshake_done_ = other.handshake_done_;
    peer_closed_ = other.peer_closed_;
    shutdown_sent_ = other.shutdown_sent_;
    // A moved byte_buffer keeps its offsets: the moved-from session must show nothing pending.
    other.unread_.clear();
    other.plaintext_.clear();
    other.ciphertext_.clear();
  }
  return *this;
}

tls_session::~tls_session() {
  SSL_free(ssl_);  // frees the BIO too
}

error tls_session::receive(std::span<const std::byte> ciphertext) {
  if (failure_) return failure_;
  if (peer_closed_) return {};
  if (unread_.empty()) {
    input_ = ciphertext;
    error err = process();
    keep_unread();
    return err;
  }
  // Bytes OpenSSL left last time come first (rare: it stops reading only on close or error).
  unread_.append(ciphertext);
  std::size_t held = unread_.size();
  input_ = unread_.data();
  error err = process();
  consume(unread_, held - input_.size());
  input_ = {};
  return err;
}

void tls_session::keep_unread() {
  if (!input_.empty()) unread_.append(input_);
  input_ = {};
}

error tls_session::process() {
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
    return {};
  }
  int code = SSL_get_error(ssl_, rc);  // the next flight or an alert is in ciphertext_ already
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
    int code = SSL_get_error(ssl_, rc);  // key updates, tickets, alerts went to ciphertext_
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
  // Our BIO never blocks: one call takes the whole batch (split into records by OpenSSL).
  int rc = SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written);
  if (rc != 1) return failure_ = fail(SSL_get_error(ssl_, rc), "write");
  return {};
}

void tls_session::shutdown() {
  if (shutdown_sent_ || failure_ || !handshake_done_) return;
  shutdown_sent_ = true;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

error tls_session::fail(int ssl_error, const char* during) {
  std::string details = detail::take_openssl_errors();
  if (!handshake_done_ && !is_server_) {
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      return {error_code::tls_verification_failed,
              std::string{"certificate verify failed: "} + X509_verify_cert_error_string(verify)};
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

}  // namespace tr::transport
