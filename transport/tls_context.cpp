#include "transport/tls_context.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "transport/detail/openssl_text.hpp"

namespace tr::transport {

struct tls_context::state {
  SSL_CTX* context = nullptr;
  bool is_server = false;

  ~state() { SSL_CTX_free(context); }
};

namespace {

expected<std::string> alpn_wire_format(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const auto& name : protocols) {
    if (name.empty() || name.size() > 255)
      return error{error_code::invalid_argument, "ALPN protocol names are 1 to 255 bytes"};
    wire += static_cast<char>(name.size());
    wire += name;
  }
  return wire;
}

// The server's ALPN list lives in the SSL_CTX's ex_data, so it lasts as long as the context
// (which sessions keep alive after the tls_context is gone).
void free_alpn_wire(void*, void* pointer, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::string*>(pointer);
}

int alpn_wire_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_alpn_wire);
  return index;
}

// The server picks the first of its own protocols the client offers; none in common: no ALPN
// (the HTTP engine then tells HTTP/2 from HTTP/1.1 by the first bytes).
int select_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_size,
                const unsigned char* in, unsigned int in_size, void*) {
  const auto* wire = static_cast<const std::string*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), alpn_wire_index()));
  if (!wire) return SSL_TLSEXT_ERR_NOACK;
  unsigned char* selected = nullptr;
  int rc = SSL_select_next_proto(&selected, out_size,
                                 reinterpret_cast<const unsigned char*>(wire->data()),
                                 static_cast<unsigned int>(wire->size()), in, in_size);
  if (rc != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

error setup_failure(std::string what) {
  std::string details = detail::take_openssl_errors();
  if (!details.empty()) what += ": " + details;
  return {error_code::invalid_argument, std::move(what)};
}

// Key exchange on elliptic curves only: a peer must not be able to pick finite-field groups
// (ffdhe8192 costs the shard ~150 ms a handshake) nor DHE with a prime of its choosing.
constexpr const char* key_exchange_groups = "X25519:P-256:P-384";
constexpr const char* tls12_ciphers = "DEFAULT:!kDHE";
// A server's certificate chain the client reads at most (OpenSSL's default is 100 KiB, and a
// long chain costs its verification on the shard): real chains are a few KiB.
constexpr long max_server_chain_bytes = 32 << 10;

/// The settings both sides share; false on failure.
bool limit_key_exchange(SSL_CTX* context) {
  return SSL_CTX_set1_groups_list(context, key_exchange_groups) == 1 &&
         SSL_CTX_set_cipher_list(context, tls12_ciphers) == 1;
}

bool is_ip_address(const std::string& host) {
  unsigned char address[16];
  return inet_pton(AF_INET, host.c_str(), address) == 1 ||
         inet_pton(AF_INET6, host.c_str(), address) == 1;
}

}  // namespace

expected<tls_context> tls_context::server(const tls_server_config& config) {
  ERR_clear_error();
  auto result = std::make_shared<state>();
  result->is_server = true;
  result->context = SSL_CTX_new(TLS_server_method());
  if (!result->context) return setup_failure("cannot create a TLS server context");
  SSL_CTX* context = result->context;
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                   SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);  // an idle session holds no record buffers
  if (!limit_key_exchange(context)) return setup_failure("cannot set the key exchange groups");
  if (SSL_CTX_use_certificate_chain_file(context, config.certificate_file.c_str()) != 1)
    return setup_failure("cannot load the certificate chain " + config.certificate_file);
  if (SSL_CTX_use_PrivateKey_file(context, config.private_key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return setup_failure("cannot load the private key " + config.private_key_file);
  if (SSL_CTX_check_private_key(context) != 1)
    return setup_failure("the private key does not match the certificate");
  auto wire = alpn_wire_format(config.alpn);
  if (!wire) return wire.error_value();
  if (!wire->empty()) {
    auto* stored = new std::string(std::move(*wire));
    if (SSL_CTX_set_ex_data(context, alpn_wire_index(), stored) != 1) {
      delete stored;
      return setup_failure("cannot store the ALPN protocols");
    }
    SSL_CTX_set_alpn_select_cb(context, select_alpn, nullptr);
  }
  return tls_context{std::move(result)};
}

expected<tls_context> tls_context::client(const tls_client_config& config) {
  ERR_clear_error();
  auto result = std::make_shared<state>();
  result->context = SSL_CTX_new(TLS_client_method());
  if (!result->context) return setup_failure("cannot create a TLS client context");
  SSL_CTX* context = result->context;
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);
  if (!limit_key_exchange(context)) return setup_failure("cannot set the key exchange groups");
  SSL_CTX_set_max_cert_list(context, max_server_chain_bytes);
  if (config.use_system_trust_store && SSL_CTX_set_default_verify_paths(context) != 1)
    return setup_failure("cannot load the system trust store");
  if (!config.ca_file.empty() &&
      SSL_CTX_load_verify_locations(context, config.ca_file.c_str(), nullptr) != 1)
    return setup_failure("cannot load the CA bundle " + config.ca_file);
  SSL_CTX_set_verify(context, config.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  auto wire = alpn_wire_format(config.alpn);
  if (!wire) return wire.error_value();
  // Unlike most OpenSSL calls, this one returns 0 on success (and copies the list).
  if (!wire->empty() &&
      SSL_CTX_set_alpn_protos(context, reinterpret_cast<const unsigned char*>(wire->data()),
                              static_cast<unsigned int>(wire->size())) != 0)
    return setup_failure("cannot set the ALPN protocols");
  return tls_context{std::move(result)};
}

bool tls_context::is_server() const { return state_->is_server; }

expected<tls_session> tls_context::accept() const {
  if (!state_->is_server)
    return error{error_code::invalid_argument, "accept() needs a server context"};
  ERR_clear_error();
  SSL* ssl = SSL_new(state_->context);
  if (!ssl) return setup_failure("cannot create a TLS session");
  return tls_session{ssl, true};
}

expected<tls_session> tls_context::connect(std::string_view host) const {
  if (state_->is_server)
    return error{error_code::invalid_argument, "connect() needs a client context"};
  ERR_clear_error();
  SSL* ssl = SSL_new(state_->context);
  if (!ssl) return setup_failure("cannot create a TLS session");
  std::string name{host};
  if (!name.empty()) {
    // SSL_set1_host treats an IP address as one; SNI carries DNS names only (RFC 6066).
    if (SSL_set1_host(ssl, name.c_str()) != 1 ||
        (!is_ip_address(name) && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1)) {
      SSL_free(ssl);
      return setup_failure("cannot set the expected host name " + name);
    }
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  }
  return tls_session{ssl, false};
}

}  // namespace tr::transport
