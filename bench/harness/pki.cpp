#include "bench/harness/pki.hpp"

#include <filesystem>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace tr::harness {

namespace {

struct key_deleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct cert_deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, key_deleter>;
using cert_ptr = std::unique_ptr<X509, cert_deleter>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string{"harness PKI: "} + what);
}

key_ptr make_key() {
  key_ptr key{EVP_EC_gen("P-256")};
  check(key != nullptr, "cannot generate a key");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  check(extension != nullptr, "cannot build an extension");
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

cert_ptr make_cert(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
                   bool is_ca) {
  cert_ptr cert{X509_new()};
  check(cert != nullptr, "cannot allocate a certificate");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert.get()));
  BN_free(number);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("tunnel-router harness"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (is_ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  }
  check(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0,
        "cannot sign a certificate");
  return cert;
}

void write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* file = std::fopen(path.c_str(), "w");
  check(file != nullptr, "cannot create a PEM file");
  bool ok = cert ? PEM_write_X509(file, cert) == 1
                 : PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(file);
  check(ok, "cannot write a PEM file");
}

}  // namespace

pki_files generate_pki(const std::string& folder, const std::string& name) {
  auto dir = std::filesystem::absolute(folder).string();
  std::filesystem::create_directories(dir);
  key_ptr ca_key = make_key();
  cert_ptr ca = make_cert(ca_key.get(), (name + " CA").c_str(), nullptr, nullptr, true);
  key_ptr server_key = make_key();
  cert_ptr server = make_cert(server_key.get(), "localhost", ca.get(), ca_key.get(), false);
  pki_files pki{dir + "/" + name + "-ca.pem", dir + "/" + name + "-cert.pem",
                dir + "/" + name + "-key.pem"};
  write_pem(pki.ca_file, ca.get(), nullptr);
  write_pem(pki.cert_file, server.get(), nullptr);
  write_pem(pki.key_file, nullptr, server_key.get());
  return pki;
}

pki_files ensure_pki(const std::string& folder) {
  auto dir = std::filesystem::absolute(folder).string();
  pki_files pki{dir + "/as-ca.pem", dir + "/as-cert.pem", dir + "/as-key.pem"};
  namespace fs = std::filesystem;
  if (fs::exists(pki.ca_file) && fs::exists(pki.cert_file) && fs::exists(pki.key_file)) return pki;
  return generate_pki(dir, "as");
}

}  // namespace tr::harness
