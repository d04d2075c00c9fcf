#pragma once

#include <string>

namespace tr::test {

/// PEM files of a throw-away certificate authority and a server certificate it signed, valid
/// for the host names `localhost` and `127.0.0.1` (subjectAltName DNS and IP) for one day.
struct test_pki {
  std::string ca_file;    ///< the CA certificate: what a client must trust
  std::string cert_file;  ///< the server certificate
  std::string key_file;   ///< the server's private key (unencrypted)
};

/// Generates a fresh CA and server certificate (EC P-256, OpenSSL API) into `dir`, file names
/// starting with `name` ("name-ca.pem", "name-cert.pem", "name-key.pem"). Two calls give two
/// unrelated CAs. Throws std::runtime_error on failure.
test_pki make_test_pki(const std::string& dir, const std::string& name = "test");

}  // namespace tr::test
