#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "transport/connection_engine.hpp"
#include "transport/tls_session.hpp"

namespace tr::transport {

/// Runs a plaintext engine inside a TLS session. The inner engine is made once the handshake is
/// done, from the negotiated ALPN protocol ("h2", "http/1.1" or "" when none was agreed), so the
/// caller picks HTTP/2 or HTTP/1.1 by ALPN. Output of the inner engine is encrypted in one batch
/// (one SSL_write) each time the driver asks for pending output.
class tls_layer : public connection_engine {
 public:
  /// Makes the plaintext engine for the negotiated protocol; nullptr refuses the connection.
  using engine_factory = std::function<std::unique_ptr<connection_engine>(std::string_view alpn)>;

  tls_layer(tls_session session, engine_factory factory);

  error receive(std::span<const std::byte> bytes) override;
  void receive_eof() override;
  std::span<const std::byte> pending_output() override;
  void consume_output(std::size_t count) override;
  bool wants_close() const override;
  /// The inner engine's, once there is one (records add a little to it; no harm).
  std::size_t bulk_input() const override { return inner_ && !failure_ ? inner_->bulk_input() : 0; }
  /// The inner engine's, once there is one.
  std::size_t queued_output() const override {
    return inner_ && !failure_ ? inner_->queued_output() : 0;
  }

  /// The TLS session (handshake state, ALPN, failure).
  const tls_session& session() const { return session_; }

 protected:
  connection_engine* inner_engine() const { return inner_.get(); }

 private:
  error start_inner();

  tls_session session_;
  engine_factory factory_;
  std::unique_ptr<connection_engine> inner_;
  error failure_;            ///< the first failure, the inner engine's or TLS's
  bool tls_failed_ = false;  ///< TLS itself failed: nothing more can be sent
  bool eof_ = false;
};

/// A tls_layer whose inner engine is of a known type (http_server_connection,
/// client_connection, ...), so the application reaches it without casts.
template <class Engine>
class tls_connection final : public tls_layer {
 public:
  /// Makes the Engine for the negotiated ALPN protocol; nullptr refuses the connection.
  using factory = std::function<std::unique_ptr<Engine>(std::string_view alpn)>;

  tls_connection(tls_session session, factory make)
      : tls_layer(
            std::move(session),
            [make = std::move(make)](std::string_view alpn) -> std::unique_ptr<connection_engine> {
              return make(alpn);
            }) {}

  /// The inner engine; nullptr until the handshake is done.
  Engine* engine() const { return static_cast<Engine*>(inner_engine()); }
};

}  // namespace tr::transport
