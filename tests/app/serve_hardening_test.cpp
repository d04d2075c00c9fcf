// What a stranger or a broken AS can do to the running router, each attack reproduced on
// loopback against the real binary: bodies before authentication, descriptor exhaustion, idle
// and silent connections, a connection URL pointing at the router itself or at link-local
// addresses, token guessing, an AS whose TLS handshake never completes, batch amplification.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "tests/app/router_process.hpp"
#include "tests/app/test_as.hpp"
#include "tests/support/loopback.hpp"

using namespace tr::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* dev_eui = "20635F0108000496";
constexpr const char* uplink_json =
    R"({"DevEUI_uplink":{"Time":"2021-04-07T08:49:51.3+00:00","DevEUI":"20635F0108000496","FPort":17,)"
    R"("FCntUp":18,"payload_hex":"00","CustomerID":"100002167"}})";

/// True when the peer closes `fd` within `timeout`.
bool closed_within(int fd, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[512];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    if (::recv(fd, buffer, sizeof buffer, 0) <= 0) return true;
  }
  return false;
}

std::string create_connection(router_process& router, const std::string& url, int expected) {
  auto made = router.admin(
      "POST", "/api/v1/connections",
      R"({"name":"loop","url":")" + url + R"(","contentType":"JSON","asId":"TWA_1.1.AS"})");
  EXPECT_EQ(made.status, expected) << url << ": " << made.body;
  return made.status == 201 ? json_field(made.body, "id") : made.body;
}

}  // namespace

TEST(serve_hardening, an_unauthenticated_admin_request_may_not_send_a_large_body) {
  router_process router;
  temp_dir dir;
  write_file(dir.file("big.json"), std::string(1 << 20, 'x'));
  // 32 KiB: over the 4 KiB a stranger may send, under what the router drops before it stops
  // reading (an HTTP/2 stream is then reset with NO_ERROR after the answer, which curl reports
  // as an error when the reset meets its upload; listener_guards_test covers that part).
  write_file(dir.file("over.json"), std::string(32 << 10, 'x'));
  for (const char* protocol : {"--http1.1", "--http2-prior-knowledge"}) {
    auto r = curl({protocol, "-H", "Authorization: Bearer not-a-token", "--data-binary",
                   "@" + dir.file("over.json"), router.admin_url("/api/v1/connections")});
    EXPECT_EQ(r.status, 413) << protocol << ": " << r.body;
    EXPECT_NE(r.body.find("4096"), std::string::npos) << r.body;
  }
  // The token the router knows still carries large bodies.
  auto known = curl({"-H", "Authorization: Bearer " + router.admin_token(), "--data-binary",
                     "@" + dir.file("big.json"), router.admin_url("/api/v1/connections")});
  EXPECT_EQ(known.status, 400) << known.body;  // read, and refused as malformed JSON
}

TEST(serve_hardening, a_full_public_listener_leaves_admin_and_ingress_reachable) {
  router_process router{"[public]\nmax_connections = 4\n"};
  std::vector<int> sockets;
  for (int i = 0; i < 12; ++i) sockets.push_back(connect_loopback(router.public_port()));
  EXPECT_EQ(curl({router.admin_url("/healthz")}).status, 200);
  EXPECT_EQ(router.report(uplink_json).status, 404);  // answered: no route
  EXPECT_TRUE(router.wait_metric(R"(tunnel_router_listener_refused_total{listener="public"})", 8));
  for (int fd : sockets) ::close(fd);
}

TEST(serve_hardening, one_address_cannot_fill_the_admin_listener_and_keep_the_probes_out) {
  router_process router{""};  // the defaults: 64 admin connections, 16 per address
  std::vector<int> sockets;
  for (int i = 0; i < 64; ++i) sockets.push_back(connect_loopback(router.admin_port()));
  // A probe from another address still gets in.
  auto probe = curl({"--interface", "127.0.0.2", router.admin_url("/healthz")});
  EXPECT_EQ(probe.status, 200) << probe.body;
  for (int fd : sockets) ::close(fd);
  // Its own connections closed, the first address is served again (the metrics are read from
  // it): the 48 beyond its share were refused.
  EXPECT_TRUE(router.wait_metric(R"(tunnel_router_listener_refused_total{listener="admin"})", 48));
}

TEST(serve_hardening, silent_and_idle_connections_are_closed) {
  router_process router{"[runtime]\nheader_timeout_ms = 300\nidle_timeout_ms = 300\n"};
  int silent = connect_loopback(router.public_port());
  int slow = connect_loopback(router.ingress_port());
  ::send(slow, "POST /v1/reports HTTP/1.1\r\n", 27, MSG_NOSIGNAL);
  EXPECT_TRUE(closed_within(silent, 5s));
  EXPECT_TRUE(closed_within(slow, 5s));
  ::close(silent);
  ::close(slow);
  EXPECT_TRUE(
      router.wait_metric(R"(tunnel_router_listener_timed_out_total{listener="public"})", 1));
}

TEST(serve_hardening, a_connection_url_may_not_point_at_the_router_or_link_local_addresses) {
  router_process router{"[as]\nallow_http = true\n"};
  auto ingress = std::to_string(router.ingress_port());
  auto refused = create_connection(router, "http://127.0.0.1:" + ingress + "/v1/reports", 400);
  EXPECT_NE(refused.find("own listeners"), std::string::npos) << refused;
  refused = create_connection(router, "http://[::ffff:127.0.0.1]:" + ingress + "/v1/reports", 400);
  EXPECT_NE(refused.find("own listeners"), std::string::npos) << refused;
  refused = create_connection(router, "https://169.254.169.254/latest/meta-data", 400);
  EXPECT_NE(refused.find("deny_networks"), std::string::npos) << refused;
  refused = create_connection(router, "https://[fe80::1]/x", 400);
  EXPECT_NE(refused.find("deny_networks"), std::string::npos) << refused;
  // A name is judged on the address it resolves to, when the router connects: no loop.
  auto id = create_connection(router, "http://localhost:" + ingress + "/v1/reports", 201);
  auto routed = router.admin("PUT", std::string{"/api/v1/devices/"} + dev_eui,
                             R"({"connections":[")" + id + R"("]})");
  ASSERT_EQ(routed.status, 200) << routed.body;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(router.report(uplink_json).status, 202);
  EXPECT_TRUE(router.wait_metric(
      R"(tunnel_router_uplinks_total{connection=")" + id + R"(",outcome="failed"})", 3));
  std::this_thread::sleep_for(500ms);
  // Only the three reports sent here reached the ingress.
  EXPECT_LE(router.metric(R"(tunnel_router_reports_total{outcome="routed"})"), 3);
  EXPECT_NE(router.process().errors().find("own listeners"), std::string::npos)
      << router.process().errors();
}

TEST(serve_hardening, metrics_can_require_the_admin_token) {
  router_process router{"[admin]\nmetrics_token_required = true\n"};
  EXPECT_EQ(curl({router.admin_url("/metrics")}).status, 401);
  EXPECT_EQ(curl({"-H", "Authorization: Bearer wrong", router.admin_url("/metrics")}).status, 401);
  auto served = router.admin("GET", "/metrics");
  EXPECT_EQ(served.status, 200);
  EXPECT_NE(served.body.find("tunnel_router_reports_total"), std::string::npos);
  EXPECT_EQ(curl({router.admin_url("/healthz")}).status, 200);
}

TEST(serve_hardening, guessing_admin_tokens_is_throttled_and_logged) {
  router_process router;
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(curl({"-H", "Authorization: Bearer guess-" + std::to_string(i),
                    router.admin_url("/api/v1/connections")})
                  .status,
              401);
  EXPECT_EQ(curl({"-H", "Authorization: Bearer guess-11", router.admin_url("/api/v1/connections")})
                .status,
            429);
  // The whole address is held back for the window, whatever token it tries next.
  EXPECT_EQ(router.admin("GET", "/api/v1/connections").status, 429);
  EXPECT_EQ(curl({router.admin_url("/healthz")}).status, 200);
  EXPECT_NE(router.process().errors().find("admin: failed bearer token peer=127.0.0.1"),
            std::string::npos)
      << router.process().errors();
}

TEST(serve_hardening, an_as_that_never_finishes_its_tls_handshake_does_not_wedge_the_connection) {
  // Accepts TCP and never says a word: the TLS handshake stalls.
  tcp_listener stall;
  std::atomic<int> accepted{0};
  std::atomic<bool> stop{false};
  std::vector<int> held;
  std::thread acceptor{[&] {
    while (!stop) {
      pollfd p{stall.fd(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int fd = ::accept(stall.fd(), nullptr, nullptr);
      if (fd >= 0) {
        held.push_back(fd);
        ++accepted;
      }
    }
  }};
  router_process router{"[as]\nhandshake_timeout_ms = 300\nrequest_timeout_ms = 5000\n"};
  auto id =
      create_connection(router, "https://127.0.0.1:" + std::to_string(stall.port()) + "/", 201);
  router.admin("PUT", std::string{"/api/v1/devices/"} + dev_eui,
               R"({"connections":[")" + id + R"("]})");
  // One report opens a session that stalls; once it is abandoned, the next report opens another.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (accepted < 2 && std::chrono::steady_clock::now() < deadline) {
    router.report(uplink_json);
    std::this_thread::sleep_for(200ms);
  }
  stop = true;
  acceptor.join();
  for (int fd : held) ::close(fd);
  EXPECT_GE(accepted.load(), 2);
}

TEST(serve_hardening, a_batch_of_bad_lines_gets_a_small_answer) {
  router_process router;
  temp_dir dir;
  std::string lines;
  for (int i = 0; i < 9000; ++i) lines += "{\"not\":\"a report\"}\n";
  write_file(dir.file("bad.ndjson"), lines);
  auto r = curl(
      {"--data-binary", "@" + dir.file("bad.ndjson"), router.ingress_url("/v1/reports:batch")});
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(r.body.size(), 16u << 10) << r.body.size();
  EXPECT_NE(r.body.find("\"rejectedCount\":9000"), std::string::npos) << r.body.substr(0, 200);
  std::string many(10001, '\n');
  write_file(dir.file("many.ndjson"), many);
  auto refused = curl(
      {"--data-binary", "@" + dir.file("many.ndjson"), router.ingress_url("/v1/reports:batch")});
  EXPECT_EQ(refused.status, 413) << refused.body;
}

TEST(serve_hardening, a_report_over_the_limit_is_counted_as_too_large) {
  router_process router;
  temp_dir dir;
  write_file(dir.file("big.json"), std::string(100'000, ' ') + uplink_json);
  auto r = curl({"--data-binary", "@" + dir.file("big.json"), router.ingress_url("/v1/reports")});
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_TRUE(router.wait_metric(R"(tunnel_router_reports_total{outcome="too_large"})", 1));
}

// A full disk once turned a restart into an outage: the token hash was rewritten at every start
// and a failed write stopped the router. An unchanged token is not written at all now.
TEST(serve_hardening, a_restart_with_an_unchanged_admin_token_writes_nothing) {
  temp_dir dir;
  std::string token(40, 't');
  write_file(dir.file("router.ini"), "[store]\npath = " + dir.file("router.db") +
                                         "\n[ingress]\nlisten = 127.0.0.1:0\n[public]\nlisten = "
                                         "127.0.0.1:0\n[admin]\nlisten = 127.0.0.1:0\ntoken = " +
                                         token + "\n[runtime]\nshards = 1\n");
  auto start = [&] {
    auto process = std::make_unique<child_process>(
        std::vector<std::string>{TR_BINARY, "serve", "--config", dir.file("router.ini")});
    for (int i = 0; i < 500 && process->output().find("listening") == std::string::npos; ++i)
      std::this_thread::sleep_for(20ms);
    return process;
  };
  auto first = start();
  ASSERT_NE(first->output().find("listening"), std::string::npos) << first->errors();
  first->signal(SIGTERM);
  ASSERT_EQ(first->wait(), 0);
  auto second = start();
  ASSERT_NE(second->output().find("listening"), std::string::npos) << second->errors();
  // Nothing was committed: the write-ahead log is empty (or absent).
  std::error_code ignored;
  auto wal = std::filesystem::file_size(dir.file("router.db-wal"), ignored);
  EXPECT_TRUE(ignored || wal == 0) << wal << " bytes in the write-ahead log";
  second->signal(SIGTERM);
  EXPECT_EQ(second->wait(), 0);
}

/// Waits until the router's stderr holds `text`.
bool logged_within(router_process& router, const std::string& text,
                   std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (router.process().errors().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// A chunk that does not end with CR LF would let a front end and the router disagree on where
// the body ends (request smuggling); the refusal is logged with the peer, like the others.
TEST(serve_hardening, a_bad_chunk_terminator_is_refused_and_logged) {
  router_process router;
  int fd = connect_loopback(router.ingress_port());
  ASSERT_GE(fd, 0);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::string body = uplink_json;
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  std::string request =
      std::string{
          "POST /v1/reports HTTP/1.1\r\nHost: x\r\n"
          "Transfer-Encoding: chunked\r\n\r\n"} +
      size + "\r\n" + body + "XX0\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string answer;
  char buffer[4096];
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, 5000) == 1) {
    auto got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  EXPECT_NE(answer.find("chunked"), std::string::npos) << answer;
  EXPECT_TRUE(logged_within(router, "request refused listener=ingress peer=127.0.0.1 status=400"))
      << router.process().errors();
  EXPECT_LE(router.metric(R"(tunnel_router_reports_total{outcome="routed"})"), 0)
      << "never parsed as a report";
}

TEST(serve_hardening, a_refused_downlink_is_logged) {
  router_process router;
  auto r = curl({"-X", "POST",
                 "http://127.0.0.1:" + std::to_string(router.public_port()) +
                     "/thingpark/lrc/rest/downlink?DevEUI=1&DevEUI=%31"});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(logged_within(router, "downlink refused peer=127.0.0.1 outcome=malformed"))
      << router.process().errors();
}
