#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "transport/detail/byte_buffer.hpp"
#include "transport/error.hpp"

typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace tr::transport {

/// One TLS connection without a socket (sans-I/O): ciphertext in from the peer, plaintext out to
/// the upper engine; plaintext in from the upper engine, ciphertext out for the driver. OpenSSL
/// talks to one BIO of ours that reads the caller's ciphertext in place and writes records
/// straight into the outgoing buffer (a memory BIO pair would copy both ways and zero its growth).
/// A client session starts its handshake at once: its ClientHello is pending right away.
///
/// Memory: a buffer that has been emptied is given back at once, and OpenSSL gives back its own
/// record buffers when they are empty (SSL_MODE_RELEASE_BUFFERS), so an idle connection holds
/// the TLS state alone, not its peak traffic (one allocation per read or write batch instead).
class tls_session {
 public:
  tls_session(tls_session&& other) noexcept;
  tls_session& operator=(tls_session&& other) noexcept;
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;
  ~tls_session();

  /// Feeds ciphertext read from the peer: advances the handshake and decrypts into plaintext().
  /// Errors are final (a TLS alert for the peer may still be pending in pending_ciphertext()).
  error receive(std::span<const std::byte> ciphertext);

  /// Decrypted bytes not yet taken by the upper engine.
  std::span<const std::byte> plaintext() const { return plaintext_.data(); }

  /// The upper engine took the first `count` bytes of plaintext().
  void consume_plaintext(std::size_t count) { consume(plaintext_, count); }

  /// Encrypts a batch of plaintext with one SSL_write; only after the handshake.
  error send(std::span<const std::byte> bytes);

  /// Queues a close_notify alert.
  void shutdown();

  /// Ciphertext to write to the peer; valid until the next call on this session.
  std::span<const std::byte> pending_ciphertext() const { return ciphertext_.data(); }

  /// The driver wrote the first `count` bytes of pending_ciphertext().
  void consume_ciphertext(std::size_t count) { consume(ciphertext_, count); }

  /// True once the handshake completed.
  bool handshake_done() const { return handshake_done_; }

  /// The protocol the handshake agreed on by ALPN ("h2", "http/1.1"), "" if none.
  std::string_view alpn() const { return alpn_; }

  /// True once the peer sent close_notify.
  bool peer_closed() const { return peer_closed_; }

  /// True once an error made the session unusable.
  bool failed() const { return static_cast<bool>(failure_); }

  /// The error that made the session unusable, if any.
  const error& failure() const { return failure_; }

  /// True for the accepting side.
  bool is_server() const { return is_server_; }

 private:
  friend class tls_context;

  tls_session(SSL* ssl, bool is_server);

  friend struct network_bio;
  error advance_handshake();
  error read_plaintext();
  error process();
  error fail(int ssl_error, const char* during);
  void keep_unread();
  /// Consumes from one of the buffers; an emptied buffer gives its capacity back.
  static void consume(detail::byte_buffer& buffer, std::size_t count) {
    buffer.consume(count);
    if (buffer.empty() && buffer.capacity() != 0) buffer.release();
  }

  SSL* ssl_ = nullptr;
  BIO* network_ = nullptr;  // our BIO, owned by ssl_; its data points at this session
  std::span<const std::byte> input_;  // ciphertext OpenSSL has not read yet (during a call)
  detail::byte_buffer unread_;        // ciphertext left over between calls (a partial read)
  detail::byte_buffer plaintext_;
  detail::byte_buffer ciphertext_;
  std::string alpn_;
  error failure_;
  bool is_server_ = false;
  bool handshake_done_ = false;
  bool peer_closed_ = false;
  bool shutdown_sent_ = false;
};

}  // namespace tr::transport
