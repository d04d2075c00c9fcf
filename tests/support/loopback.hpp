#pragma once

#include <chrono>
#include <cstdint>

namespace tr::test {

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close), for
/// child processes that must be told a port. Prefer tcp_listener when the test itself listens.
std::uint16_t free_port();

/// A listening TCP socket on 127.0.0.1 with a kernel-chosen port; non-blocking.
class tcp_listener {
 public:
  tcp_listener();
  ~tcp_listener();
  tcp_listener(const tcp_listener&) = delete;
  tcp_listener& operator=(const tcp_listener&) = delete;

  /// The listening socket.
  int fd() const { return fd_; }

  /// The port it listens on.
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// A blocking connect to 127.0.0.1:port; returns a non-blocking socket, or -1.
int connect_loopback(std::uint16_t port);

/// Tries to connect to 127.0.0.1:port until it succeeds or the timeout passes (for a child
/// process that has just been started); true once something accepts.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace tr::test
