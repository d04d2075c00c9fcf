// tls_session with ciphertext cut anywhere, sessions moved while bytes are pending, and a peer
// that ends with close_notify followed by more bytes or sends broken records.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/transport/tls_pump.hpp"
#include "transport/http_types.hpp"
#include "transport/tls_context.hpp"
#include "transport/tls_session.hpp"

namespace tr::transport {
namespace {

class tls_session_review_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::temp_dir;
    pki_ = test::make_test_pki(dir_->path(), "trusted");
  }
  static void TearDownTestSuite() { delete dir_; }

  void SetUp() override {
    auto server_context = tls_context::server({pki_.cert_file, pki_.key_file, {"h2"}});
    auto client_context = tls_context::client({pki_.ca_file, false, true, {"h2"}});
    ASSERT_TRUE(server_context && client_context);
    auto server = server_context->accept();
    auto client = client_context->connect("localhost");
    ASSERT_TRUE(server && client);
    server_.emplace(std::move(*server));
    client_.emplace(std::move(*client));
  }

  static error pump(tls_session& client, tls_session& server) {
    return testing::pump(client, server);
  }

  /// The server's pending ciphertext, taken.
  std::string take_server_ciphertext() {
    std::string out{as_text(server_->pending_ciphertext())};
    server_->consume_ciphertext(out.size());
    return out;
  }

  static inline test::temp_dir* dir_ = nullptr;
  static inline test::test_pki pki_;
  std::optional<tls_session> server_;
  std::optional<tls_session> client_;
};

TEST_F(tls_session_review_test, handshake_and_records_cut_into_single_bytes) {
  // Every flight and record arrives one byte per receive() call.
  for (int round = 0; round < 20; ++round) {
    bool moved = false;
    std::string out{as_text(client_->pending_ciphertext())};
    client_->consume_ciphertext(out.size());
    for (char c : out) ASSERT_FALSE(server_->receive(as_bytes(std::string_view{&c, 1})));
    moved = moved || !out.empty();
    out = take_server_ciphertext();
    for (char c : out) ASSERT_FALSE(client_->receive(as_bytes(std::string_view{&c, 1})));
    moved = moved || !out.empty();
    if (!moved) break;
  }
  ASSERT_TRUE(client_->handshake_done() && server_->handshake_done());
  std::string big(40000, 'q');
  ASSERT_FALSE(server_->send(as_bytes(big)));
  std::string out = take_server_ciphertext();
  for (char c : out) ASSERT_FALSE(client_->receive(as_bytes(std::string_view{&c, 1})));
  EXPECT_EQ(as_text(client_->plaintext()), big);
}

TEST_F(tls_session_review_test, close_notify_followed_by_more_bytes_is_a_clean_end) {
  ASSERT_FALSE(pump(*client_, *server_));
  ASSERT_FALSE(server_->send(as_bytes("last words")));
  server_->shutdown();
  std::string out = take_server_ciphertext() + "trailing garbage after close_notify";
  EXPECT_FALSE(client_->receive(as_bytes(out)));
  EXPECT_EQ(as_text(client_->plaintext()), "last words");
  EXPECT_TRUE(client_->peer_closed());
  EXPECT_FALSE(client_->failed());
  EXPECT_FALSE(client_->receive(as_bytes("and more")));
  EXPECT_EQ(as_text(client_->plaintext()), "last words");
}

TEST_F(tls_session_review_test, close_notify_split_across_calls_is_a_clean_end) {
  ASSERT_FALSE(pump(*client_, *server_));
  server_->shutdown();
  std::string out = take_server_ciphertext();
  ASSERT_GT(out.size(), 2u);
  EXPECT_FALSE(client_->receive(as_bytes(out.substr(0, 2))));
  EXPECT_FALSE(client_->peer_closed());
  EXPECT_FALSE(client_->receive(as_bytes(out.substr(2))));
  EXPECT_TRUE(client_->peer_closed());
}

TEST_F(tls_session_review_test, a_session_moved_in_the_middle_of_a_record_reads_the_rest) {
  ASSERT_FALSE(pump(*client_, *server_));
  ASSERT_FALSE(server_->send(as_bytes("across a move")));
  std::string out = take_server_ciphertext();
  ASSERT_FALSE(client_->receive(as_bytes(out.substr(0, out.size() / 2))));
  EXPECT_TRUE(client_->plaintext().empty());
  tls_session moved{std::move(*client_)};
  client_.reset();
  ASSERT_FALSE(moved.receive(as_bytes(out.substr(out.size() / 2))));
  EXPECT_EQ(as_text(moved.plaintext()), "across a move");
  // And it still writes: its BIO follows the move.
  ASSERT_FALSE(moved.send(as_bytes("reply")));
  ASSERT_FALSE(server_->receive(moved.pending_ciphertext()));
  EXPECT_EQ(as_text(server_->plaintext()), "reply");
}

TEST_F(tls_session_review_test, a_session_moved_with_unread_plaintext_and_ciphertext_keeps_both) {
  ASSERT_FALSE(pump(*client_, *server_));
  ASSERT_FALSE(server_->send(as_bytes("unread")));
  ASSERT_FALSE(client_->receive(as_bytes(take_server_ciphertext())));
  ASSERT_FALSE(client_->send(as_bytes("unsent")));
  // Move-assigned over another live session.
  auto other_context = tls_context::client({pki_.ca_file, false, true, {"h2"}});
  auto other = other_context->connect("localhost");
  ASSERT_TRUE(other);
  *other = std::move(*client_);
  EXPECT_EQ(as_text(other->plaintext()), "unread");
  ASSERT_FALSE(server_->receive(other->pending_ciphertext()));
  EXPECT_EQ(as_text(server_->plaintext()), "unsent");
  // The moved-from session holds nothing.
  EXPECT_TRUE(client_->plaintext().empty());
  EXPECT_TRUE(client_->pending_ciphertext().empty());
}

TEST_F(tls_session_review_test, a_corrupted_record_fails_with_a_tls_error_and_an_alert) {
  ASSERT_FALSE(pump(*client_, *server_));
  ASSERT_FALSE(server_->send(as_bytes("data")));
  std::string out = take_server_ciphertext();
  out[out.size() - 3] ^= 0x55;
  error err = client_->receive(as_bytes(out));
  ASSERT_TRUE(err);
  EXPECT_EQ(err.code(), error_code::tls_error);
  EXPECT_FALSE(client_->pending_ciphertext().empty()) << "an alert for the peer";
  EXPECT_TRUE(client_->receive(as_bytes("x")));
  EXPECT_TRUE(client_->send(as_bytes("x")));
  EXPECT_TRUE(client_->plaintext().empty());
}

TEST_F(tls_session_review_test, a_record_header_announcing_too_much_fails) {
  ASSERT_FALSE(pump(*client_, *server_));
  // application_data, TLS 1.2 version, length 0xffff (above 2^14 + 256).
  error err = client_->receive(as_bytes(std::string_view{"\x17\x03\x03\xff\xff", 5}));
  EXPECT_TRUE(err);
}

TEST_F(tls_session_review_test, send_after_shutdown_fails_and_shutdown_is_sent_once) {
  ASSERT_FALSE(pump(*client_, *server_));
  client_->shutdown();
  std::size_t size = client_->pending_ciphertext().size();
  EXPECT_GT(size, 0u);
  client_->shutdown();
  EXPECT_EQ(client_->pending_ciphertext().size(), size);
  EXPECT_TRUE(client_->send(as_bytes("late")));
}

TEST_F(tls_session_review_test, the_session_still_reads_after_sending_close_notify) {
  ASSERT_FALSE(pump(*client_, *server_));
  client_->shutdown();
  ASSERT_FALSE(server_->receive(client_->pending_ciphertext()));
  client_->consume_ciphertext(client_->pending_ciphertext().size());
  ASSERT_TRUE(server_->peer_closed());
  ASSERT_FALSE(server_->send(as_bytes("the answer")));
  ASSERT_FALSE(client_->receive(as_bytes(take_server_ciphertext())));
  EXPECT_EQ(as_text(client_->plaintext()), "the answer");
}

}  // namespace
}  // namespace tr::transport
