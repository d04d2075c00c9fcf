// The client engines over real loopback sockets: against nghttpd (a real HTTP/2 server), against
// our own server engine (TLS and plain, HTTP/2 and HTTP/1.1) and against Python's http.server.

#include <gtest/gtest.h>

#include <memory>

#include "tests/support/child_process.hpp"
#include "tests/support/engine_loop.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/transport/engine_fixtures.hpp"
#include "transport/client_connection.hpp"
#include "transport/h2_client_connection.hpp"
#include "transport/http_server_connection.hpp"
#include "transport/tls_connection.hpp"
#include "transport/tls_context.hpp"

namespace tr::transport {
namespace {

using testing::outcome;
using testing::post;
using testing::record_into;
using secure_client = tls_connection<client_connection>;

class client_peers_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::temp_dir;
    pki_ = test::make_test_pki(dir_->path(), "peer");
    other_ = test::make_test_pki(dir_->path(), "other");
    test::write_file(dir_->file("index.html"), "hello from nghttpd\n");
  }
  static void TearDownTestSuite() { delete dir_; }

  // Starts nghttpd on a free port (TLS unless plain) and waits until it accepts.
  std::uint16_t start_nghttpd(bool plain = false, const test::test_pki* pki = nullptr,
                              std::vector<std::string> extra = {}) {
    std::uint16_t port = test::free_port();
    std::vector<std::string> argv = {"nghttpd", "-d", dir_->path()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (plain) {
      argv.insert(argv.end(), {"--no-tls", std::to_string(port)});
    } else {
      const auto& files = pki ? *pki : pki_;
      argv.insert(argv.end(), {std::to_string(port), files.key_file, files.cert_file});
    }
    nghttpd_ = std::make_unique<test::child_process>(argv);
    EXPECT_TRUE(test::wait_for_port(port)) << nghttpd_->errors();
    return port;
  }

  // Our server engine on a listener of the loop.
  void serve(bool tls, request_handler handler = testing::echo, server_options options = {}) {
    if (!tls) {
      loop_.serve(listener_.fd(), [options, handler] {
        return std::make_unique<http_server_connection>(options, handler);
      });
      return;
    }
    auto context = tls_context::server({pki_.cert_file, pki_.key_file});
    ASSERT_TRUE(context);
    loop_.serve(listener_.fd(), [context = *context, options, handler] {
      auto session = context.accept();
      return std::make_unique<tls_connection<http_server_connection>>(
          std::move(*session), [options, handler](std::string_view alpn) {
            return std::make_unique<http_server_connection>(options, handler,
                                                            protocol_for_alpn(alpn));
          });
    });
  }

  // A TLS client connected to 127.0.0.1:port, checking the certificate for `host`.
  std::unique_ptr<secure_client> connect_tls(std::uint16_t port, std::string_view host,
                                             tls_client_config config = {}) {
    if (config.ca_file.empty()) config.ca_file = pki_.ca_file;
    config.use_system_trust_store = false;
    auto context = tls_context::client(config);
    EXPECT_TRUE(context) << context.error_value().message();
    auto client = std::make_unique<secure_client>(
        std::move(*context->connect(host)),
        [](std::string_view alpn) { return make_client_connection(alpn, client_options{}); });
    int fd = test::connect_loopback(port);
    EXPECT_GE(fd, 0);
    loop_.attach(fd, *client);
    loop_.run_until([&] { return client->engine() || client->wants_close(); });
    return client;
  }

  std::unique_ptr<client_connection> connect_plain(std::uint16_t port, std::string_view alpn) {
    auto client = make_client_connection(alpn, client_options{});
    int fd = test::connect_loopback(port);
    EXPECT_GE(fd, 0);
    loop_.attach(fd, *client);
    return client;
  }

  bool wait_for(const outcome& result) {
    return loop_.run_until([&] { return result.done; });
  }

  static inline test::temp_dir* dir_ = nullptr;
  static inline test::test_pki pki_;
  static inline test::test_pki other_;
  test::tcp_listener listener_;
  test::engine_loop loop_;
  std::unique_ptr<test::child_process> nghttpd_;
};

TEST_F(client_peers_test, posts_to_nghttpd_over_tls_with_alpn_h2) {
  auto port = start_nghttpd();
  auto client = connect_tls(port, "localhost");
  ASSERT_NE(client->engine(), nullptr) << (loop_.errors().empty() ? "" : loop_.errors()[0]);
  EXPECT_EQ(client->session().alpn(), "h2");
  EXPECT_EQ(client->engine()->version(), http_version::http2);
  outcome result;
  ASSERT_TRUE(client->engine()->submit(post("/index.html", "{\"uplink\":1}"), record_into(result)));
  ASSERT_TRUE(wait_for(result));
  ASSERT_FALSE(result.err) << result.err.message();
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "hello from nghttpd\n");
  EXPECT_EQ(result.header_value("server").rfind("nghttpd", 0), 0u);
}

TEST_F(client_peers_test, runs_many_concurrent_streams_against_nghttpd) {
  auto port = start_nghttpd();
  auto client = connect_tls(port, "127.0.0.1");
  ASSERT_NE(client->engine(), nullptr);
  std::vector<outcome> results(50);
  for (auto& result : results) {
    ASSERT_TRUE(client->engine()->submit(post("/index.html", "x"), record_into(result)));
  }
  EXPECT_EQ(client->engine()->in_flight(), 50u);
  ASSERT_TRUE(loop_.run_until([&] { return client->engine()->in_flight() == 0; }));
  for (const auto& result : results) EXPECT_EQ(result.status, 200);
}

TEST_F(client_peers_test, counts_in_flight_against_the_limit_nghttpd_advertises) {
  auto port = start_nghttpd(false, nullptr, {"-m", "3"});
  auto client = connect_tls(port, "localhost");
  ASSERT_NE(client->engine(), nullptr);
  auto* h2 = static_cast<h2_client_connection*>(client->engine());
  ASSERT_TRUE(loop_.run_until([&] { return h2->peer_max_concurrent_streams() == 3; }));
  std::vector<outcome> results(3);
  for (auto& result : results) ASSERT_TRUE(h2->submit(post("/index.html", ""), record_into(result)));
  EXPECT_FALSE(h2->can_submit());
  outcome extra;
  EXPECT_EQ(h2->submit(post("/index.html", ""), record_into(extra)).error_value().code(),
            error_code::busy);
  ASSERT_TRUE(loop_.run_until([&] { return h2->can_submit(); }));
}

TEST_F(client_peers_test, speaks_h2c_to_nghttpd_with_prior_knowledge) {
  auto port = start_nghttpd(true);
  auto client = connect_plain(port, "h2");
  outcome result;
  auto req = post("/index.html", "plain");
  client->submit(req, record_into(result));
  ASSERT_TRUE(wait_for(result));
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "hello from nghttpd\n");
}

TEST_F(client_peers_test, reports_a_certificate_from_an_untrusted_ca_without_crashing) {
  auto port = start_nghttpd(false, &other_);
  auto client = connect_tls(port, "localhost");
  EXPECT_EQ(client->engine(), nullptr);
  EXPECT_TRUE(client->wants_close());
  ASSERT_TRUE(client->session().failed());
  EXPECT_EQ(client->session().failure().code(), error_code::tls_verification_failed);
  EXPECT_NE(client->session().failure().reason().find("unable to get local issuer"),
            std::string::npos)
      << client->session().failure().reason();
  ASSERT_TRUE(loop_.run_until_all_closed());
}

TEST_F(client_peers_test, reports_a_wrong_host_name_without_crashing) {
  serve(true);
  auto client = connect_tls(listener_.port(), "as.example.com");
  EXPECT_EQ(client->engine(), nullptr);
  EXPECT_EQ(client->session().failure().code(), error_code::tls_verification_failed);
  EXPECT_NE(client->session().failure().reason().find("hostname mismatch"), std::string::npos)
      << client->session().failure().reason();
  ASSERT_TRUE(loop_.run_until_all_closed());
  // The server saw the client's alert as a failed handshake.
  ASSERT_EQ(loop_.errors().size(), 2u);
}

TEST_F(client_peers_test, h2_client_talks_to_our_server_over_tls) {
  serve(true);
  auto client = connect_tls(listener_.port(), "localhost");
  ASSERT_NE(client->engine(), nullptr);
  EXPECT_EQ(client->engine()->version(), http_version::http2);
  std::vector<outcome> results(20);
  for (std::size_t i = 0; i < results.size(); ++i) {
    client->engine()->submit(post("/r?i=" + std::to_string(i), "b"), record_into(results[i]));
  }
  ASSERT_TRUE(loop_.run_until([&] { return client->engine()->in_flight() == 0; }));
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].body, "POST /r?i=" + std::to_string(i) + " b");
  }
}

TEST_F(client_peers_test, h1_client_talks_to_our_server_over_tls_when_alpn_says_http1) {
  serve(true);
  tls_client_config config;
  config.alpn = {"http/1.1"};
  auto client = connect_tls(listener_.port(), "localhost", config);
  ASSERT_NE(client->engine(), nullptr);
  EXPECT_EQ(client->engine()->version(), http_version::http1);
  for (int i = 0; i < 3; ++i) {
    outcome result;
    ASSERT_TRUE(client->engine()->submit(post("/h1", std::to_string(i)), record_into(result)));
    ASSERT_TRUE(wait_for(result));
    EXPECT_EQ(result.body, "POST /h1 " + std::to_string(i));
  }
  EXPECT_EQ(loop_.accepted(), 1u) << "one kept-alive connection";
}

TEST_F(client_peers_test, h1_client_talks_to_our_server_over_plain_http) {
  serve(false);
  auto client = connect_plain(listener_.port(), "");
  outcome result;
  client->submit(post("/plain?q=1", "body"), record_into(result));
  ASSERT_TRUE(wait_for(result));
  EXPECT_EQ(result.body, "POST /plain?q=1 body");
}

TEST_F(client_peers_test, h1_client_reads_python_http_server_answers) {
  std::uint16_t port = test::free_port();
  test::child_process python({"python3", "-m", "http.server", "--bind", "127.0.0.1", "-d",
                              dir_->path(), std::to_string(port)});
  ASSERT_TRUE(test::wait_for_port(port)) << python.errors();
  auto client = connect_plain(port, "http/1.1");
  client_request req;
  req.method = "GET";
  req.authority = "127.0.0.1";
  req.path = "/index.html";
  outcome result;
  client->submit(req, record_into(result));
  ASSERT_TRUE(wait_for(result));
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "hello from nghttpd\n");
  EXPECT_TRUE(client->needs_new_connection()) << "an HTTP/1.0 answer ends the connection";
  ASSERT_TRUE(loop_.run_until_all_closed());
}

TEST_F(client_peers_test, goaway_from_our_server_lets_open_requests_finish_and_refuses_new_ones) {
  std::vector<std::pair<http_server_connection*, stream_id>> waiting;
  serve(true, [&](http_server_connection& connection, const request& req) {
    waiting.emplace_back(&connection, req.stream);
  });
  auto client = connect_tls(listener_.port(), "localhost");
  ASSERT_NE(client->engine(), nullptr);
  outcome open;
  client->engine()->submit(post("/open", ""), record_into(open));
  ASSERT_TRUE(loop_.run_until([&] { return waiting.size() == 1; }));
  waiting[0].first->shutdown();
  auto* h2 = static_cast<h2_client_connection*>(client->engine());
  ASSERT_TRUE(loop_.run_until([&] { return h2->goaway_received(); }));
  EXPECT_TRUE(h2->needs_new_connection());
  outcome refused;
  EXPECT_EQ(h2->submit(post("/new", ""), record_into(refused)).error_value().code(),
            error_code::going_away);
  waiting[0].first->respond(waiting[0].second, 200, {}, "finished after GOAWAY");
  ASSERT_TRUE(wait_for(open));
  EXPECT_EQ(open.body, "finished after GOAWAY");
  ASSERT_TRUE(loop_.run_until_all_closed()) << "both sides close once nothing is open";
}

TEST_F(client_peers_test, fails_in_flight_requests_when_the_server_connection_dies) {
  std::vector<std::pair<http_server_connection*, stream_id>> waiting;
  serve(false, [&](http_server_connection& connection, const request& req) {
    waiting.emplace_back(&connection, req.stream);
  });
  auto client = connect_plain(listener_.port(), "h2");
  outcome result;
  client->submit(post("/never", ""), record_into(result));
  ASSERT_TRUE(loop_.run_until([&] { return waiting.size() == 1; }));
  waiting[0].first->close();
  ASSERT_TRUE(wait_for(result));
  EXPECT_TRUE(result.err);
  EXPECT_FALSE(result.err.retryable()) << result.err.message();
}

}  // namespace
}  // namespace tr::transport
