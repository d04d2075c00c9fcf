// HTTP/1.1 server and client engines, in memory (no sockets).

#include <gtest/gtest.h>

#include <memory>

#include "tests/support/engine_loop.hpp"
#include "tests/transport/engine_fixtures.hpp"
#include "transport/h1_client_connection.hpp"
#include "transport/http_server_connection.hpp"

namespace tr::transport {
namespace {

using testing::outcome;
using testing::post;
using testing::record_into;

// The server side alone, fed raw bytes.
class h1_server_test : public ::testing::Test {
 protected:
  void make(server_options options = {}, request_handler handler = testing::echo) {
    server_ = std::make_unique<http_server_connection>(options, std::move(handler));
  }
  void make_deferred(server_options options = {}) {
    make(options,
         [this](http_server_connection&, const request& req) { waiting_.push_back(req.stream); });
  }
  std::string take_output() {
    auto out = server_->pending_output();
    std::string text{as_text(out)};
    server_->consume_output(out.size());
    return text;
  }
  error feed(std::string_view bytes) { return server_->receive(as_bytes(bytes)); }

  std::unique_ptr<http_server_connection> server_;
  std::vector<stream_id> waiting_;
};

TEST_F(h1_server_test, answers_a_get_and_keeps_the_connection_alive) {
  make();
  ASSERT_FALSE(feed("GET /healthz?full=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  EXPECT_EQ(server_->version(), http_version::http1);
  std::string out = take_output();
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("content-length: 19\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\nGET /healthz?full=1"), std::string::npos) << out;
  EXPECT_EQ(out.find("connection: close"), std::string::npos);
  EXPECT_FALSE(server_->wants_close());
}

TEST_F(h1_server_test, answers_pipelined_requests_in_request_order_whatever_the_answer_order) {
  make_deferred();
  ASSERT_FALSE(
      feed("POST /one HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n1"
           "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n2"));
  ASSERT_EQ(waiting_.size(), 2u);
  ASSERT_FALSE(server_->respond(waiting_[1], 200, {}, "second"));
  EXPECT_EQ(take_output(), "") << "the second answer waits for the first";
  ASSERT_FALSE(server_->respond(waiting_[0], 200, {}, "first"));
  std::string out = take_output();
  auto first = out.find("first");
  auto second = out.find("second");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
}

TEST_F(h1_server_test, stops_parsing_while_every_pipeline_slot_waits_for_an_answer) {
  server_options options;
  options.max_concurrent_streams = 1;
  make_deferred(options);
  ASSERT_FALSE(
      feed("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
           "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n"));
  ASSERT_EQ(waiting_.size(), 1u);
  server_->respond(waiting_[0], 200, {}, "a");
  ASSERT_EQ(waiting_.size(), 2u) << "answering frees the slot and parsing resumes";
  server_->respond(waiting_[1], 200, {}, "b");
  ASSERT_EQ(waiting_.size(), 3u);
  server_->respond(waiting_[2], 200, {}, "c");
  std::string out = take_output();
  EXPECT_LT(out.find("\r\n\r\na"), out.find("\r\n\r\nb"));
  EXPECT_LT(out.find("\r\n\r\nb"), out.find("\r\n\r\nc"));
}

TEST_F(h1_server_test, answers_a_declared_oversize_body_with_413_and_closes_after_reading_it) {
  server_options options;
  options.max_body_size = 10;
  make(options);
  ASSERT_FALSE(feed("POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n0123456789"));
  std::string out = take_output();
  EXPECT_EQ(out.rfind("HTTP/1.1 413 Payload Too Large\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("connection: close"), std::string::npos);
  EXPECT_FALSE(server_->wants_close()) << "the rest of the body is read first";
  ASSERT_FALSE(feed("0123456789"));
  EXPECT_TRUE(server_->wants_close());
}

TEST_F(h1_server_test, answers_an_oversize_chunked_body_with_413) {
  server_options options;
  options.max_body_size = 10;
  make(options);
  feed(
      "POST /big HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n");
  EXPECT_EQ(take_output().rfind("HTTP/1.1 413 ", 0), 0u);
  EXPECT_TRUE(server_->wants_close());
}

TEST_F(h1_server_test, answers_413_at_once_to_a_client_waiting_for_100_continue) {
  server_options options;
  options.max_body_size = 10;
  make(options);
  feed("POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(take_output().rfind("HTTP/1.1 413 ", 0), 0u);
  EXPECT_TRUE(server_->wants_close());
}

TEST_F(h1_server_test, tells_a_client_waiting_for_100_continue_to_go_on) {
  make();
  feed("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(take_output(), "HTTP/1.1 100 Continue\r\n\r\n");
  feed("ok");
  EXPECT_NE(take_output().find("POST /x ok"), std::string::npos);
}

// Smuggling: a coding folded onto the next line, or listed, would let two parsers disagree on
// where the body ends.
TEST_F(h1_server_test, refuses_a_transfer_encoding_other_than_exactly_chunked) {
  for (const char* field :
       {"Transfer-Encoding: gzip\r\n chunked", "Transfer-Encoding: gzip, chunked",
        "Transfer-Encoding: chunked\r\n\tgzip"}) {
    make();
    auto err = feed(std::string{"POST / HTTP/1.1\r\nHost: a\r\n"} + field + "\r\n\r\n0\r\n\r\n");
    EXPECT_TRUE(err) << field;
    std::string out = take_output();
    EXPECT_EQ(out.rfind("HTTP/1.1 400 ", 0), 0u) << field << ": " << out;
    EXPECT_TRUE(server_->wants_close());
  }
  make();
  feed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
  EXPECT_NE(take_output().find("POST / ok"), std::string::npos);
}

// Smuggling again: http_parser takes any byte where CR LF must end chunk data, a size line or
// the trailer section, so a front end and the router could split the same bytes differently.
TEST_F(h1_server_test, refuses_a_chunked_body_whose_framing_is_not_cr_lf) {
  const std::string head = "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const char* body :
       {"5\r\nhelloXX0\r\n\r\n", "5\r\nhello\rX0\r\n\r\n", "5\r\nhello\n0\r\n\r\n",
        "5\rXhello\r\n0\r\n\r\n", "5\r\nhello\r\n0\r\n\rX", "5\r\nhello\r\n0\r\nA: b\rX\r\n",
        "5;x\ny\r\nhello\r\n0\r\n\r\n"}) {
    make();
    auto err = feed(head + body);
    EXPECT_EQ(err.code(), error_code::protocol_error) << body;
    std::string out = take_output();
    EXPECT_EQ(out.rfind("HTTP/1.1 400 ", 0), 0u) << body << ": " << out;
    EXPECT_NE(out.find("chunked"), std::string::npos) << out;
    EXPECT_EQ(out.find("POST /x hello"), std::string::npos) << "never dispatched: " << out;
    EXPECT_TRUE(server_->wants_close());
  }
}

TEST_F(h1_server_test, reads_well_framed_chunked_bodies_split_anywhere_and_pipelined) {
  const std::string request =
      "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n1 \r\n!\r\n0\r\nTrailer-A: b\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\nok\r\n0\r\n\r\n";
  for (std::size_t step : {request.size(), std::size_t{1}, std::size_t{3}, std::size_t{7}}) {
    make();
    for (std::size_t at = 0; at < request.size(); at += step)
      ASSERT_FALSE(feed(std::string_view{request}.substr(at, step))) << "step " << step;
    std::string out = take_output();
    EXPECT_NE(out.find("POST /a hello!"), std::string::npos) << step << ": " << out;
    EXPECT_NE(out.find("POST /b ok"), std::string::npos) << step << ": " << out;
    EXPECT_FALSE(server_->wants_close());
  }
}

TEST_F(h1_server_test, lets_a_handler_move_the_body_buffer_out_and_goes_on_with_a_new_one) {
  std::vector<std::string> kept;
  make({}, [&](http_server_connection& connection, const request& req) {
    ASSERT_NE(req.body_storage, nullptr);
    ASSERT_EQ(req.body_storage->data().data(), req.body.data());
    detail::byte_buffer taken = std::move(*req.body_storage);
    kept.emplace_back(as_text(taken.data()));
    connection.respond(req.stream, 200, {}, "ok");
  });
  ASSERT_FALSE(
      feed("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfirst"
           "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nsecond"));
  EXPECT_EQ(kept, (std::vector<std::string>{"first", "second"}));
}

TEST_F(h1_server_test, receives_successive_large_bodies_into_one_recycled_block) {
  // A batch handler takes each body buffer and drops it after its answer: the next body of a
  // similar size lands in the same block, already paged in, instead of fresh memory.
  std::vector<const std::byte*> blocks;
  server_options options;
  options.max_body_size = 4 << 20;
  make(options, [&](http_server_connection& connection, const request& req) {
    blocks.push_back(req.body.data());
    detail::byte_buffer taken = std::move(*req.body_storage);
    connection.respond(req.stream, 200, {}, "ok");
  });
  for (std::size_t size : {3'000'000, 3'100'000, 2'900'000}) {
    std::string body(size, 'b');
    ASSERT_FALSE(feed("POST /v1/reports:batch HTTP/1.1\r\nHost: a\r\nContent-Length: " +
                      std::to_string(size) + "\r\n\r\n" + body));
  }
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[1], blocks[0]);
  EXPECT_EQ(blocks[2], blocks[0]);
  EXPECT_GE(detail::cached_block_bytes(), 3'000'000u) << "the last body's block waits for the next";
}

TEST_F(h1_server_test, tells_how_much_of_a_body_of_announced_length_is_still_to_come) {
  make_deferred();
  EXPECT_EQ(server_->bulk_input(), 0u) << "before any request";
  ASSERT_FALSE(feed("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n"));
  EXPECT_EQ(server_->bulk_input(), 1000u);
  ASSERT_FALSE(feed(std::string(400, 'b')));
  EXPECT_EQ(server_->bulk_input(), 600u);
  ASSERT_FALSE(feed(std::string(600, 'b')));
  EXPECT_EQ(server_->bulk_input(), 0u) << "the body is complete";
  ASSERT_FALSE(feed("POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe"));
  EXPECT_EQ(server_->bulk_input(), 0u) << "a chunked body's framing is read with care";
}

TEST_F(h1_server_test, promises_no_bulk_input_for_a_body_it_refuses) {
  server_options options;
  options.max_body_size = 100;
  make(options);
  feed("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n");
  EXPECT_EQ(server_->bulk_input(), 0u);
}

TEST_F(h1_server_test, answers_an_oversize_header_block_with_431_and_closes) {
  server_options options;
  options.max_header_size = 100;
  make(options);
  auto err = feed("GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + std::string(200, 'v') + "\r\n\r\n");
  EXPECT_EQ(err.code(), error_code::header_too_large);
  std::string out = take_output();
  EXPECT_EQ(out.rfind("HTTP/1.1 431 ", 0), 0u) << out;
  EXPECT_TRUE(server_->wants_close());
}

TEST_F(h1_server_test, a_refusal_says_why_but_sends_no_body_to_a_head_request) {
  server_options options;
  options.max_header_size = 100;
  make(options);
  feed("GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + std::string(200, 'v') + "\r\n\r\n");
  std::string get = take_output();
  std::string why = "request header block over the limit of 100 bytes\n";
  EXPECT_TRUE(get.ends_with("\r\n\r\n" + why)) << get;
  make(options);
  feed("HEAD / HTTP/1.1\r\nHost: a\r\nX-Long: " + std::string(200, 'v') + "\r\n\r\n");
  std::string head = take_output();
  EXPECT_EQ(head.rfind("HTTP/1.1 431 ", 0), 0u) << head;
  EXPECT_NE(head.find("\r\ncontent-length: " + std::to_string(why.size()) + "\r\n"),
            std::string::npos)
      << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;  // the head alone
}

TEST_F(h1_server_test, refuses_a_field_name_that_is_not_a_token_and_a_request_without_host) {
  for (const char* head : {"GET / HTTP/1.1\r\nHost: a\r\nBad Header: y\r\n\r\n",
                           "GET / HTTP/1.1\r\nHost: a\r\nx\"y: z\r\n\r\n",
                           "GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n"}) {
    make();
    EXPECT_TRUE(feed(head)) << head;
    std::string out = take_output();
    EXPECT_EQ(out.rfind("HTTP/1.1 400 ", 0), 0u) << head << ": " << out;
    EXPECT_TRUE(server_->wants_close());
  }
  // HTTP/1.0 has no Host requirement.
  make();
  EXPECT_FALSE(feed("GET /old HTTP/1.0\r\n\r\n"));
  EXPECT_NE(take_output().find("GET /old"), std::string::npos);
}

TEST_F(h1_server_test, answers_malformed_input_with_400_and_closes) {
  make();
  auto err = feed("\x16\x03\x01garbage that is not HTTP\r\n\r\n");
  EXPECT_EQ(err.code(), error_code::protocol_error);
  EXPECT_EQ(take_output().rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  EXPECT_TRUE(server_->wants_close());
  EXPECT_TRUE(feed("GET / HTTP/1.1\r\n\r\n")) << "nothing is read after the error";
}

TEST_F(h1_server_test, answers_earlier_requests_before_the_400_for_a_malformed_one) {
  make_deferred();
  auto err = feed("GET /fine HTTP/1.1\r\nHost: a\r\n\r\nBROKEN LINE\r\n\r\n");
  EXPECT_TRUE(err);
  EXPECT_EQ(take_output(), "");
  EXPECT_FALSE(server_->wants_close());
  server_->respond(waiting_[0], 200, {}, "fine");
  std::string out = take_output();
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos);
  EXPECT_TRUE(server_->wants_close());
}

TEST_F(h1_server_test, answers_head_without_a_body) {
  make();
  feed("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n");
  std::string out = take_output();
  EXPECT_NE(out.find("content-length: 7\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
}

TEST_F(h1_server_test, closes_after_a_request_asking_for_it) {
  make();
  feed("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_NE(take_output().find("connection: close"), std::string::npos);
  EXPECT_TRUE(server_->wants_close());
}

TEST_F(h1_server_test, closes_after_an_http10_request_without_keep_alive) {
  make();
  feed("GET / HTTP/1.0\r\n\r\n");
  take_output();
  EXPECT_TRUE(server_->wants_close());
}

TEST_F(h1_server_test, shutdown_marks_the_last_owed_answer_and_then_closes) {
  make_deferred();
  feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  server_->shutdown();
  EXPECT_FALSE(server_->wants_close());
  server_->respond(waiting_[0], 200, {}, "bye");
  EXPECT_NE(take_output().find("connection: close"), std::string::npos);
  EXPECT_TRUE(server_->wants_close());
}

TEST_F(h1_server_test, cancel_closes_the_connection) {
  make_deferred();
  feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  server_->cancel(waiting_[0]);
  EXPECT_TRUE(server_->wants_close());
}

TEST_F(h1_server_test, reads_a_request_split_at_every_byte) {
  make();
  std::string request = "POST /split?q=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
  for (char c : request) ASSERT_FALSE(feed(std::string_view{&c, 1}));
  EXPECT_NE(take_output().find("POST /split?q=1 hello"), std::string::npos);
}

// The HTTP/1.1 client against the server engine.
class h1_engines_test : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<http_server_connection>(server_options{}, testing::echo,
                                                       server_protocol_choice::http1);
    client_ = std::make_unique<h1_client_connection>(client_options{});
  }
  bool exchange() { return test::exchange(*client_, *server_); }

  std::unique_ptr<http_server_connection> server_;
  std::unique_ptr<h1_client_connection> client_;
};

TEST_F(h1_engines_test, sends_requests_one_after_another_on_a_kept_alive_connection) {
  for (int i = 0; i < 3; ++i) {
    outcome result;
    auto id = client_->submit(post("/n?i=" + std::to_string(i), "body"), record_into(result));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, i + 1);
    EXPECT_FALSE(client_->can_submit());
    ASSERT_TRUE(exchange());
    ASSERT_TRUE(result.done);
    ASSERT_FALSE(result.err) << result.err.message();
    EXPECT_EQ(result.status, 200);
    EXPECT_EQ(result.body, "POST /n?i=" + std::to_string(i) + " body");
    EXPECT_EQ(result.header_value("x-echo"), "yes");
    EXPECT_TRUE(client_->can_submit());
  }
}

TEST_F(h1_engines_test, refuses_a_second_request_while_one_is_in_flight) {
  outcome a, b;
  client_->submit(post("/a", ""), record_into(a));
  auto refused = client_->submit(post("/b", ""), record_into(b));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error_value().code(), error_code::busy);
}

TEST_F(h1_engines_test, pipelines_requests_when_allowed_and_gets_the_answers_in_order) {
  client_options options;
  options.http1_pipeline = 4;
  client_ = std::make_unique<h1_client_connection>(options);
  // One at a time until an HTTP/1.1 answer showed that the server keeps the connection open.
  outcome first;
  ASSERT_TRUE(client_->submit(post("/first", ""), record_into(first)));
  EXPECT_FALSE(client_->can_submit());
  ASSERT_TRUE(exchange());
  ASSERT_TRUE(first.done);
  outcome results[4];
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(client_->can_submit());
    ASSERT_TRUE(client_->submit(post("/p?i=" + std::to_string(i), "b"), record_into(results[i])));
  }
  EXPECT_FALSE(client_->can_submit());
  EXPECT_EQ(client_->in_flight(), 4u);
  auto refused = client_->submit(post("/fifth", ""), record_into(results[0]));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error_value().code(), error_code::busy);
  ASSERT_TRUE(exchange());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(results[i].done) << i;
    ASSERT_FALSE(results[i].err) << results[i].err.message();
    EXPECT_EQ(results[i].body, "POST /p?i=" + std::to_string(i) + " b");
  }
  EXPECT_EQ(client_->in_flight(), 0u);
  EXPECT_TRUE(client_->can_submit());
}

class h1_client_test : public ::testing::Test {
 protected:
  error feed(std::string_view bytes) { return client_.receive(as_bytes(bytes)); }
  h1_client_connection client_{client_options{}};
  outcome result_;
};

TEST_F(h1_client_test, reads_a_response_split_at_every_byte) {
  client_.submit(post("/", ""), record_into(result_));
  std::string response = "HTTP/1.1 202 Accepted\r\nContent-Length: 4\r\nX-A: b\r\n\r\ndone";
  for (char c : response) ASSERT_FALSE(feed(std::string_view{&c, 1}));
  ASSERT_TRUE(result_.done);
  EXPECT_EQ(result_.status, 202);
  EXPECT_EQ(result_.body, "done");
  EXPECT_EQ(result_.header_value("x-a"), "b");
}

TEST_F(h1_client_test, skips_100_continue_and_reads_a_chunked_answer) {
  client_.submit(post("/", ""), record_into(result_));
  feed(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_EQ(result_.status, 200);
  EXPECT_EQ(result_.body, "abcde");
}

TEST_F(h1_client_test, completes_a_response_delimited_by_the_end_of_the_connection) {
  client_.submit(post("/", ""), record_into(result_));
  feed("HTTP/1.0 200 OK\r\n\r\nuntil the end");
  EXPECT_FALSE(result_.done);
  client_.receive_eof();
  ASSERT_TRUE(result_.done);
  EXPECT_FALSE(result_.err);
  EXPECT_EQ(result_.body, "until the end");
  EXPECT_TRUE(client_.wants_close());
}

TEST_F(h1_client_test, does_not_read_a_body_after_head) {
  client_request req = post("/", "");
  req.method = "HEAD";
  client_.submit(req, record_into(result_));
  feed("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
  ASSERT_TRUE(result_.done);
  EXPECT_EQ(result_.status, 200);
  EXPECT_TRUE(client_.can_submit());
}

TEST_F(h1_client_test, stops_reusing_the_connection_after_connection_close) {
  client_.submit(post("/", ""), record_into(result_));
  feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(result_.done);
  EXPECT_TRUE(client_.needs_new_connection());
  EXPECT_TRUE(client_.wants_close());
}

TEST_F(h1_client_test, fails_the_request_when_the_server_closes_before_answering) {
  client_.submit(post("/", ""), record_into(result_));
  client_.receive_eof();
  ASSERT_TRUE(result_.done);
  EXPECT_EQ(result_.err.code(), error_code::connection_closed);
}

TEST_F(h1_client_test, fails_the_request_on_a_malformed_response) {
  client_.submit(post("/", ""), record_into(result_));
  EXPECT_TRUE(feed("SPDY/3 what\r\n\r\n"));
  ASSERT_TRUE(result_.done);
  EXPECT_EQ(result_.err.code(), error_code::protocol_error);
  EXPECT_TRUE(client_.wants_close());
}

TEST_F(h1_client_test, fails_the_request_on_an_oversize_body) {
  client_options options;
  options.max_response_body_size = 4;
  h1_client_connection small{options};
  small.submit(post("/", ""), record_into(result_));
  small.receive(as_bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"));
  EXPECT_EQ(result_.err.code(), error_code::body_too_large);
}

TEST_F(h1_client_test, keeps_only_the_first_bytes_of_a_large_body) {
  client_options options;
  options.kept_response_body = 4;
  h1_client_connection small{options};
  small.submit(post("/", ""), record_into(result_));
  small.receive(as_bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234"));
  small.receive(as_bytes("56789"));
  ASSERT_TRUE(result_.done);
  EXPECT_FALSE(result_.err) << result_.err.message();
  EXPECT_EQ(result_.body, "0123");
}

TEST_F(h1_client_test, a_body_in_thousands_of_tiny_chunks_fails_the_request) {
  client_.submit(post("/", ""), record_into(result_));
  std::string chunks;
  for (int i = 0; i < 5000; ++i) chunks += "1\r\nx\r\n";
  client_.receive(
      as_bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + "0\r\n\r\n"));
  ASSERT_TRUE(result_.done);
  EXPECT_EQ(result_.err.code(), error_code::body_too_large) << result_.err.message();
  // A body of ordinary pieces is read whole.
  outcome fine;
  h1_client_connection other{client_options{}};
  other.submit(post("/", ""), record_into(fine));
  std::string big;
  for (int i = 0; i < 64; ++i) big += "400\r\n" + std::string(1024, 'y') + "\r\n";
  other.receive(
      as_bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + big + "0\r\n\r\n"));
  ASSERT_TRUE(fine.done);
  EXPECT_FALSE(fine.err) << fine.err.message();
}

TEST_F(h1_client_test, cancel_completes_the_request_and_retires_the_connection) {
  auto id = client_.submit(post("/", ""), record_into(result_));
  client_.cancel(*id);
  EXPECT_EQ(result_.err.code(), error_code::cancelled);
  EXPECT_TRUE(client_.wants_close());
}

class h1_pipelined_client_test : public ::testing::Test {
 protected:
  static client_options pipelined() {
    client_options options;
    options.http1_pipeline = 3;
    return options;
  }
  /// One request answered with keep-alive (which allows pipelining), then three sent at once.
  void submit_three() {
    outcome first;
    ASSERT_TRUE(client_.submit(post("/first", ""), record_into(first)));
    EXPECT_FALSE(client_.can_submit()) << "no pipelining before the server kept a connection";
    ASSERT_FALSE(feed(ok));
    ASSERT_TRUE(first.done);
    for (int i = 0; i < 3; ++i) {
      auto id = client_.submit(post("/" + std::to_string(i), ""), record_into(results_[i]));
      ASSERT_TRUE(id);
      ids_[i] = *id;
    }
  }
  error feed(std::string_view bytes) { return client_.receive(as_bytes(bytes)); }
  static constexpr std::string_view ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  h1_client_connection client_{pipelined()};
  outcome results_[3];
  stream_id ids_[3]{};
};

TEST_F(h1_pipelined_client_test, a_server_closing_after_the_first_answer_fails_the_others) {
  submit_three();
  feed(ok);
  ASSERT_TRUE(results_[0].done);
  EXPECT_EQ(results_[0].status, 200);
  EXPECT_FALSE(results_[1].done);
  client_.receive_eof();
  for (int i : {1, 2}) {
    ASSERT_TRUE(results_[i].done) << i;
    EXPECT_EQ(results_[i].err.code(), error_code::connection_closed) << i;
  }
  EXPECT_TRUE(client_.wants_close());
}

// RFC 9112 §9.6: nothing sent after a request whose answer closes is processed: those requests
// are refused (safe to send again) at once, and nothing more goes on the connection from the
// moment the answer's head says so.
TEST_F(h1_pipelined_client_test, connection_close_in_an_answer_refuses_the_ones_sent_after_it) {
  submit_three();
  feed("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nab");
  EXPECT_FALSE(results_[0].done);
  EXPECT_FALSE(client_.can_submit()) << "the head said close: nothing more on this connection";
  EXPECT_TRUE(client_.needs_new_connection());
  feed("cd");
  ASSERT_TRUE(results_[0].done);
  EXPECT_FALSE(results_[0].err);
  EXPECT_EQ(results_[0].body, "abcd");
  for (int i : {1, 2}) {
    ASSERT_TRUE(results_[i].done) << i;
    EXPECT_EQ(results_[i].err.code(), error_code::refused) << i;
    EXPECT_TRUE(results_[i].err.retryable()) << i;
  }
  EXPECT_TRUE(client_.wants_close());
}

TEST_F(h1_pipelined_client_test, an_http10_server_gets_one_request_at_a_time) {
  h1_client_connection old{pipelined()};
  outcome a, b;
  ASSERT_TRUE(old.submit(post("/a", ""), record_into(a)));
  old.receive(as_bytes("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"));
  ASSERT_TRUE(a.done);
  ASSERT_TRUE(old.submit(post("/b", ""), record_into(b)));
  EXPECT_FALSE(old.can_submit()) << "pipelining only after an HTTP/1.1 answer kept the connection";
}

// The caller closes the connection from the first answer's completion while the second answer
// is in the same read: that answer is for no one, and reading it is no protocol error.
TEST_F(h1_pipelined_client_test, closing_from_inside_a_completion_reads_no_further_answer) {
  outcome warm, x, y;
  ASSERT_TRUE(client_.submit(post("/w", ""), record_into(warm)));
  ASSERT_FALSE(feed(ok));
  bool closed_from_inside = false;
  ASSERT_TRUE(client_.submit(post("/x", ""), [&](const error& err, const response& res) {
    record_into(x)(err, res);
    client_.close();
    closed_from_inside = true;
  }));
  ASSERT_TRUE(client_.submit(post("/y", ""), record_into(y)));
  EXPECT_FALSE(feed(std::string{ok} + std::string{ok})) << "no false protocol error";
  EXPECT_TRUE(closed_from_inside);
  EXPECT_EQ(x.status, 200);
  EXPECT_EQ(y.err.code(), error_code::connection_closed);
  EXPECT_EQ(y.status, 0) << "completed once, by close()";
  EXPECT_TRUE(client_.wants_close());
}

TEST_F(h1_pipelined_client_test, a_cancelled_request_in_the_middle_has_its_answer_dropped) {
  submit_three();
  client_.cancel(ids_[1]);
  ASSERT_TRUE(results_[1].done);
  EXPECT_EQ(results_[1].err.code(), error_code::cancelled);
  EXPECT_FALSE(client_.can_submit()) << "nothing is sent after a cancelled request";
  std::string three_answers;
  for (int i = 0; i < 3; ++i) three_answers += ok;
  ASSERT_FALSE(feed(three_answers));
  EXPECT_EQ(results_[0].status, 200);
  EXPECT_EQ(results_[2].status, 200);
  EXPECT_EQ(results_[2].body, "ok");
  EXPECT_EQ(results_[1].status, 0) << "the cancelled request completed once, without its answer";
  EXPECT_TRUE(client_.wants_close());
}

// A server that hangs: each request times out and is cancelled; once all are, nothing is left
// to wait for and the connection closes (it would otherwise stay open for good).
TEST_F(h1_pipelined_client_test, a_connection_whose_requests_are_all_cancelled_closes) {
  submit_three();
  client_.cancel(ids_[2]);
  client_.cancel(ids_[0]);
  EXPECT_FALSE(client_.wants_close()) << "the second still waits for its answer";
  client_.cancel(ids_[1]);
  for (auto& r : results_) EXPECT_EQ(r.err.code(), error_code::cancelled);
  EXPECT_EQ(client_.in_flight(), 0u);
  EXPECT_TRUE(client_.wants_close());
}

TEST_F(h1_pipelined_client_test, an_answer_nobody_asked_for_fails_the_connection) {
  submit_three();
  std::string four;
  for (int i = 0; i < 4; ++i) four += ok;
  EXPECT_EQ(feed(four).code(), error_code::protocol_error);
  for (auto& r : results_) EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(client_.wants_close());
}

TEST_F(h1_client_test, writes_host_and_content_length_and_drops_callers_copies) {
  header fields[] = {{"Content-Length", "999"}, {"X-Token", "abc"}};
  auto req = post("/up?x=1", "12345", "as.example.com");
  req.headers = fields;
  client_.submit(req, record_into(result_));
  std::string out{as_text(client_.pending_output())};
  EXPECT_EQ(out,
            "POST /up?x=1 HTTP/1.1\r\nhost: as.example.com\r\nX-Token: abc\r\n"
            "content-length: 5\r\n\r\n12345");
}

}  // namespace
}  // namespace tr::transport
