// The server engine, driven over real loopback sockets, answering real clients: curl (HTTP/1.1,
// h2c, TLS with ALPN), nghttp and h2load.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "tests/support/child_process.hpp"
#include "tests/support/engine_loop.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/transport/engine_fixtures.hpp"
#include "transport/http_server_connection.hpp"
#include "transport/tls_connection.hpp"
#include "transport/tls_context.hpp"

namespace tr::transport {
namespace {

class server_peers_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::temp_dir;
    pki_ = test::make_test_pki(dir_->path(), "server");
    other_ = test::make_test_pki(dir_->path(), "other");
  }
  static void TearDownTestSuite() { delete dir_; }

  // Plain listener: HTTP/1.1 or h2c, told apart by the first bytes.
  void serve_plain(server_options options = {}, request_handler handler = testing::echo) {
    loop_.serve(listener_.fd(), [options, handler] {
      return std::make_unique<http_server_connection>(options, handler);
    });
  }

  // TLS listener: ALPN picks the protocol.
  void serve_tls(server_options options = {}, request_handler handler = testing::echo) {
    auto context = tls_context::server({pki_.cert_file, pki_.key_file});
    ASSERT_TRUE(context) << context.error_value().message();
    loop_.serve(listener_.fd(), [context = *context, options, handler] {
      auto session = context.accept();
      return std::make_unique<tls_connection<http_server_connection>>(
          std::move(*session), [options, handler](std::string_view alpn) {
            return std::make_unique<http_server_connection>(options, handler,
                                                            protocol_for_alpn(alpn));
          });
    });
  }

  // Runs a client to its end while the loop serves it.
  std::unique_ptr<test::child_process> run(std::vector<std::string> argv) {
    auto child = std::make_unique<test::child_process>(std::move(argv));
    loop_.watch(child->exit_fd());
    bool exited = loop_.run_until([&] { return !child->running(); }, std::chrono::seconds(30));
    EXPECT_TRUE(exited) << child->command_line();
    return child;
  }

  std::string url(std::string_view path, std::string_view host = "127.0.0.1") const {
    return "http://" + std::string{host} + ":" + std::to_string(listener_.port()) +
           std::string{path};
  }
  std::string tls_url(std::string_view path) const {
    return "https://localhost:" + std::to_string(listener_.port()) + std::string{path};
  }
  std::string resolve() const {
    return "localhost:" + std::to_string(listener_.port()) + ":127.0.0.1";
  }
  std::string body_file(const std::string& name, const std::string& content) {
    std::string path = dir_->file(name);
    test::write_file(path, content);
    return path;
  }

  static inline test::temp_dir* dir_ = nullptr;
  static inline test::test_pki pki_;
  static inline test::test_pki other_;
  test::tcp_listener listener_;
  test::engine_loop loop_;
};

TEST_F(server_peers_test, answers_curl_over_http1_with_a_post_body) {
  serve_plain();
  auto curl = run({"curl", "-sS", "-d", "hello", "-w", " %{http_version}", url("/echo?x=1")});
  EXPECT_EQ(curl->exit_code(), 0) << curl->errors();
  EXPECT_EQ(curl->output(), "POST /echo?x=1 hello 1.1");
}

TEST_F(server_peers_test, keeps_the_connection_alive_between_curl_requests) {
  serve_plain();
  auto curl = run({"curl", "-sS", url("/one"), url("/two")});
  EXPECT_EQ(curl->output(), "GET /oneGET /two");
  EXPECT_EQ(loop_.accepted(), 1u);
}

TEST_F(server_peers_test, answers_curl_over_h2c_with_prior_knowledge) {
  serve_plain();
  auto curl = run({"curl", "-sS", "--http2-prior-knowledge", "-d", "h2c body", "-w",
                   " %{http_version}", url("/up")});
  EXPECT_EQ(curl->exit_code(), 0) << curl->errors();
  EXPECT_EQ(curl->output(), "POST /up h2c body 2");
}

TEST_F(server_peers_test, answers_nghttp_over_h2c) {
  serve_plain();
  auto nghttp = run({"nghttp", "-d", body_file("nghttp.txt", "from nghttp"), url("/n?k=v")});
  EXPECT_EQ(nghttp->exit_code(), 0) << nghttp->errors();
  EXPECT_EQ(nghttp->output(), "POST /n?k=v from nghttp");
}

TEST_F(server_peers_test, answers_every_h2load_request_on_multiplexed_streams) {
  serve_plain();
  auto h2load = run({"h2load", "-n", "400", "-c", "2", "-m", "20", "-d",
                     body_file("load.json", "{\"DevEUI_uplink\":{}}"), url("/v1/reports")});
  EXPECT_EQ(h2load->exit_code(), 0) << h2load->errors();
  EXPECT_NE(h2load->output().find("400 succeeded, 0 failed"), std::string::npos)
      << h2load->output();
}

TEST_F(server_peers_test, answers_an_oversize_body_with_413_over_http1) {
  server_options limits;
  limits.max_body_size = 1000;
  serve_plain(limits);
  auto curl = run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary",
                   "@" + body_file("big1.bin", std::string(5000, 'x')), url("/big")});
  EXPECT_EQ(curl->output(), "413") << curl->errors();
}

TEST_F(server_peers_test, answers_an_oversize_body_with_413_over_h2c) {
  server_options limits;
  limits.max_body_size = 1000;
  serve_plain(limits);
  auto curl = run({"curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w",
                   "%{http_code}", "--data-binary",
                   // Over the limit but within what the server reads and drops after its 413
                   // (64 KiB here): beyond that it resets the stream, and whether curl 7.88 has
                   // read the 413 before the reset depends on timing.
                   "@" + body_file("big2.bin", std::string(50000, 'x')), url("/big")});
  EXPECT_EQ(curl->output(), "413") << curl->errors();
}

TEST_F(server_peers_test, answers_requests_later_and_in_another_order_than_they_came) {
  std::vector<std::pair<http_server_connection*, stream_id>> waiting;
  serve_plain({}, [&](http_server_connection& connection, const request& req) {
    waiting.emplace_back(&connection, req.stream);
    if (waiting.size() < 2) return;
    // Both arrived: answer the later one first.
    waiting[1].first->respond(waiting[1].second, 200, {}, "second ");
    waiting[0].first->respond(waiting[0].second, 200, {}, "first ");
  });
  // nghttp sends both on one connection and prints bodies as they arrive. (curl 7.88's -Z
  // fails on multiplexed prior-knowledge h2c against any server, nghttpd included.)
  auto nghttp = run({"nghttp", url("/a"), url("/b")});
  EXPECT_EQ(nghttp->exit_code(), 0) << nghttp->errors();
  EXPECT_EQ(waiting.size(), 2u);
  EXPECT_EQ(loop_.accepted(), 1u);
  // Both answers leave in the same write; without RFC 7540 priorities (we send
  // SETTINGS_NO_RFC7540_PRIORITIES) nghttp2 orders equal streams by id within it.
  EXPECT_TRUE(nghttp->output() == "first second " || nghttp->output() == "second first ")
      << nghttp->output();
}

TEST_F(server_peers_test, closes_cleanly_on_garbage_bytes) {
  serve_plain();
  int fd = test::connect_loopback(listener_.port());
  ASSERT_GE(fd, 0);
  std::string garbage = "\x01\x02\x03 this is not HTTP at all\r\n\r\n";
  ASSERT_EQ(::send(fd, garbage.data(), garbage.size(), 0), ssize_t(garbage.size()));
  ASSERT_TRUE(loop_.run_until([&] { return loop_.closed() == 1; }));
  std::string answer(4096, '\0');
  ssize_t count = ::recv(fd, answer.data(), answer.size(), 0);
  ASSERT_GT(count, 0);
  EXPECT_EQ(answer.substr(0, 24), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(::recv(fd, answer.data(), answer.size(), 0), 0) << "then the end of the stream";
  ::close(fd);
  ASSERT_EQ(loop_.errors().size(), 1u);
  EXPECT_EQ(loop_.errors()[0].rfind("protocol_error", 0), 0u) << loop_.errors()[0];
}

TEST_F(server_peers_test, closes_cleanly_on_garbage_after_the_h2_preface) {
  serve_plain();
  int fd = test::connect_loopback(listener_.port());
  std::string bytes = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nthis is no frame at all, just text";
  ::send(fd, bytes.data(), bytes.size(), 0);
  ASSERT_TRUE(loop_.run_until([&] { return loop_.closed() == 1; }));
  ::close(fd);
  ASSERT_EQ(loop_.errors().size(), 1u);
}

TEST_F(server_peers_test, speaks_h2_with_curl_over_tls_when_alpn_says_so) {
  serve_tls();
  auto curl = run({"curl", "-sS", "--cacert", pki_.ca_file, "--resolve", resolve(), "-d", "secret",
                   "-w", " %{http_version}", tls_url("/tls")});
  EXPECT_EQ(curl->exit_code(), 0) << curl->errors();
  EXPECT_EQ(curl->output(), "POST /tls secret 2");
}

TEST_F(server_peers_test, speaks_http1_with_curl_over_tls_when_alpn_says_so) {
  serve_tls();
  auto curl = run({"curl", "-sS", "--http1.1", "--cacert", pki_.ca_file, "--resolve", resolve(),
                   "-d", "secret", "-w", " %{http_version}", tls_url("/tls")});
  EXPECT_EQ(curl->exit_code(), 0) << curl->errors();
  EXPECT_EQ(curl->output(), "POST /tls secret 1.1");
}

TEST_F(server_peers_test, answers_nghttp_over_tls) {
  serve_tls();
  auto nghttp = run({"nghttp", "-d", body_file("tls.txt", "over tls"),
                     "https://127.0.0.1:" + std::to_string(listener_.port()) + "/t"});
  EXPECT_EQ(nghttp->exit_code(), 0) << nghttp->errors();
  EXPECT_EQ(nghttp->output(), "POST /t over tls");
}

TEST_F(server_peers_test, survives_a_client_that_rejects_its_certificate) {
  serve_tls();
  auto curl =
      run({"curl", "-sS", "--cacert", other_.ca_file, "--resolve", resolve(), tls_url("/")});
  EXPECT_EQ(curl->exit_code(), 60) << curl->errors();  // peer certificate cannot be verified
  ASSERT_TRUE(loop_.run_until_all_closed());
  ASSERT_EQ(loop_.errors().size(), 1u);
  EXPECT_EQ(loop_.errors()[0].rfind("tls_handshake_failed", 0), 0u) << loop_.errors()[0];
  // And still serves the next one.
  auto good =
      run({"curl", "-sS", "--cacert", pki_.ca_file, "--resolve", resolve(), tls_url("/ok")});
  EXPECT_EQ(good->output(), "GET /ok");
}

}  // namespace
}  // namespace tr::transport
