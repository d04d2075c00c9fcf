#include "bench/harness/loopback_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace tr::harness {

http_reply loopback_request(std::uint16_t port, std::string_view method, std::string_view target,
                            std::string_view body, std::string_view authorization, std::string_view content_type,
                            std::chrono::milliseconds timeout) {
  http_reply reply;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return reply;
  timeval limit{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return reply;
  }
  std::string request;
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1:");
  request.append(std::to_string(port)).append("\r\nConnection: close\r\n");
  if (!authorization.empty()) request.append("Authorization: ").append(authorization).append("\r\n");
  if (!body.empty()) request.append("Content-Type: ").append(content_type).append("\r\n");
  request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n").append(body);
  for (std::size_t sent = 0; sent < request.size();) {
    auto n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      return reply;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string answer;
  char buffer[16384];
  for (;;) {
    auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(n));
    auto head_end = answer.find("\r\n\r\n");
    if (head_end == std::string::npos) continue;
    auto length_at = answer.find("ontent-Length:");
    if (length_at == std::string::npos) length_at = answer.find("ontent-length:");
    if (length_at != std::string::npos && length_at < head_end) {
      auto length = std::strtoull(answer.c_str() + length_at + 14, nullptr, 10);
      if (answer.size() >= head_end + 4 + length) break;
    }
  }
  ::close(fd);
  auto head_end = answer.find("\r\n\r\n");
  if (answer.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) return reply;
  reply.status = std::atoi(answer.c_str() + 9);
  reply.body = answer.substr(head_end + 4);
  return reply;
}

}  // namespace tr::harness
