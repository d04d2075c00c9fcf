#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace tr::test {

/// The answer of one HTTP request made with curl.
struct http_result {
  int status = 0;
  std::string body;
};

/// Runs curl with `args` (the URL among them) and returns the status and body.
http_result curl(std::vector<std::string> args);

/// The string value of `"name": "..."` in a JSON text ("" when absent): enough for test checks.
std::string json_field(const std::string& json, const std::string& name);

/// SHA-256 of `text` as 64 lower-case hex digits, computed with OpenSSL directly: tests check the
/// router's tokens independently of its own signer.
std::string sha256_hex(const std::string& text);

/// Percent-decodes `text` (a `+` stays a plus).
std::string percent_decoded(const std::string& text);

/// The parameters of a query string, percent-decoded.
std::map<std::string, std::string> query_params(const std::string& query);

/// The AS's own check of the uplink token of the tests' sample `DevEUI_uplink` (CustomerID
/// 100002167, DevEUI 20635F0108000496, FPort 17, FCntUp 18, its payload), from the received
/// query `q` (docs/protocol.md §2).
std::string expected_token(const std::string& key, const std::map<std::string, std::string>& q);

/// The real router binary, started as a user would (`tunnel-router serve --config FILE`) on
/// loopback with free ports, its store in a temp folder. Reads the ports from its start-up
/// line and the generated admin token from `admin.token`.
class router_process {
 public:
  /// `extra_ini` is appended to the generated configuration (sections and keys).
  explicit router_process(const std::string& extra_ini = "", const std::string& data_dir = "");
  ~router_process();

  std::uint16_t ingress_port() const { return ingress_; }
  std::uint16_t public_port() const { return public_; }
  std::uint16_t admin_port() const { return admin_; }
  const std::string& admin_token() const { return token_; }
  std::string admin_url(const std::string& path) const;
  std::string ingress_url(const std::string& path) const;

  /// An admin API call with the bootstrap token; `body` is sent as JSON when not empty.
  http_result admin(const std::string& method, const std::string& path,
                    const std::string& body = "") const;
  /// POSTs a report to the ingress over h2c.
  http_result report(const std::string& json, const std::string& query = "") const;
  /// The value of a metric line starting with `series` (e.g. `tunnel_router_uplinks_total{...}`),
  /// or -1.
  double metric(const std::string& series) const;
  /// Waits until metric(series) >= value.
  bool wait_metric(const std::string& series, double value,
                   std::chrono::milliseconds timeout = std::chrono::seconds{10}) const;

  /// SIGTERM and wait; the exit code.
  int terminate();
  child_process& process() { return *process_; }

 private:
  temp_dir dir_;
  std::string data_dir_;
  std::unique_ptr<child_process> process_;
  std::uint16_t ingress_ = 0, public_ = 0, admin_ = 0;
  std::string token_;
};

}  // namespace tr::test
