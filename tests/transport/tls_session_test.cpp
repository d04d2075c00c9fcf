#include "transport/tls_session.hpp"

#include <gtest/gtest.h>
#include <malloc.h>
#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/transport/tls_pump.hpp"
#include "transport/h2_client_connection.hpp"
#include "transport/http_types.hpp"
#include "transport/tls_connection.hpp"
#include "transport/tls_context.hpp"

namespace tr::transport {
namespace {

class tls_session_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::temp_dir;
    trusted_ = test::make_test_pki(dir_->path(), "trusted");
    untrusted_ = test::make_test_pki(dir_->path(), "untrusted");
  }
  static void TearDownTestSuite() { delete dir_; }

  static tls_context server_context(const test::test_pki& pki,
                                    std::vector<std::string> alpn = {"h2", "http/1.1"}) {
    auto context = tls_context::server({pki.cert_file, pki.key_file, std::move(alpn)});
    EXPECT_TRUE(context) << context.error_value().message();
    return *context;
  }

  static tls_context client_context(std::vector<std::string> alpn = {"h2", "http/1.1"}) {
    auto context = tls_context::client({trusted_.ca_file, false, true, std::move(alpn)});
    EXPECT_TRUE(context) << context.error_value().message();
    return *context;
  }

  static error pump(tls_session& client, tls_session& server) {
    return testing::pump(client, server);
  }

  static inline test::temp_dir* dir_ = nullptr;
  static inline test::test_pki trusted_;
  static inline test::test_pki untrusted_;
};

TEST_F(tls_session_test, completes_a_handshake_in_memory_and_agrees_on_h2) {
  auto server = server_context(trusted_).accept();
  auto client = client_context().connect("localhost");
  ASSERT_TRUE(server && client);
  EXPECT_FALSE(client->pending_ciphertext().empty()) << "the ClientHello is pending at once";
  EXPECT_FALSE(pump(*client, *server));
  EXPECT_TRUE(client->handshake_done());
  EXPECT_TRUE(server->handshake_done());
  EXPECT_EQ(client->alpn(), "h2");
  EXPECT_EQ(server->alpn(), "h2");
}

TEST_F(tls_session_test, a_server_that_wants_finite_field_groups_gets_no_handshake) {
  // ffdhe8192 would cost the shard ~150 ms a handshake: the router offers elliptic curves only.
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  ASSERT_NE(raw, nullptr);
  ASSERT_EQ(SSL_CTX_set1_groups_list(raw, "ffdhe8192:ffdhe4096"), 1);
  ASSERT_EQ(SSL_CTX_use_certificate_chain_file(raw, trusted_.cert_file.c_str()), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey_file(raw, trusted_.key_file.c_str(), SSL_FILETYPE_PEM), 1);
  SSL* server = SSL_new(raw);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(server, in, out);
  SSL_set_accept_state(server);
  auto client = client_context().connect("localhost");
  ASSERT_TRUE(client);
  error failure;
  int server_result = 0;
  for (int round = 0; round < 10 && !failure; ++round) {
    auto hello = client->pending_ciphertext();
    if (!hello.empty()) {
      BIO_write(in, hello.data(), static_cast<int>(hello.size()));
      client->consume_ciphertext(hello.size());
    }
    server_result = SSL_do_handshake(server);
    char buffer[16384];
    int n = BIO_read(out, buffer, sizeof buffer);
    if (n > 0)
      failure = client->receive(std::as_bytes(std::span{buffer, static_cast<std::size_t>(n)}));
    if (n <= 0 && hello.empty()) break;
  }
  EXPECT_NE(server_result, 1) << "the server found a shared group";
  EXPECT_FALSE(client->handshake_done());
  SSL_free(server);
  SSL_CTX_free(raw);
}

TEST_F(tls_session_test, an_http2_connection_error_still_sends_its_goaway_then_close_notify) {
  auto server = server_context(trusted_).accept();
  auto session = client_context({"h2"}).connect("localhost");
  ASSERT_TRUE(server && session);
  tls_connection<client_connection> client{
      std::move(*session), [](std::string_view) {
        return std::unique_ptr<client_connection>{new h2_client_connection{client_options{}}};
      }};
  // The handshake, by hand: the layer's output is the session's ciphertext.
  for (int round = 0; round < 10; ++round) {
    auto out = client.pending_output();
    if (!out.empty()) {
      ASSERT_FALSE(server->receive(out));
      client.consume_output(out.size());
    }
    auto back = server->pending_ciphertext();
    if (back.empty() && out.empty()) break;
    ASSERT_FALSE(client.receive(back));
    server->consume_ciphertext(back.size());
  }
  ASSERT_NE(client.engine(), nullptr);
  auto drain = [&] {
    auto out = client.pending_output();
    server->receive(out);
    client.consume_output(out.size());
    std::string text{as_text(server->plaintext())};
    server->consume_plaintext(text.size());
    return text;
  };
  drain();  // the preface and SETTINGS
  // A WINDOW_UPDATE on a stream never opened: a connection error of the HTTP/2 engine.
  const char update[] = {0, 0, 4, 8, 0, 0, 0, 0, 9, 0, 0, 0, 1};
  ASSERT_FALSE(server->send(as_bytes(std::string_view{update, sizeof update})));
  auto ciphertext = server->pending_ciphertext();
  EXPECT_TRUE(client.receive(ciphertext));
  server->consume_ciphertext(ciphertext.size());
  EXPECT_TRUE(client.wants_close());
  auto said = drain();
  ASSERT_GE(said.size(), 9u + 8u);
  EXPECT_EQ(static_cast<std::uint8_t>(said[3]), 7) << "a GOAWAY";
  EXPECT_TRUE(server->peer_closed()) << "then close_notify";
}

TEST_F(tls_session_test, carries_plaintext_both_ways_after_the_handshake) {
  auto server = server_context(trusted_).accept();
  auto client = client_context().connect("localhost");
  ASSERT_FALSE(pump(*client, *server));
  ASSERT_FALSE(client->send(as_bytes("hello from the client")));
  ASSERT_FALSE(pump(*client, *server));
  EXPECT_EQ(as_text(server->plaintext()), "hello from the client");
  server->consume_plaintext(server->plaintext().size());
  ASSERT_FALSE(server->send(as_bytes("and back")));
  ASSERT_FALSE(pump(*client, *server));
  EXPECT_EQ(as_text(client->plaintext()), "and back");
}

// Many idle TLS connections must not each hold the buffers of their busiest moment: after
// 64 KiB each way, the sessions hold what they held after the handshake (glibc's count of bytes
// in use, over 64 connection pairs).
TEST_F(tls_session_test, an_idle_session_holds_no_buffers_of_its_past_traffic) {
  auto server_side = server_context(trusted_);
  auto client_side = client_context();
  constexpr int pairs = 64;
  std::vector<std::optional<tls_session>> servers, clients;
  for (int i = 0; i < pairs; ++i) {
    auto server = server_side.accept();
    auto client = client_side.connect("localhost");
    ASSERT_TRUE(server && client);
    servers.emplace_back(std::move(*server));
    clients.emplace_back(std::move(*client));
    ASSERT_FALSE(pump(*clients.back(), *servers.back()));
    ASSERT_TRUE(servers.back()->handshake_done());
  }
  auto in_use = [] { return static_cast<std::int64_t>(mallinfo2().uordblks); };
  std::int64_t after_handshakes = in_use();
  std::string traffic(64 << 10, 't');
  for (int i = 0; i < pairs; ++i) {
    ASSERT_FALSE(clients[i]->send(as_bytes(traffic)));
    ASSERT_FALSE(servers[i]->send(as_bytes(traffic)));
    ASSERT_FALSE(pump(*clients[i], *servers[i]));
    ASSERT_EQ(servers[i]->plaintext().size(), traffic.size());
    ASSERT_EQ(clients[i]->plaintext().size(), traffic.size());
    servers[i]->consume_plaintext(traffic.size());
    clients[i]->consume_plaintext(traffic.size());
  }
  std::int64_t grown_per_pair = (in_use() - after_handshakes) / pairs;
  EXPECT_LT(grown_per_pair, 4096) << "bytes kept per idle connection pair after its traffic";
}

TEST_F(tls_session_test, agrees_on_http1_when_the_client_offers_only_http1) {
  auto server = server_context(trusted_).accept();
  auto client = client_context({"http/1.1"}).connect("localhost");
  ASSERT_FALSE(pump(*client, *server));
  EXPECT_EQ(client->alpn(), "http/1.1");
}

TEST_F(tls_session_test, completes_without_alpn_when_no_protocol_is_shared) {
  auto server = server_context(trusted_, {"h2"}).accept();
  auto client = client_context({"http/1.1"}).connect("localhost");
  ASSERT_FALSE(pump(*client, *server));
  EXPECT_TRUE(client->handshake_done());
  EXPECT_EQ(client->alpn(), "");
}

TEST_F(tls_session_test, accepts_the_ip_address_named_in_the_certificate) {
  auto server = server_context(trusted_).accept();
  auto client = client_context().connect("127.0.0.1");
  EXPECT_FALSE(pump(*client, *server));
  EXPECT_TRUE(client->handshake_done());
}

TEST_F(tls_session_test, reports_a_certificate_from_an_untrusted_ca_as_a_verification_failure) {
  auto server = server_context(untrusted_).accept();
  auto client = client_context().connect("localhost");
  error err = pump(*client, *server);
  ASSERT_TRUE(err);
  EXPECT_EQ(client->failure().code(), error_code::tls_verification_failed);
  EXPECT_NE(client->failure().reason().find("unable to get local issuer certificate"),
            std::string::npos)
      << client->failure().reason();
  EXPECT_TRUE(server->failed()) << "the server learns it from the client's alert";
  EXPECT_FALSE(client->handshake_done());
}

TEST_F(tls_session_test, reports_a_wrong_host_name_as_a_verification_failure) {
  auto server = server_context(trusted_).accept();
  auto client = client_context().connect("router.example.com");
  pump(*client, *server);
  ASSERT_TRUE(client->failed());
  EXPECT_EQ(client->failure().code(), error_code::tls_verification_failed);
  EXPECT_NE(client->failure().reason().find("mismatch"), std::string::npos)
      << client->failure().reason();
}

TEST_F(tls_session_test, fails_cleanly_when_the_peer_sends_garbage_instead_of_a_client_hello) {
  auto server = server_context(trusted_).accept();
  error err = server->receive(as_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(err);
  EXPECT_EQ(err.code(), error_code::tls_handshake_failed);
  EXPECT_TRUE(server->receive(as_bytes("more")));
}

TEST_F(tls_session_test, refuses_to_send_before_the_handshake_is_done) {
  auto client = client_context().connect("localhost");
  EXPECT_EQ(client->send(as_bytes("early")).code(), error_code::invalid_argument);
}

TEST_F(tls_session_test, reports_missing_certificate_files_at_set_up) {
  auto context = tls_context::server({dir_->file("missing.pem"), dir_->file("missing-key.pem")});
  ASSERT_FALSE(context);
  EXPECT_EQ(context.error_value().code(), error_code::invalid_argument);
  EXPECT_NE(context.error_value().reason().find("missing.pem"), std::string::npos);
}

TEST_F(tls_session_test, reports_a_missing_ca_bundle_at_set_up) {
  auto context = tls_context::client({dir_->file("no-ca.pem")});
  ASSERT_FALSE(context);
  EXPECT_NE(context.error_value().reason().find("no-ca.pem"), std::string::npos);
}

TEST_F(tls_session_test, sends_close_notify_on_shutdown) {
  auto server = server_context(trusted_).accept();
  auto client = client_context().connect("localhost");
  ASSERT_FALSE(pump(*client, *server));
  client->shutdown();
  pump(*client, *server);
  EXPECT_TRUE(server->peer_closed());
}

}  // namespace
}  // namespace tr::transport
