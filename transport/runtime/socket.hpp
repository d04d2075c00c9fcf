#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tr::transport {

/// An owned socket descriptor, closed on destruction (move-only).
class socket {
 public:
  /// No socket.
  socket() = default;

  /// Takes ownership of `fd`.
  explicit socket(int fd) : fd_(fd) {}

  socket(socket&& other) noexcept : fd_(other.release()) {}
  socket& operator=(socket&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;
  ~socket() { reset(); }

  /// The descriptor, or -1.
  int get() const { return fd_; }

  /// True when it holds a descriptor.
  explicit operator bool() const { return fd_ >= 0; }

  /// Gives up ownership: the caller closes the returned descriptor.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

  /// Closes the held descriptor, if any, and takes `fd`.
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

/// An IPv4 or IPv6 address and port.
struct socket_address {
  sockaddr_storage storage{};  ///< sockaddr_in or sockaddr_in6
  socklen_t size = 0;          ///< bytes of `storage` in use

  /// The address family (AF_INET, AF_INET6).
  int family() const { return storage.ss_family; }

  /// The port, in host order.
  std::uint16_t port() const;

  /// "127.0.0.1:8080" or "[::1]:8080".
  std::string to_string() const;

  /// As the sockaddr the socket calls take.
  const sockaddr* data() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

/// The address for a numeric host ("127.0.0.1", "::1", "[::1]"); nullopt for a name.
std::optional<socket_address> parse_numeric_address(std::string_view host, std::uint16_t port);

/// The address a socket is bound to (getsockname).
std::optional<socket_address> local_address(int fd);

/// Sets TCP_NODELAY (ignored on non-TCP sockets).
void set_no_delay(int fd);

/// Sets O_NONBLOCK; false on failure.
bool set_non_blocking(int fd);

}  // namespace tr::transport
