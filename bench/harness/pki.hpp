#pragma once

#include <string>

namespace tr::harness {

/// PEM files of a throw-away CA and a server certificate it signed for `localhost` and
/// `127.0.0.1`, valid for a day: what the simulated AS serves and the router must trust.
struct pki_files {
  std::string ca_file;    ///< the CA certificate (give it to the router as `as.ca_file`)
  std::string cert_file;  ///< the server certificate
  std::string key_file;   ///< its private key
};

/// The PKI in `dir` (`as-ca.pem`, `as-cert.pem`, `as-key.pem`): reused when the three files are
/// there, so a restarted simulator keeps the certificate the router trusts; generated (EC P-256)
/// otherwise. Throws std::runtime_error on failure.
pki_files ensure_pki(const std::string& folder);

/// A fresh CA (named `<name> CA`) and a server certificate it signed, written to `folder` as
/// `<name>-ca.pem`, `<name>-cert.pem` and `<name>-key.pem`. Two calls give two unrelated CAs.
/// Throws std::runtime_error on failure.
pki_files generate_pki(const std::string& folder, const std::string& name);

}  // namespace tr::harness
