#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "transport/error.hpp"
#include "transport/tls_session.hpp"

namespace tr::transport {

/// How a listener's TLS is set up.
struct tls_server_config {
  std::string certificate_file;                         ///< PEM certificate chain
  std::string private_key_file;                         ///< PEM private key
  std::vector<std::string> alpn = {"h2", "http/1.1"};   ///< protocols, in our order of preference
};

/// How outgoing TLS connections are set up.
struct tls_client_config {
  std::string ca_file;                                  ///< extra PEM CA bundle; empty: none
  bool use_system_trust_store = true;                   ///< trust the system's CA store too
  bool verify_peer = true;                              ///< check the chain and the host name
  std::vector<std::string> alpn = {"h2", "http/1.1"};   ///< protocols offered, preferred first
};

/// An OpenSSL context built once at set-up and shared by every session made from it (TLS 1.2
/// minimum). Copies share the same context.
class tls_context {
 public:
  /// A server context from PEM files, selecting ALPN in our order of preference.
  static expected<tls_context> server(const tls_server_config& config);

  /// A client context trusting the system store and/or an extra CA bundle.
  static expected<tls_context> client(const tls_client_config& config);

  /// A session answering one accepted connection; only on a server context.
  expected<tls_session> accept() const;

  /// A session for one outgoing connection to `host` (a DNS name or an IP address): sets SNI
  /// (names only) and the name the certificate must match; only on a client context.
  expected<tls_session> connect(std::string_view host) const;

  /// True for a server context.
  bool is_server() const;

  struct state;

 private:
  explicit tls_context(std::shared_ptr<const state> state) : state_(std::move(state)) {}

  std::shared_ptr<const state> state_;
};

}  // namespace tr::transport
