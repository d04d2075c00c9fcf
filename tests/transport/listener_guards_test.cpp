// The guards of an HTTP listener against strangers, with real sockets on loopback: a body limit
// decided from the request's head before its body is read, the connection cap, and the header
// (TLS handshake included) and idle timeouts that close silent, slow and idle connections.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/loopback.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/transport/h2_frames.hpp"
#include "transport/http_listener.hpp"

namespace tr::transport {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

/// A blocking socket to 127.0.0.1:port.
int dial(std::uint16_t port) {
  int fd = test::connect_loopback(port);
  if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

/// A blocking socket from `source` (an address of 127.0.0.0/8) to 127.0.0.1:port; -1 on failure.
int dial_from(const char* source, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in from{}, to{};
  from.sin_family = to.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  to.sin_port = htons(port);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

void send_text(int fd, std::string_view text) {
  while (!text.empty()) {
    auto sent = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (sent <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(sent));
  }
}

/// True when the peer closes `fd` (end of stream or reset) within `timeout`; what it sent before
/// is dropped.
bool closed_within(int fd, std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  char buffer[4096];
  while (clock_type::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (::poll(&p, 1, static_cast<int>(left.count()) + 1) <= 0) continue;
    auto got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) return true;
  }
  return false;
}

/// Reads until the peer has sent a whole HTTP/1.1 answer with a content-length (or closes).
std::string read_answer(int fd) {
  std::string out;
  char buffer[4096];
  auto deadline = clock_type::now() + 5s;
  while (clock_type::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    auto got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
    auto end = out.find("\r\n\r\n");
    auto length_at = out.find("content-length: ");
    if (end != std::string::npos && length_at != std::string::npos) {
      auto length = std::stoul(out.substr(length_at + 16));
      if (out.size() >= end + 4 + length) break;
    }
  }
  return out;
}

class listener_guards : public ::testing::Test {
 protected:
  void SetUp() override { runtime_.start(); }

  void listen(http_listener_options options) {
    options.counters = counters_;
    auto bound = listen_http(
        runtime_, options,
        [](const request_origin& origin, http_server_connection& connection, const request& req) {
          respond_now(connection, origin.stream, 200, "text/plain",
                      "got " + std::to_string(req.body.size()));
        });
    ASSERT_TRUE(bound) << bound.status.message();
    port_ = bound.port;
  }

  /// listen() with these header and idle timeouts.
  void listen_with_timeouts(std::chrono::milliseconds header, std::chrono::milliseconds idle) {
    http_listener_options options;
    options.header_timeout = header;
    options.idle_timeout = idle;
    listen(options);
  }

  runtime runtime_{1};
  std::shared_ptr<listener_counters> counters_ = std::make_shared<listener_counters>();
  std::uint16_t port_ = 0;
};

TEST_F(listener_guards, a_request_without_credentials_gets_the_small_body_limit_from_its_head) {
  http_listener_options options;
  options.limits.max_body_size = 1 << 20;
  options.limits.body_limit = [](const request& head) -> std::size_t {
    for (const auto& field : head.headers)
      if (field.name == "x-token" && field.value == "good") return 1 << 20;
    return 4096;
  };
  listen(options);
  std::string body(100'000, 'x');
  int stranger = dial(port_);
  send_text(stranger, "POST /api HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\n");
  auto refused = read_answer(stranger);
  EXPECT_TRUE(refused.starts_with("HTTP/1.1 413")) << refused;
  EXPECT_NE(refused.find("4096"), std::string::npos) << refused;
  ::close(stranger);

  int known = dial(port_);
  send_text(known,
            "POST /api HTTP/1.1\r\nhost: x\r\nx-token: good\r\ncontent-length: 100000\r\n\r\n");
  send_text(known, body);
  auto served = read_answer(known);
  EXPECT_TRUE(served.starts_with("HTTP/1.1 200")) << served;
  EXPECT_NE(served.find("got 100000"), std::string::npos) << served;
  ::close(known);
}

/// A listener where a request without `x-token: good` may send 4 KiB, others 16 MiB.
http_listener_options small_limit_for_strangers() {
  http_listener_options options;
  options.limits.max_body_size = 16 << 20;
  options.limits.body_limit = [](const request& head) -> std::size_t {
    for (const auto& field : head.headers)
      if (field.name == "x-token" && field.value == "good") return 16 << 20;
    return 4096;
  };
  return options;
}

// Reading and dropping what a stranger pushes costs CPU: the drop stops at four times the
// stranger's own limit (at least 64 KiB), not four times the largest limit.
TEST_F(listener_guards, stops_reading_a_strangers_oversize_body_soon_over_http1) {
  listen(small_limit_for_strangers());
  int stranger = dial(port_);
  ::shutdown(stranger, SHUT_RD);  // the 413 is not read; the send side is what counts
  send_text(stranger, "POST /api HTTP/1.1\r\nhost: x\r\ncontent-length: 33554432\r\n\r\n");
  timeval limit{5, 0};
  ::setsockopt(stranger, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  std::string chunk(64 << 10, 'x');
  std::size_t sent = 0;
  while (sent < (32u << 20)) {
    auto n = ::send(stranger, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  EXPECT_LT(sent, 16u << 20) << "the router read far more than the stranger's limit";
  ::close(stranger);
}

TEST_F(listener_guards, ends_an_h2_connection_that_keeps_pushing_oversize_bodies) {
  listen(small_limit_for_strangers());
  using testing::frame;
  int stranger = dial(port_);
  send_text(stranger, std::string{testing::client_preface} + frame(4, 0, 0, ""));
  // The server's SETTINGS (a 256 KiB stream window) count once acknowledged.
  char buffer[4096];
  pollfd p{stranger, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 3000), 1);
  ASSERT_GT(::recv(stranger, buffer, sizeof buffer, 0), 0);
  send_text(stranger, frame(4, 0x1, 0, ""));
  std::string head = "\x83\x84\x86\x41\x01x";  // POST, /, http, :authority x
  std::string data(16 << 10, 'x');
  // Each stream: 96 KiB, over the stranger's 4 KiB limit and over the 64 KiB dropped before a
  // reset; the connection window (4 MiB) holds all twelve.
  for (std::uint32_t stream = 1; stream <= 23; stream += 2) {
    std::string bytes = frame(1, 0x4, stream, head);  // HEADERS, END_HEADERS
    for (int i = 0; i < 6; ++i) bytes += frame(0, 0, stream, data);
    send_text(stranger, bytes);
  }
  EXPECT_TRUE(closed_within(stranger, 3s));
  ::close(stranger);
}

TEST_F(listener_guards, closes_a_connection_that_sends_nothing) {
  http_listener_options options;
  options.header_timeout = 200ms;
  listen(options);
  int silent = dial(port_);
  ASSERT_GE(silent, 0);
  EXPECT_TRUE(closed_within(silent, 3s));
  ::close(silent);
  EXPECT_EQ(counters_->timed_out.load(), 1u);
}

TEST_F(listener_guards, closes_a_slowloris_that_never_finishes_its_headers) {
  http_listener_options options;
  options.header_timeout = 300ms;
  listen(options);
  int slow = dial(port_);
  send_text(slow, "GET / HTTP/1.1\r\nhost: x\r\nx-slow: ");
  auto start = clock_type::now();
  bool closed = false;
  while (!closed && clock_type::now() - start < 3s) {
    send_text(slow, "a");  // a byte every 50 ms, never the end of the block
    closed = closed_within(slow, 50ms);
  }
  EXPECT_TRUE(closed);
  ::close(slow);
}

TEST_F(listener_guards, closes_a_connection_whose_body_comes_a_byte_at_a_time) {
  listen_with_timeouts(300ms, 300ms);
  int slow = dial(port_);
  // The head at once, then one body byte every 50 ms (20 B/s): each byte is news, none is
  // progress at the minimum rate.
  send_text(slow, "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 4000\r\n\r\n");
  auto start = clock_type::now();
  bool closed = false;
  while (!closed && clock_type::now() - start < 3s) {
    send_text(slow, "a");
    closed = closed_within(slow, 50ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(clock_type::now() - start, 1500ms);
  ::close(slow);
}

TEST_F(listener_guards, keeps_a_connection_whose_body_comes_at_a_fair_rate) {
  listen_with_timeouts(300ms, 300ms);
  int steady = dial(port_);
  // 24 KiB over ~1.2 s (20 KiB/s, above the 1 KiB/s minimum): longer than either timeout.
  send_text(steady, "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 24576\r\n\r\n");
  for (int i = 0; i < 12; ++i) {
    send_text(steady, std::string(2048, 'b'));
    std::this_thread::sleep_for(100ms);
  }
  auto answer = read_answer(steady);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_NE(answer.find("got 24576"), std::string::npos) << answer;
  ::close(steady);
}

TEST_F(listener_guards, closes_a_keep_alive_connection_idle_after_its_request) {
  listen_with_timeouts(300ms, 300ms);
  int idle = dial(port_);
  send_text(idle, "GET / HTTP/1.1\r\nhost: x\r\n\r\n");
  auto answer = read_answer(idle);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_TRUE(closed_within(idle, 3s));
  ::close(idle);
}

TEST_F(listener_guards, keeps_a_connection_whose_requests_keep_coming) {
  listen_with_timeouts(300ms, 300ms);
  int busy = dial(port_);
  for (int i = 0; i < 8; ++i) {  // 8 × 100 ms: longer than either timeout
    send_text(busy, "GET / HTTP/1.1\r\nhost: x\r\n\r\n");
    auto answer = read_answer(busy);
    ASSERT_TRUE(answer.starts_with("HTTP/1.1 200")) << i << ": " << answer;
    std::this_thread::sleep_for(100ms);
  }
  ::close(busy);
}

TEST_F(listener_guards, closes_a_tls_connection_whose_handshake_never_comes) {
  test::temp_dir dir;
  auto pki = test::make_test_pki(dir.path(), "guards");
  auto context = tls_context::server({pki.cert_file, pki.key_file});
  ASSERT_TRUE(context) << context.error_value().message();
  http_listener_options options;
  options.tls = *context;
  options.header_timeout = 200ms;
  listen(options);
  int stalled = dial(port_);
  send_text(stalled, std::string_view{"\x16\x03\x01", 3});  // a ClientHello that never ends
  EXPECT_TRUE(closed_within(stalled, 3s));
  ::close(stalled);
}

TEST_F(listener_guards, refuses_connections_over_the_cap_and_serves_again_below_it) {
  http_listener_options options;
  options.max_connections = 2;
  listen(options);
  int first = dial(port_);
  int second = dial(port_);
  send_text(first, "GET / HTTP/1.1\r\nhost: x\r\n\r\n");  // both surely adopted
  send_text(second, "GET / HTTP/1.1\r\nhost: x\r\n\r\n");
  EXPECT_TRUE(read_answer(first).starts_with("HTTP/1.1 200"));
  EXPECT_TRUE(read_answer(second).starts_with("HTTP/1.1 200"));
  int third = dial(port_);
  EXPECT_TRUE(closed_within(third, 3s));
  ::close(third);
  EXPECT_EQ(counters_->refused.load(), 1u);
  ::close(first);
  for (int i = 0; i < 100 && counters_->open.load() > 1; ++i) std::this_thread::sleep_for(10ms);
  int again = dial(port_);
  send_text(again, "GET / HTTP/1.1\r\nhost: x\r\n\r\n");
  EXPECT_TRUE(read_answer(again).starts_with("HTTP/1.1 200"));
  ::close(again);
  ::close(second);
}

TEST_F(listener_guards, one_address_holds_at_most_its_share_and_others_still_get_in) {
  http_listener_options options;
  options.max_connections = 8;
  options.max_connections_per_address = 2;
  listen(options);
  constexpr std::string_view get = "GET / HTTP/1.1\r\nhost: x\r\n\r\n";
  int first = dial_from("127.0.0.1", port_);
  int second = dial_from("127.0.0.1", port_);
  send_text(first, get);
  send_text(second, get);
  EXPECT_TRUE(read_answer(first).starts_with("HTTP/1.1 200"));
  EXPECT_TRUE(read_answer(second).starts_with("HTTP/1.1 200"));
  // A third from the same address is closed as it opens, its request unanswered.
  int third = dial_from("127.0.0.1", port_);
  ASSERT_GE(third, 0);
  send_text(third, get);
  EXPECT_EQ(read_answer(third), "");
  ::close(third);
  EXPECT_EQ(counters_->refused.load(), 1u);
  // Another address is served meanwhile.
  int other = dial_from("127.0.0.2", port_);
  ASSERT_GE(other, 0);
  send_text(other, get);
  EXPECT_TRUE(read_answer(other).starts_with("HTTP/1.1 200"));
  // Once one of its connections closes, the first address gets in again.
  ::close(first);
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    int again = dial_from("127.0.0.1", port_);
    send_text(again, get);
    served = read_answer(again).starts_with("HTTP/1.1 200");
    ::close(again);
    if (!served) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(served);
  ::close(other);
  ::close(second);
}

TEST_F(listener_guards, ends_an_h2_connection_that_sends_an_hpack_bomb) {
  listen({});
  // One 4,000-byte value put in the HPACK table, then referred to 12,000 times (one byte each):
  // a 12 KB block that decodes to 48 MB of header fields.
  std::string block = "\x40\x03x-a";  // literal, incremental indexing, new name
  std::string value(4000, 'v');
  block += "\x7f";  // value length 4000: 7-bit prefix + continuation bytes
  std::size_t rest = value.size() - 127;
  while (rest >= 128) {
    block += static_cast<char>((rest & 0x7f) | 0x80);
    rest >>= 7;
  }
  block += static_cast<char>(rest);
  block += value;
  block += std::string(12'000, '\xbe');        // indexed: dynamic entry 62
  std::string head = "\x82\x84\x86\x41\x01x";  // GET, /, http, :authority x
  block = head + block;
  using testing::frame;
  std::string bytes{testing::client_preface};
  bytes += frame(4, 0, 0, "");
  std::size_t first = block.size() / 2;
  bytes += frame(1, 0x1, 1, block.substr(0, first));  // HEADERS, END_STREAM
  bytes += frame(9, 0x4, 1, block.substr(first));     // CONTINUATION, END_HEADERS
  int bomber = dial(port_);
  send_text(bomber, bytes);
  EXPECT_TRUE(closed_within(bomber, 3s));
  ::close(bomber);
}

TEST_F(listener_guards, stops_reading_an_h2_peer_that_sends_requests_and_reads_no_answer) {
  listen({});
  // Requests as fast as the socket takes them, no answer read (a small receive buffer): the
  // answers, and the resets of the streams over the concurrency cap, queue in the server's
  // session. It must stop reading the connection instead of queueing without bound.
  int greedy = test::connect_loopback(port_);
  ASSERT_GE(greedy, 0);
  int small = 4096;
  ::setsockopt(greedy, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  using testing::frame;
  send_text(greedy, std::string{testing::client_preface} + frame(4, 0, 0, ""));
  // GET / http :authority x, all from the static table.
  const std::string head = "\x82\x84\x86\x41\x01x";
  std::string burst;
  std::uint32_t stream = 1;
  std::size_t pushed = 0;
  auto until = clock_type::now() + 2s;
  while (clock_type::now() < until) {
    if (burst.empty())
      for (int i = 0; i < 64; ++i, stream += 2) burst += frame(1, 0x5, stream, head);
    auto sent = ::send(greedy, burst.data(), burst.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0) {
      pushed += static_cast<std::size_t>(sent);
      burst.erase(0, static_cast<std::size_t>(sent));
    } else if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      break;  // closed by the server: bounded as well
    } else {
      std::this_thread::sleep_for(1ms);
    }
  }
  // Read whole, 2 s of this is hundreds of MB; stopped, what the kernel buffers and the
  // session's bounded queue took.
  EXPECT_LT(pushed, 32u << 20) << stream / 2 << " requests sent";
  ::close(greedy);
}

}  // namespace
}  // namespace tr::transport
