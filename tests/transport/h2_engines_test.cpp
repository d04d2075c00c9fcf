// HTTP/2 client engine against the HTTP/2 server engine, in memory (no sockets).

#include <gtest/gtest.h>

#include <memory>

#include "tests/support/engine_loop.hpp"
#include "tests/transport/engine_fixtures.hpp"
#include "transport/h2_client_connection.hpp"
#include "transport/http_server_connection.hpp"

namespace tr::transport {
namespace {

using testing::outcome;
using testing::post;
using testing::record_into;

constexpr std::string_view preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

class h2_engines_test : public ::testing::Test {
 protected:
  void make(server_options server_opts = {}, client_options client_opts = {},
            request_handler handler = testing::echo) {
    server_ = std::make_unique<http_server_connection>(server_opts, std::move(handler));
    client_ = std::make_unique<h2_client_connection>(client_opts);
  }
  bool exchange() { return test::exchange(*client_, *server_); }

  std::unique_ptr<http_server_connection> server_;
  std::unique_ptr<h2_client_connection> client_;
};

TEST_F(h2_engines_test, detects_the_preface_and_answers_a_post) {
  make();
  outcome result;
  ASSERT_TRUE(client_->submit(post("/v1/reports?connection=7", "{\"a\":1}"), record_into(result)));
  ASSERT_TRUE(exchange());
  EXPECT_EQ(server_->version(), http_version::http2);
  ASSERT_TRUE(result.done);
  ASSERT_FALSE(result.err) << result.err.message();
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "POST /v1/reports?connection=7 {\"a\":1}");
  EXPECT_EQ(result.header_value("x-echo"), "yes");
  EXPECT_EQ(result.header_value("content-length"), std::to_string(result.body.size()));
  EXPECT_EQ(client_->in_flight(), 0u);
}

TEST_F(h2_engines_test, hands_the_handler_method_path_query_authority_headers_and_body) {
  request seen_copy;
  std::string method, path, query, authority, body, custom;
  make({}, {}, [&](http_server_connection& connection, const request& req) {
    method = req.method;
    path = req.path;
    query = req.query;
    authority = req.authority;
    body = as_text(req.body);
    for (const auto& field : req.headers) {
      if (field.name == "x-custom") custom = field.value;
    }
    connection.respond(req.stream, 204, {}, std::string_view{});
  });
  header fields[] = {{"X-Custom", "42"}};
  auto req = post("/a/b?x=1&y=%2B2", "payload", "as.example.com:8443");
  req.headers = fields;
  outcome result;
  client_->submit(req, record_into(result));
  ASSERT_TRUE(exchange());
  EXPECT_EQ(result.status, 204);
  EXPECT_EQ(method, "POST");
  EXPECT_EQ(path, "/a/b");
  EXPECT_EQ(query, "x=1&y=%2B2");
  EXPECT_EQ(authority, "as.example.com:8443");
  EXPECT_EQ(body, "payload");
  EXPECT_EQ(custom, "42");
}

TEST_F(h2_engines_test, lets_the_application_answer_later_and_out_of_order) {
  std::vector<stream_id> waiting;
  make({}, {}, [&](http_server_connection&, const request& req) { waiting.push_back(req.stream); });
  outcome first, second;
  client_->submit(post("/first", ""), record_into(first));
  client_->submit(post("/second", ""), record_into(second));
  ASSERT_TRUE(exchange());
  ASSERT_EQ(waiting.size(), 2u);
  EXPECT_EQ(server_->open_requests(), 2u);
  EXPECT_FALSE(first.done || second.done);

  ASSERT_FALSE(server_->respond(waiting[1], 200, {}, "second answer"));
  ASSERT_TRUE(exchange());
  EXPECT_TRUE(second.done);
  EXPECT_FALSE(first.done);
  ASSERT_FALSE(server_->respond(waiting[0], 201, {}, "first answer"));
  ASSERT_TRUE(exchange());
  EXPECT_EQ(first.status, 201);
  EXPECT_EQ(first.body, "first answer");
  EXPECT_EQ(server_->open_requests(), 0u);
}

TEST_F(h2_engines_test, refuses_a_second_answer_to_the_same_stream) {
  stream_id id = 0;
  make({}, {}, [&](http_server_connection&, const request& req) { id = req.stream; });
  outcome result;
  client_->submit(post("/", ""), record_into(result));
  ASSERT_TRUE(exchange());
  EXPECT_FALSE(server_->respond(id, 200, {}, "once"));
  EXPECT_EQ(server_->respond(id, 200, {}, "twice").code(), error_code::unknown_stream);
  EXPECT_EQ(server_->respond(999, 200, {}, "never").code(), error_code::unknown_stream);
}

TEST_F(h2_engines_test, answers_an_oversize_body_with_413_and_keeps_the_connection) {
  server_options limits;
  limits.max_body_size = 1000;
  make(limits);
  std::string big(5000, 'x');
  outcome rejected, accepted;
  client_->submit(post("/big", big), record_into(rejected));
  ASSERT_TRUE(exchange());
  ASSERT_TRUE(rejected.done);
  EXPECT_FALSE(rejected.err) << rejected.err.message();
  EXPECT_EQ(rejected.status, 413);
  client_->submit(post("/small", "ok"), record_into(accepted));
  ASSERT_TRUE(exchange());
  EXPECT_EQ(accepted.status, 200);
}

TEST_F(h2_engines_test, answers_an_oversize_header_block_with_431) {
  server_options limits;
  limits.max_header_size = 200;
  make(limits);
  std::string long_value(500, 'v');
  header fields[] = {{"x-long", long_value}};
  auto req = post("/", "");
  req.headers = fields;
  outcome result;
  client_->submit(req, record_into(result));
  ASSERT_TRUE(exchange());
  ASSERT_TRUE(result.done);
  EXPECT_EQ(result.status, 431);
}

TEST_F(h2_engines_test, respects_the_servers_max_concurrent_streams) {
  server_options limits;
  limits.max_concurrent_streams = 2;
  std::vector<stream_id> waiting;
  make(limits, {}, [&](http_server_connection&, const request& req) { waiting.push_back(req.stream); });
  ASSERT_TRUE(exchange());  // SETTINGS both ways
  EXPECT_EQ(client_->peer_max_concurrent_streams(), 2u);
  outcome a, b, c;
  EXPECT_TRUE(client_->submit(post("/a", ""), record_into(a)));
  EXPECT_TRUE(client_->submit(post("/b", ""), record_into(b)));
  EXPECT_FALSE(client_->can_submit());
  auto refused = client_->submit(post("/c", ""), record_into(c));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error_value().code(), error_code::busy);
  ASSERT_TRUE(exchange());
  server_->respond(waiting[0], 200, {}, "");
  ASSERT_TRUE(exchange());
  EXPECT_TRUE(a.done);
  EXPECT_TRUE(client_->can_submit());
}

TEST_F(h2_engines_test, fails_requests_above_the_goaway_last_stream_id_as_retryable) {
  std::vector<stream_id> waiting;
  make({}, {}, [&](http_server_connection&, const request& req) { waiting.push_back(req.stream); });
  outcome before, after;
  client_->submit(post("/before", ""), record_into(before));
  ASSERT_TRUE(exchange());
  server_->shutdown();  // GOAWAY, last stream id 1
  client_->submit(post("/after", ""), record_into(after));
  ASSERT_TRUE(exchange());
  EXPECT_TRUE(client_->goaway_received());
  ASSERT_TRUE(after.done);
  EXPECT_EQ(after.err.code(), error_code::refused);
  EXPECT_TRUE(after.err.retryable());
  EXPECT_FALSE(client_->can_submit());
  EXPECT_EQ(client_->submit(post("/later", ""), record_into(after)).error_value().code(),
            error_code::going_away);
  // The request below the last stream id still gets its answer.
  ASSERT_EQ(waiting.size(), 1u);
  server_->respond(waiting[0], 200, {}, "still served");
  ASSERT_TRUE(exchange());
  EXPECT_EQ(before.status, 200);
  EXPECT_EQ(before.body, "still served");
  EXPECT_TRUE(server_->wants_close());
  EXPECT_TRUE(client_->wants_close());
}

TEST_F(h2_engines_test, reports_stream_id_exhaustion_as_needing_a_new_connection) {
  client_options options;
  options.first_stream_id = 0x7fffffff;
  make({}, options);
  outcome last, beyond;
  auto id = client_->submit(post("/last", ""), record_into(last));
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, 0x7fffffff);
  EXPECT_TRUE(client_->needs_new_connection());
  EXPECT_FALSE(client_->can_submit());
  auto refused = client_->submit(post("/beyond", ""), record_into(beyond));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error_value().code(), error_code::streams_exhausted);
  ASSERT_TRUE(exchange());
  EXPECT_EQ(last.status, 200);
  EXPECT_TRUE(client_->wants_close());
}

TEST_F(h2_engines_test, cancel_resets_the_stream_and_completes_it_at_once) {
  std::vector<stream_id> waiting;
  make({}, {}, [&](http_server_connection&, const request& req) { waiting.push_back(req.stream); });
  outcome result;
  auto id = client_->submit(post("/slow", ""), record_into(result));
  ASSERT_TRUE(exchange());
  client_->cancel(*id);
  ASSERT_TRUE(result.done);
  EXPECT_EQ(result.err.code(), error_code::cancelled);
  ASSERT_TRUE(exchange());
  EXPECT_EQ(server_->open_requests(), 0u);
  EXPECT_EQ(server_->respond(waiting[0], 200, {}, "too late").code(), error_code::unknown_stream);
}

TEST_F(h2_engines_test, server_closes_with_goaway_on_a_broken_frame) {
  make();
  std::string bytes{preface};
  bytes += std::string("\x00\x00\x04\x09\x00\x00\x00\x00\x01garb", 13);  // CONTINUATION out of place
  auto err = server_->receive(as_bytes(bytes));
  EXPECT_EQ(err.code(), error_code::protocol_error);
  auto out = server_->pending_output();
  // Walk the frames: the last is a GOAWAY (type 7) with PROTOCOL_ERROR (1).
  int last_type = -1, last_code = -1;
  for (std::size_t at = 0; at + 9 <= out.size();) {
    std::size_t length = (std::size_t(out[at]) << 16) | (std::size_t(out[at + 1]) << 8) |
                         std::size_t(out[at + 2]);
    last_type = static_cast<int>(out[at + 3]);
    if (last_type == 7) last_code = static_cast<int>(out[at + 9 + 7]);
    at += 9 + length;
  }
  EXPECT_EQ(last_type, 7);
  EXPECT_EQ(last_code, 1);
  server_->consume_output(out.size());
  EXPECT_TRUE(server_->wants_close());
}

TEST_F(h2_engines_test, client_fails_in_flight_requests_when_the_connection_drops) {
  make({}, {}, [](http_server_connection&, const request&) {});
  outcome result;
  client_->submit(post("/", ""), record_into(result));
  ASSERT_TRUE(exchange());
  client_->receive_eof();
  ASSERT_TRUE(result.done);
  EXPECT_EQ(result.err.code(), error_code::connection_closed);
  EXPECT_FALSE(result.err.retryable());
  EXPECT_TRUE(client_->wants_close());
}

TEST_F(h2_engines_test, client_reports_requests_never_sent_as_retryable_on_close) {
  make();
  outcome result;
  client_->submit(post("/", "body"), record_into(result));
  client_->close();  // before any byte went out
  ASSERT_TRUE(result.done);
  EXPECT_TRUE(result.err.retryable()) << result.err.message();
}

TEST_F(h2_engines_test, reuses_stream_state_across_many_requests) {
  make();
  for (int i = 0; i < 500; ++i) {
    outcome result;
    client_->submit(post("/n", std::to_string(i)), record_into(result));
    ASSERT_TRUE(exchange());
    ASSERT_EQ(result.body, "POST /n " + std::to_string(i));
  }
}

}  // namespace
}  // namespace tr::transport
