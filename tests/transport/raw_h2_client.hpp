#pragma once

// A bare HTTP/2 client for listener tests: a loopback socket that sends what the test writes
// and reads what the server sends, with a deadline.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/support/loopback.hpp"

namespace tr::transport::testing {

inline constexpr std::string_view h2_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
inline constexpr std::string_view empty_settings{"\0\0\0\4\0\0\0\0\0", 9};
/// A PING frame (8 bytes of opaque data).
inline constexpr std::string_view ping_frame{
    "\0\0\x08\x06\0\0\0\0\0"
    "12345678",
    17};

/// A loopback client socket, read with a deadline.
class raw_client {
 public:
  explicit raw_client(std::uint16_t port) : fd_(test::connect_loopback(port)) {}
  ~raw_client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return fd_ >= 0; }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, 1000);
      // MSG_NOSIGNAL: writing to a connection the server has closed fails, without SIGPIPE.
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// Reads until the peer closes or `limit` passes; true on close. What arrived is in received().
  bool read_until_closed(std::chrono::milliseconds limit) {
    using steady = std::chrono::steady_clock;
    auto deadline = steady::now() + limit;
    char buffer[4096];
    while (steady::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count()) + 1) <= 0) continue;
      auto n = ::read(fd_, buffer, sizeof buffer);
      if (n == 0) return true;
      if (n < 0) continue;
      received_.append(buffer, static_cast<std::size_t>(n));
    }
    return false;
  }

  const std::string& received() const { return received_; }

  /// The error code of the first GOAWAY frame in what the server sent (after its SETTINGS), or -1.
  long goaway_code() const {
    std::size_t at = 0;
    while (at + 9 <= received_.size()) {
      auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(received_[at + i]); };
      std::size_t length = (std::size_t(b(0)) << 16) | (std::size_t(b(1)) << 8) | b(2);
      if (at + 9 + length > received_.size()) break;
      if (b(3) == 7 && length >= 8)
        return (long(b(13)) << 24) | (long(b(14)) << 16) | (long(b(15)) << 8) | long(b(16));
      at += 9 + length;
    }
    return -1;
  }

 private:
  int fd_ = -1;
  std::string received_;
};

}  // namespace tr::transport::testing
