#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "transport/http_listener.hpp"
#include "transport/runtime/runtime.hpp"

namespace tr::test {

/// A real application server for integration tests: HTTPS (TLS, ALPN h2 and http/1.1, or
/// http/1.1 only) or plain HTTP on loopback, on its own one-shard runtime. It records every
/// request and answers with a configurable status after a configurable delay.
class test_as {
 public:
  struct received {
    std::string method, path, query, body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool http2 = false;
    std::string header(const std::string& name) const;
  };

  /// TLS with `cert`/`key` (empty: plain HTTP); `alpn` e.g. {"h2","http/1.1"} or {"http/1.1"}.
  test_as(const std::string& cert, const std::string& key,
          std::vector<std::string> alpn = {"h2", "http/1.1"}, std::uint16_t port = 0);
  ~test_as();

  std::uint16_t port() const { return port_; }
  void set_status(int status);
  void set_delay(std::chrono::milliseconds delay);
  /// Hang mode: requests are accepted and recorded but never answered (a hung AS process).
  void set_hang(bool hang);
  /// Waits until at least `count` requests arrived; false on timeout.
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds{10});
  std::vector<received> requests() const;
  std::size_t count() const;

 private:
  transport::runtime runtime_{1};
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<received> requests_;
  int status_ = 200;
  std::chrono::milliseconds delay_{0};
  bool hang_ = false;
};

}  // namespace tr::test
