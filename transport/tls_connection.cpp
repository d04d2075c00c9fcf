#include "transport/tls_connection.hpp"

#include <string>

namespace tr::transport {

tls_layer::tls_layer(tls_session session, engine_factory factory)
    : session_(std::move(session)), factory_(std::move(factory)) {
  if (session_.failed()) failure_ = session_.failure();
}

error tls_layer::receive(std::span<const std::byte> bytes) {
  if (failure_) return failure_;
  error err = session_.receive(bytes);
  if (!inner_ && session_.handshake_done()) {
    if (auto start_err = start_inner()) {
      tls_failed_ = true;
      return failure_ = start_err;
    }
  }
  if (err) tls_failed_ = true;
  if (inner_) {
    // Plaintext decrypted before a failure still reaches the inner engine.
    auto plaintext = session_.plaintext();
    if (!plaintext.empty()) {
      error inner_err = inner_->receive(plaintext);
      session_.consume_plaintext(plaintext.size());
      // The inner engine's own failure (an HTTP/2 connection error) leaves TLS working: what it
      // has to say (a GOAWAY) still goes out, then close_notify.
      if (inner_err && !err) err = std::move(inner_err);
    }
    if (session_.peer_closed() && !eof_) {
      eof_ = true;
      inner_->receive_eof();
    }
  }
  if (err) failure_ = err;
  return err;
}

error tls_layer::start_inner() {
  inner_ = factory_(session_.alpn());
  if (inner_) return {};
  session_.shutdown();
  return {error_code::protocol_error,
          "no engine for ALPN protocol '" + std::string{session_.alpn()} + "'"};
}

void tls_layer::receive_eof() {
  if (eof_) return;
  eof_ = true;
  if (inner_) {
    inner_->receive_eof();
  } else if (!failure_) {
    failure_ = error{error_code::connection_closed, "connection closed during the TLS handshake"};
  }
}

std::span<const std::byte> tls_layer::pending_output() {
  if (inner_ && !tls_failed_ && !session_.failed()) {
    auto plaintext = inner_->pending_output();
    if (!plaintext.empty()) {
      if (auto err = session_.send(plaintext)) {
        failure_ = err;
        tls_failed_ = true;
      }
      inner_->consume_output(plaintext.size());
    }
    if ((failure_ || inner_->wants_close()) && inner_->pending_output().empty())
      session_.shutdown();
  }
  return session_.pending_ciphertext();
}

void tls_layer::consume_output(std::size_t count) { session_.consume_ciphertext(count); }

bool tls_layer::wants_close() const {
  return static_cast<bool>(failure_) || session_.failed() || (inner_ && inner_->wants_close());
}

}  // namespace tr::transport
