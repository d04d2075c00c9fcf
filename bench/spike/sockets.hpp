// Spike only: the few socket calls both shapes share.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace spike {

inline sockaddr_in loopback(uint16_t port, const char* host = "127.0.0.1") {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, host, &sa.sin_addr);
  return sa;
}

/// A nonblocking listener on host:port with SO_REUSEPORT, so that every shard can own one.
inline int reuseport_listener(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  auto sa = loopback(port);
  if (::bind(fd, (sockaddr*) &sa, sizeof(sa)) != 0 || ::listen(fd, 1024) != 0) {
    std::fprintf(stderr, "listen on %u: %s\n", port, std::strerror(errno));
    std::exit(1);
  }
  return fd;
}

/// Starts a nonblocking connect; returns the fd (connect may still be in progress) or -1.
inline int start_connect(const char* host, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  auto sa = loopback(port, host);
  if (::connect(fd, (sockaddr*) &sa, sizeof(sa)) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// The outcome of a finished nonblocking connect (0 on success, else an errno value).
inline int connect_error(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return err;
}

inline uint16_t arg_u16(int argc, char** argv, const char* name, uint16_t fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0)
      return (uint16_t) std::atoi(argv[i + 1]);
  return fallback;
}

} // namespace spike
