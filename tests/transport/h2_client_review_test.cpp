// The HTTP/2 client against what a buggy or hostile AS may do, and against callers whose
// completions call back into the client: stream states after a reset or END_STREAM, trailers,
// flow control both ways, SETTINGS changes with requests in flight, GOAWAY, the HPACK
// encoder's table against an RFC 7541 decoder, and the bounds on what a peer makes us hold.

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tests/transport/engine_fixtures.hpp"
#include "tests/transport/h2_frames.hpp"
#include "transport/detail/hpack_encoder.hpp"
#include "transport/h2_client_connection.hpp"

namespace tr::transport {
namespace {

using testing::outcome;
using testing::post;
using testing::record_into;
using namespace testing;

enum : std::uint8_t { data = 0, headers = 1, rst_stream = 3, settings = 4, ping = 6, goaway = 7 };
enum : std::uint8_t { window_update = 8, continuation = 9 };
enum : std::uint8_t { end_stream = 0x1, end_headers = 0x4 };

class h2_client_review_test : public ::testing::Test {
 protected:
  /// The server's SETTINGS, taken by the client; the client's output so far is dropped.
  void handshake(std::string server_settings = {}) { handshake(client_, server_settings); }
  /// The same for a client of the test's own (other limits).
  static void handshake(h2_client_connection& client, std::string server_settings = {}) {
    take_frames(client);
    ASSERT_FALSE(client.receive(as_bytes(frame(settings, 0, 0, server_settings))));
    take_frames(client);
  }

  /// A complete response with END_STREAM on the HEADERS (or on a DATA frame with `body`).
  std::string response(std::uint32_t stream, int status, std::string_view body = {}) {
    std::string block = encoder_.block({{":status", std::to_string(status)}});
    if (body.empty()) return frame(headers, end_headers | end_stream, stream, block);
    return frame(headers, end_headers, stream, block) + frame(data, end_stream, stream, body);
  }

  h2_client_connection client_{client_options{}};
  server_encoder encoder_;
};

// --- completions that call back into the client -----------------------------------------------

TEST_F(h2_client_review_test, a_completion_that_cancels_its_own_stream_changes_nothing) {
  handshake();
  int calls = 0;
  stream_id first = 0;
  auto id = client_.submit(post("/a", ""), [&](const error&, const transport::response&) {
    ++calls;
    client_.cancel(first);  // e.g. a timeout handler that cancels whatever it was given
  });
  ASSERT_TRUE(id);
  first = *id;
  ASSERT_FALSE(client_.receive(as_bytes(response(first, 200))));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(client_.in_flight(), 0u);
  EXPECT_EQ(count_frames(take_frames(client_), rst_stream), 0u) << "no RST for a closed stream";

  // The next two requests are distinct streams and each gets its own response.
  outcome b, c;
  auto b_id = client_.submit(post("/b", ""), record_into(b));
  auto c_id = client_.submit(post("/c", ""), record_into(c));
  ASSERT_TRUE(b_id && c_id);
  EXPECT_EQ(client_.in_flight(), 2u);
  ASSERT_FALSE(client_.receive(as_bytes(response(*c_id, 200, "for c"))));
  ASSERT_FALSE(client_.receive(as_bytes(response(*b_id, 200, "for b"))));
  ASSERT_TRUE(b.done && c.done);
  EXPECT_EQ(b.body, "for b");
  EXPECT_EQ(c.body, "for c");
  EXPECT_EQ(client_.in_flight(), 0u);
}

TEST_F(h2_client_review_test, a_completion_that_closes_the_connection_completes_each_request_once) {
  handshake();
  std::map<std::string, int> calls;
  auto counting = [&](std::string name, bool close_on_completion) {
    return [&, name, close_on_completion](const error&, const transport::response&) {
      ++calls[name];
      if (close_on_completion) client_.close();
    };
  };
  auto a = client_.submit(post("/a", ""), counting("a", true));
  auto b = client_.submit(post("/b", ""), counting("b", false));
  auto c = client_.submit(post("/c", ""), counting("c", false));
  ASSERT_TRUE(a && b && c);
  ASSERT_FALSE(client_.receive(as_bytes(frame(rst_stream, 0, *a, u32(7)))));
  EXPECT_EQ(calls["a"], 1);
  EXPECT_EQ(calls["b"], 1);
  EXPECT_EQ(calls["c"], 1);
  EXPECT_EQ(client_.in_flight(), 0u);
  EXPECT_TRUE(client_.wants_close());
}

TEST_F(h2_client_review_test, a_completion_that_closes_during_goaway_completes_each_request_once) {
  handshake();
  std::map<std::string, int> calls;
  auto counting = [&](std::string name) {
    return [&, name](const error&, const transport::response&) {
      ++calls[name];
      client_.close();
    };
  };
  auto a = client_.submit(post("/a", ""), counting("a"));
  auto b = client_.submit(post("/b", ""), counting("b"));
  auto c = client_.submit(post("/c", ""), counting("c"));
  ASSERT_TRUE(a && b && c);
  ASSERT_FALSE(client_.receive(as_bytes(frame(goaway, 0, 0, u32(*a) + u32(0)))));
  EXPECT_EQ(calls["a"], 1);
  EXPECT_EQ(calls["b"], 1);
  EXPECT_EQ(calls["c"], 1);
  EXPECT_EQ(client_.in_flight(), 0u);
}

TEST_F(h2_client_review_test, a_completion_that_cancels_another_request_completes_it_once) {
  handshake();
  outcome b;
  stream_id b_id = 0;
  int a_calls = 0;
  auto a = client_.submit(post("/a", ""), [&](const error&, const transport::response&) {
    ++a_calls;
    client_.cancel(b_id);
  });
  auto b_submitted = client_.submit(post("/b", ""), record_into(b));
  ASSERT_TRUE(a && b_submitted);
  b_id = *b_submitted;
  ASSERT_FALSE(client_.receive(as_bytes(response(*a, 200))));
  EXPECT_EQ(a_calls, 1);
  ASSERT_TRUE(b.done);
  EXPECT_EQ(b.err.code(), error_code::cancelled);
  EXPECT_EQ(client_.in_flight(), 0u);
  // A late response for b is dropped.
  ASSERT_FALSE(client_.receive(as_bytes(response(b_id, 200, "late"))));
  EXPECT_EQ(client_.in_flight(), 0u);
}

TEST_F(h2_client_review_test, a_completion_may_submit_the_next_request_on_the_same_connection) {
  handshake();
  outcome second;
  std::optional<stream_id> next;
  auto first =
      client_.submit(post("/a", ""), [&](const error& err, const transport::response& res) {
        EXPECT_FALSE(err);
        EXPECT_EQ(as_text(res.body), "first");
        auto id = client_.submit(post("/b", "x"), record_into(second));
        EXPECT_TRUE(id);
        if (id) next = *id;
      });
  ASSERT_TRUE(first);
  ASSERT_FALSE(client_.receive(as_bytes(response(*first, 200, "first"))));
  ASSERT_TRUE(next);
  EXPECT_EQ(client_.in_flight(), 1u);
  ASSERT_FALSE(client_.receive(as_bytes(response(*next, 201, "second"))));
  ASSERT_TRUE(second.done);
  EXPECT_EQ(second.status, 201);
  EXPECT_EQ(second.body, "second");
}

TEST_F(h2_client_review_test, a_completion_from_a_connection_error_cannot_submit_again) {
  handshake();
  std::optional<expected<stream_id>> again;
  auto a = client_.submit(post("/a", ""), [&](const error&, const transport::response&) {
    again = client_.submit(post("/b", ""), [](const error&, const transport::response&) {});
  });
  ASSERT_TRUE(a);
  EXPECT_TRUE(client_.receive(as_bytes(frame(data, 0, 0, "x"))));
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_EQ(client_.in_flight(), 0u);
}

// --- stream states -----------------------------------------------------------------------------

TEST_F(h2_client_review_test, frames_after_end_stream_and_late_resets_are_dropped) {
  handshake();
  outcome a, b;
  auto a_id = client_.submit(post("/a", ""), record_into(a));
  auto b_id = client_.submit(post("/b", ""), record_into(b));
  ASSERT_FALSE(client_.receive(as_bytes(response(*a_id, 200, "done"))));
  ASSERT_TRUE(a.done);
  std::string late = frame(data, end_stream, *a_id, "more") +
                     frame(headers, end_headers | end_stream, *a_id,
                           encoder_.block({{":status", "500"}, {"x-late", "yes"}})) +
                     frame(rst_stream, 0, *a_id, u32(2)) + frame(window_update, 0, *a_id, u32(5));
  ASSERT_FALSE(client_.receive(as_bytes(late)));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "done");
  // The decoder stayed in step: b's block may refer to what the late block indexed.
  ASSERT_FALSE(client_.receive(
      as_bytes(frame(headers, end_headers | end_stream, *b_id,
                     encoder_.block({{":status", "500"}, {"x-late", "yes"}, {"x-more", "1"}})))));
  ASSERT_TRUE(b.done);
  EXPECT_FALSE(b.err) << b.err.message();
  EXPECT_EQ(b.status, 500);
  EXPECT_EQ(b.header_value("x-late"), "yes");
}

TEST_F(h2_client_review_test, a_response_for_a_cancelled_stream_is_dropped) {
  handshake();
  outcome a;
  auto id = client_.submit(post("/a", ""), record_into(a));
  client_.cancel(*id);
  ASSERT_TRUE(a.done);
  EXPECT_EQ(a.err.code(), error_code::cancelled);
  auto frames = take_frames(client_);
  ASSERT_EQ(count_frames(frames, rst_stream, *id), 1u);
  ASSERT_FALSE(client_.receive(as_bytes(response(*id, 200, "late"))));
  EXPECT_EQ(client_.in_flight(), 0u);
  EXPECT_FALSE(client_.wants_close());
}

TEST_F(h2_client_review_test, trailers_without_end_stream_make_the_response_malformed) {
  handshake();
  outcome a;
  auto id = client_.submit(post("/a", ""), record_into(a));
  std::string input = frame(headers, end_headers, *id, encoder_.block({{":status", "200"}})) +
                      frame(data, 0, *id, "part one ") +
                      frame(headers, end_headers, *id, encoder_.block({{"x-trailer", "1"}})) +
                      frame(data, end_stream, *id, "part two");
  ASSERT_FALSE(client_.receive(as_bytes(input)));
  ASSERT_TRUE(a.done);
  EXPECT_EQ(a.err.code(), error_code::protocol_error) << "body: " << a.body;
  EXPECT_EQ(count_frames(take_frames(client_), rst_stream, *id), 1u);
}

TEST_F(h2_client_review_test, malformed_response_fields_fail_their_stream_only) {
  handshake();
  const std::vector<std::pair<const char*, field_list>> blocks = {
      {"request pseudo-header", {{":status", "200"}, {":path", "/"}}},
      {"pseudo-header after a regular field", {{"x-a", "1"}, {":status", "200"}}},
      {"two :status", {{":status", "200"}, {":status", "204"}}},
      {"upper-case name", {{":status", "200"}, {"X-Upper", "1"}}},
      {"space in a name", {{":status", "200"}, {"x bad", "1"}}},
      {"connection-specific field", {{":status", "200"}, {"connection", "close"}}},
      {"transfer-encoding", {{":status", "200"}, {"transfer-encoding", "chunked"}}},
      {"CR LF in a value", {{":status", "200"}, {"x-a", "1\r\nx-b: 2"}}},
      {"NUL in a value", {{":status", "200"}, {"x-a", std::string("a\0b", 3)}}},
      {"value starting with a blank", {{":status", "200"}, {"x-a", " 1"}}},
  };
  for (const auto& [what, fields] : blocks) {
    outcome result;
    auto id = client_.submit(post("/a", ""), record_into(result));
    ASSERT_TRUE(id);
    take_frames(client_);
    ASSERT_FALSE(client_.receive(
        as_bytes(frame(headers, end_headers | end_stream, *id, encoder_.block(fields)))))
        << what;
    ASSERT_TRUE(result.done) << what;
    EXPECT_EQ(result.err.code(), error_code::protocol_error) << what;
    EXPECT_EQ(count_frames(take_frames(client_), rst_stream, *id), 1u) << what;
  }
  // Pseudo-headers in trailers.
  outcome trailed;
  auto id = client_.submit(post("/t", ""), record_into(trailed));
  ASSERT_FALSE(client_.receive(as_bytes(
      frame(headers, end_headers, *id, encoder_.block({{":status", "200"}})) +
      frame(headers, end_headers | end_stream, *id, encoder_.block({{":status", "500"}})))));
  ASSERT_TRUE(trailed.done);
  EXPECT_EQ(trailed.err.code(), error_code::protocol_error);
  // The connection and its HPACK state are fine: a good response still reads.
  outcome good;
  auto last = client_.submit(post("/g", ""), record_into(good));
  ASSERT_FALSE(client_.receive(as_bytes(
      frame(headers, end_headers | end_stream, *last,
            encoder_.block({{":status", "204"}, {"x-reason", "ok"}, {"te", "trailers"}})))));
  ASSERT_TRUE(good.done);
  EXPECT_FALSE(good.err) << good.err.message();
  EXPECT_EQ(good.status, 204);
  EXPECT_EQ(good.header_value("x-reason"), "ok");
  EXPECT_FALSE(client_.wants_close());
}

TEST_F(h2_client_review_test, a_server_that_enables_push_is_a_connection_error) {
  handshake();
  ASSERT_TRUE(client_.receive(as_bytes(frame(settings, 0, 0, setting(2, 1)))));
  auto frames = take_frames(client_);
  ASSERT_EQ(count_frames(frames, goaway), 1u);
  for (const auto& f : frames) {
    if (f.type != goaway) continue;
    EXPECT_EQ(static_cast<std::uint8_t>(f.payload[7]), 1);  // PROTOCOL_ERROR
  }
}

TEST_F(h2_client_review_test, a_body_shorter_or_longer_than_its_content_length_is_malformed) {
  handshake();
  outcome shorter, longer, exact, no_content;
  auto a = client_.submit(post("/a", ""), record_into(shorter));
  auto b = client_.submit(post("/b", ""), record_into(longer));
  auto c = client_.submit(post("/c", ""), record_into(exact));
  auto d = client_.submit(post("/d", ""), record_into(no_content));
  auto with_length = [&](std::uint32_t stream, std::string status, std::string length,
                         std::string_view body) {
    return frame(headers, end_headers, stream,
                 encoder_.block({{":status", status}, {"content-length", length}})) +
           frame(data, end_stream, stream, body);
  };
  std::string input = with_length(*a, "200", "100", "cut short") +
                      with_length(*b, "200", "2", "too long") +
                      with_length(*c, "200", "5", "exact") +
                      frame(headers, end_headers | end_stream, *d,
                            encoder_.block({{":status", "304"}, {"content-length", "42"}}));
  ASSERT_FALSE(client_.receive(as_bytes(input)));
  ASSERT_TRUE(shorter.done && longer.done && exact.done && no_content.done);
  EXPECT_EQ(shorter.err.code(), error_code::protocol_error) << shorter.body;
  EXPECT_EQ(longer.err.code(), error_code::protocol_error) << longer.body;
  EXPECT_FALSE(exact.err) << exact.err.message();
  EXPECT_EQ(exact.body, "exact");
  EXPECT_FALSE(no_content.err) << no_content.err.message();
  EXPECT_EQ(no_content.status, 304);
}

TEST_F(h2_client_review_test, a_head_response_may_announce_a_length_it_does_not_send) {
  handshake();
  outcome a;
  auto req = post("/a", "");
  req.method = "HEAD";
  auto id = client_.submit(req, record_into(a));
  ASSERT_FALSE(client_.receive(
      as_bytes(frame(headers, end_headers | end_stream, *id,
                     encoder_.block({{":status", "200"}, {"content-length", "1234"}})))));
  ASSERT_TRUE(a.done);
  EXPECT_FALSE(a.err) << a.err.message();
  EXPECT_EQ(a.header_value("content-length"), "1234");
}

TEST_F(h2_client_review_test, interim_responses_then_a_final_one_with_end_stream) {
  handshake();
  outcome a;
  auto id = client_.submit(post("/a", ""), record_into(a));
  std::string input =
      frame(headers, end_headers, *id, encoder_.block({{":status", "103"}})) +
      frame(headers, end_headers, *id, encoder_.block({{":status", "100"}, {"x-interim", "1"}})) +
      frame(headers, end_headers | end_stream, *id,
            encoder_.block({{":status", "204"}, {"x-final", "1"}}));
  ASSERT_FALSE(client_.receive(as_bytes(input)));
  ASSERT_TRUE(a.done);
  EXPECT_FALSE(a.err) << a.err.message();
  EXPECT_EQ(a.status, 204);
  EXPECT_EQ(a.header_value("x-interim"), "");
  EXPECT_EQ(a.header_value("x-final"), "1");
}

TEST_F(h2_client_review_test, an_interim_response_with_end_stream_fails_that_stream) {
  handshake();
  outcome a;
  auto id = client_.submit(post("/a", ""), record_into(a));
  ASSERT_FALSE(client_.receive(as_bytes(
      frame(headers, end_headers | end_stream, *id, encoder_.block({{":status", "100"}})))));
  ASSERT_TRUE(a.done);
  EXPECT_EQ(a.err.code(), error_code::protocol_error);
}

TEST_F(h2_client_review_test, an_early_response_ends_the_request_body_with_rst_stream_no_error) {
  handshake(setting(4, 10));  // INITIAL_WINDOW_SIZE 10: most of the body waits
  outcome a;
  auto id = client_.submit(post("/a", std::string(100, 'b')), record_into(a));
  take_frames(client_);
  ASSERT_FALSE(client_.receive(as_bytes(response(*id, 413))));
  ASSERT_TRUE(a.done);
  EXPECT_EQ(a.status, 413);
  auto frames = take_frames(client_);
  ASSERT_EQ(count_frames(frames, rst_stream, *id), 1u);
  // The rest of the body never leaves, whatever window comes later.
  ASSERT_FALSE(client_.receive(as_bytes(frame(window_update, 0, *id, u32(1000)))));
  EXPECT_EQ(count_frames(take_frames(client_), data), 0u);
}

// --- flow control ------------------------------------------------------------------------------

TEST_F(h2_client_review_test, data_in_flight_for_a_cancelled_stream_is_dropped_up_to_its_window) {
  handshake();
  outcome a, b;
  auto a_id = client_.submit(post("/a", ""), record_into(a));
  auto b_id = client_.submit(post("/b", ""), record_into(b));
  client_.cancel(*a_id);
  take_frames(client_);
  ASSERT_FALSE(client_.receive(
      as_bytes(frame(headers, end_headers, *a_id, encoder_.block({{":status", "200"}})))));
  // What the stream's window let the server send before it saw the reset (1 MiB) is taken and
  // dropped; more than that is a flood (h2_client_frames_test).
  std::string chunk = frame(data, 0, *a_id, std::string(16384, 'x'));
  for (int i = 0; i < 64; ++i)
    ASSERT_FALSE(client_.receive(as_bytes(chunk))) << "after " << i << " frames";
  ASSERT_FALSE(client_.receive(as_bytes(response(*b_id, 200, "b"))));
  EXPECT_EQ(b.body, "b");
}

TEST_F(h2_client_review_test, data_beyond_the_stream_window_resets_only_that_stream) {
  client_options options;
  options.initial_window_size = 100;
  h2_client_connection client{options};
  handshake(client);
  outcome a, b;
  auto a_id = client.submit(post("/a", ""), record_into(a));
  auto b_id = client.submit(post("/b", ""), record_into(b));
  std::string input = frame(headers, end_headers, *a_id, encoder_.block({{":status", "200"}})) +
                      frame(data, 0, *a_id, std::string(101, 'x')) +
                      frame(headers, end_headers, *b_id, encoder_.block({{":status", "200"}})) +
                      frame(data, end_stream, *b_id, std::string(100, 'y'));
  ASSERT_FALSE(client.receive(as_bytes(input)));
  ASSERT_TRUE(a.done && b.done);
  EXPECT_EQ(a.err.code(), error_code::protocol_error);
  EXPECT_FALSE(b.err) << b.err.message();
  EXPECT_EQ(b.body.size(), 100u);
}

TEST_F(h2_client_review_test, initial_window_changes_apply_to_blocked_bodies) {
  handshake(setting(4, 0));  // nothing may be sent on a stream yet
  outcome a;
  std::string body(50, 'b');
  auto id = client_.submit(post("/a", body), record_into(a));
  EXPECT_EQ(count_frames(take_frames(client_), data), 0u);
  // What the stream may send follows WINDOW_UPDATEs plus every change of the initial window.
  ASSERT_FALSE(client_.receive(as_bytes(frame(window_update, 0, *id, u32(20)))));
  std::string sent;
  for (const auto& f : take_frames(client_)) {
    if (f.type == data) sent += f.payload;
  }
  EXPECT_EQ(sent.size(), 20u);
  ASSERT_FALSE(client_.receive(as_bytes(frame(settings, 0, 0, setting(4, 10)))));
  bool ended = false;
  for (const auto& f : take_frames(client_)) {
    if (f.type != data) continue;
    sent += f.payload;
    ended = ended || (f.flags & end_stream);
  }
  EXPECT_EQ(sent.size(), 30u);
  EXPECT_FALSE(ended);
  // Lowered below what was sent: the window is negative, nothing more goes out.
  ASSERT_FALSE(client_.receive(as_bytes(frame(settings, 0, 0, setting(4, 0)))));
  ASSERT_FALSE(client_.receive(as_bytes(frame(window_update, 0, *id, u32(5)))));
  EXPECT_EQ(count_frames(take_frames(client_), data), 0u);
  ASSERT_FALSE(client_.receive(as_bytes(frame(settings, 0, 0, setting(4, 1000)))));
  for (const auto& f : take_frames(client_)) {
    if (f.type != data) continue;
    sent += f.payload;
    ended = ended || (f.flags & end_stream);
  }
  EXPECT_TRUE(ended);
  EXPECT_EQ(sent, body);
}

TEST_F(h2_client_review_test,
       an_initial_window_that_overflows_an_open_stream_is_a_connection_error) {
  handshake();
  outcome a;
  auto id = client_.submit(post("/a", ""), record_into(a));
  ASSERT_FALSE(client_.receive(as_bytes(frame(window_update, 0, *id, u32(0x7fffffff - 65535)))));
  EXPECT_TRUE(client_.receive(as_bytes(frame(settings, 0, 0, setting(4, 65536)))));
  ASSERT_TRUE(a.done);
  EXPECT_TRUE(a.err);
}

TEST_F(h2_client_review_test, a_stream_window_overflow_resets_only_that_stream) {
  handshake();
  outcome a, b;
  auto a_id = client_.submit(post("/a", ""), record_into(a));
  auto b_id = client_.submit(post("/b", ""), record_into(b));
  ASSERT_FALSE(client_.receive(as_bytes(frame(window_update, 0, *a_id, u32(0x7fffffff)))));
  ASSERT_TRUE(a.done);
  EXPECT_TRUE(a.err);
  EXPECT_FALSE(b.done);
  auto frames = take_frames(client_);
  ASSERT_EQ(count_frames(frames, rst_stream, *a_id), 1u);
  ASSERT_FALSE(client_.receive(as_bytes(response(*b_id, 200))));
  EXPECT_TRUE(b.done);
}

TEST_F(h2_client_review_test, the_connection_window_is_shared_and_released_in_order) {
  handshake();
  // The connection window is 65,535 at first: two 40,000-byte bodies do not both fit.
  outcome a, b;
  std::string body_a(40000, 'a'), body_b(40000, 'b');
  auto a_id = client_.submit(post("/a", body_a), record_into(a));
  auto b_id = client_.submit(post("/b", body_b), record_into(b));
  std::map<std::uint32_t, std::string> sent;
  auto collect = [&] {
    for (const auto& f : take_frames(client_)) {
      if (f.type == data) sent[f.stream] += f.payload;
    }
  };
  collect();
  EXPECT_EQ(sent[*a_id].size() + sent[*b_id].size(), 65535u);
  ASSERT_FALSE(client_.receive(as_bytes(frame(window_update, 0, 0, u32(100000)))));
  collect();
  EXPECT_EQ(sent[*a_id], body_a);
  EXPECT_EQ(sent[*b_id], body_b);
}

// --- SETTINGS ----------------------------------------------------------------------------------

TEST_F(h2_client_review_test, a_larger_max_frame_size_is_used_for_data) {
  handshake(setting(5, 65536) + setting(4, 1 << 20));
  ASSERT_FALSE(client_.receive(as_bytes(frame(window_update, 0, 0, u32(1 << 20)))));
  outcome a;
  std::string body(100000, 'z');
  ASSERT_TRUE(client_.submit(post("/a", body), record_into(a)));
  std::string sent;
  std::size_t largest = 0;
  for (const auto& f : take_frames(client_)) {
    if (f.type != data) continue;
    sent += f.payload;
    largest = std::max(largest, f.payload.size());
  }
  EXPECT_EQ(sent, body);
  EXPECT_EQ(largest, 65536u);
}

TEST_F(h2_client_review_test, max_concurrent_streams_from_the_peer_caps_submissions) {
  handshake(setting(3, 1));
  outcome a;
  auto id = client_.submit(post("/a", ""), record_into(a));
  ASSERT_TRUE(id);
  EXPECT_FALSE(client_.can_submit());
  auto refused = client_.submit(post("/b", ""), record_into(a));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error_value().code(), error_code::busy);
  ASSERT_FALSE(client_.receive(as_bytes(response(*id, 200))));
  EXPECT_TRUE(client_.can_submit());
}

TEST_F(h2_client_review_test, header_blocks_stay_decodable_across_table_size_changes) {
  // The AS's decoder applies each SETTINGS_HEADER_TABLE_SIZE when our ACK arrives, before the
  // next block; random fields and sizes check the indices after eviction and oversize entries.
  handshake();
  block_reader reader;
  std::mt19937 random{7541};
  const std::size_t sizes[] = {0, 40, 64, 100, 200, 1000, 4096, 8192};
  for (int round = 0; round < 400; ++round) {
    if (random() % 8 == 0) {
      std::size_t size = sizes[random() % std::size(sizes)];
      ASSERT_FALSE(client_.receive(as_bytes(frame(settings, 0, 0, setting(1, size)))));
      reader.change_table_size(size);
    }
    std::vector<std::string> storage;
    std::vector<header> fields;
    int count = static_cast<int>(random() % 5);
    for (int i = 0; i < count; ++i) {
      storage.push_back("x-field-" + std::to_string(random() % 6));
      storage.push_back(std::string(random() % 3 == 0 ? 150 : 1 + random() % 20,
                                    static_cast<char>('a' + random() % 4)));
    }
    for (int i = 0; i < count; ++i) fields.push_back({storage[2 * i], storage[2 * i + 1]});
    auto req = post("/p" + std::to_string(round), "");
    std::string path = "/p" + std::to_string(round);
    req.path = path;
    req.headers = fields;
    outcome ignored;
    auto id = client_.submit(req, record_into(ignored));
    ASSERT_TRUE(id);
    for (const auto& f : take_frames(client_)) {
      if (f.type != headers) continue;
      auto decoded = reader.read(f.payload);
      ASSERT_TRUE(decoded) << "round " << round;
      field_list expected = {
          {":method", "POST"}, {":scheme", "http"}, {":authority", "localhost"}, {":path", path}};
      for (const auto& field : fields) expected.emplace_back(field.name, field.value);
      expected.emplace_back("content-length", "0");
      ASSERT_EQ(*decoded, expected) << "round " << round;
    }
    ASSERT_FALSE(client_.receive(as_bytes(response(*id, 200))));
  }
}

// --- GOAWAY ------------------------------------------------------------------------------------

TEST_F(h2_client_review_test, goaway_refuses_streams_above_its_last_id_and_finishes_the_others) {
  handshake();
  outcome a, b, c;
  auto a_id = client_.submit(post("/a", ""), record_into(a));
  auto b_id = client_.submit(post("/b", ""), record_into(b));
  auto c_id = client_.submit(post("/c", ""), record_into(c));
  ASSERT_FALSE(client_.receive(as_bytes(frame(goaway, 0, 0, u32(*a_id) + u32(0)))));
  ASSERT_TRUE(b.done && c.done);
  EXPECT_TRUE(b.err.retryable());
  EXPECT_TRUE(c.err.retryable());
  EXPECT_FALSE(a.done);
  EXPECT_FALSE(client_.can_submit());
  EXPECT_EQ(client_.submit(post("/d", ""), record_into(c)).error_value().code(),
            error_code::going_away);
  EXPECT_FALSE(client_.wants_close());
  ASSERT_FALSE(client_.receive(as_bytes(response(*a_id, 200, "a"))));
  ASSERT_TRUE(a.done);
  EXPECT_EQ(a.body, "a");
  EXPECT_TRUE(client_.wants_close());
  (void)b_id;
  (void)c_id;
}

TEST_F(h2_client_review_test, requests_not_yet_written_are_refused_and_dropped_on_close) {
  handshake();
  outcome a, b, c;
  auto a_id = client_.submit(post("/a", "body a"), record_into(a));
  take_frames(client_);  // a is on the wire
  auto b_id = client_.submit(post("/b", "body b"), record_into(b));
  // Part of b's HEADERS left: b counts as sent.
  client_.consume_output(3);
  auto c_id = client_.submit(post("/c", "body c"), record_into(c));
  client_.receive_eof();
  ASSERT_TRUE(a.done && b.done && c.done);
  EXPECT_EQ(a.err.code(), error_code::connection_closed);
  EXPECT_EQ(b.err.code(), error_code::connection_closed);
  EXPECT_TRUE(c.err.retryable());
  // What is left to write finishes b's frames and holds nothing of c.
  std::string rest{as_text(client_.pending_output())};
  EXPECT_EQ(rest.find("body c"), std::string::npos);
  EXPECT_NE(rest.find("body b"), std::string::npos);
  (void)a_id;
  (void)b_id;
  (void)c_id;
}

TEST_F(h2_client_review_test, close_sends_goaway_after_dropping_unwritten_requests) {
  handshake();
  outcome a, b;
  auto a_id = client_.submit(post("/a", ""), record_into(a));
  take_frames(client_);
  auto b_id = client_.submit(post("/b", ""), record_into(b));
  client_.close();
  ASSERT_TRUE(a.done && b.done);
  EXPECT_EQ(a.err.code(), error_code::connection_closed);
  EXPECT_TRUE(b.err.retryable());
  auto frames = take_frames(client_);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].type, goaway);
  (void)a_id;
  (void)b_id;
}

// --- bounds ------------------------------------------------------------------------------------

TEST_F(h2_client_review_test, an_endless_header_block_is_a_connection_error) {
  client_options options;
  options.max_header_size = 1024;
  h2_client_connection client{options};
  handshake(client);
  outcome a;
  auto id = client.submit(post("/a", ""), record_into(a));
  error err = client.receive(as_bytes(frame(headers, 0, *id, std::string(1000, '\0'))));
  for (int i = 0; i < 100 && !err; ++i) {
    err = client.receive(as_bytes(frame(continuation, 0, *id, std::string(1000, '\0'))));
  }
  EXPECT_TRUE(err);
  EXPECT_TRUE(a.done);
}

TEST_F(h2_client_review_test, a_header_block_that_expands_past_the_limit_fails_that_stream_only) {
  // One table entry of 3,000 bytes named 3,000 times in one small block.
  client_options options;
  options.max_header_size = 64 << 10;
  h2_client_connection client{options};
  handshake(client);
  outcome a, b;
  auto a_id = client.submit(post("/a", ""), record_into(a));
  auto b_id = client.submit(post("/b", ""), record_into(b));
  std::string block = encoder_.block({{":status", "200"}, {"x-big", std::string(3000, 'x')}});
  std::string repeat = encoder_.block({{"x-big", std::string(3000, 'x')}});
  ASSERT_EQ(repeat.size(), 1u);  // an index
  block += std::string(3000, repeat[0]);
  ASSERT_FALSE(client.receive(as_bytes(frame(headers, end_headers | end_stream, *a_id, block))));
  ASSERT_TRUE(a.done);
  EXPECT_EQ(a.err.code(), error_code::header_too_large);
  ASSERT_FALSE(client.receive(as_bytes(
      frame(headers, end_headers | end_stream, *b_id, encoder_.block({{":status", "200"}})))));
  EXPECT_TRUE(b.done);
  EXPECT_FALSE(b.err);
}

TEST_F(h2_client_review_test, headers_and_trailers_each_get_the_whole_size_limit) {
  client_options options;
  options.max_header_size = 4096;
  h2_client_connection client{options};
  handshake(client);
  outcome a;
  auto id = client.submit(post("/a", ""), record_into(a));
  ASSERT_FALSE(client.receive(
      as_bytes(frame(headers, end_headers, *id,
                     encoder_.block({{":status", "200"}, {"x-head", std::string(3000, 'h')}})) +
               frame(headers, end_headers | end_stream, *id,
                     encoder_.block({{"x-tail", std::string(3000, 't')}})))));
  ASSERT_TRUE(a.done);
  EXPECT_FALSE(a.err) << a.err.message();  // 6,000 bytes in all, but 3,000 a block
  EXPECT_EQ(a.status, 200);
}

TEST_F(h2_client_review_test, a_partial_frame_held_between_reads_is_at_most_one_frame) {
  handshake();
  outcome a;
  auto id = client_.submit(post("/a", ""), record_into(a));
  // A frame head announcing 16 MiB is refused before its payload is waited for.
  std::string head = frame(data, 0, *id, "").substr(0, 9);
  head[0] = '\xff';
  EXPECT_TRUE(client_.receive(as_bytes(head)));
  EXPECT_TRUE(a.done);
}

}  // namespace

// --- the HPACK encoder on its own ---------------------------------------------------------------

namespace detail {
namespace {

std::string encode(hpack_encoder& encoder,
                   std::vector<std::pair<std::string, hpack_encoder::kind>> values) {
  byte_buffer out;
  encoder.begin(out);
  for (const auto& [value, how] : values) encoder.add(out, "x-name", value, how);
  return std::string{as_text(out.data())};
}

TEST(hpack_encoder_review, the_smallest_table_size_between_blocks_is_signalled_first) {
  hpack_encoder encoder;
  encode(encoder, {{"value", hpack_encoder::kind::may_repeat}});
  encoder.set_peer_table_size(0);
  encoder.set_peer_table_size(4096);
  std::string block = encode(encoder, {{"value", hpack_encoder::kind::may_repeat}});
  // RFC 7541 §4.2: an update to 0 (0x20), then one to 4096 (0x3f 0xe1 0x1f).
  ASSERT_GE(block.size(), 4u);
  EXPECT_EQ(block.substr(0, 4), std::string("\x20\x3f\xe1\x1f", 4));
}

TEST(hpack_encoder_review, a_shrink_then_a_smaller_grow_signals_both_sizes) {
  hpack_encoder encoder;
  encoder.set_peer_table_size(100);
  encoder.set_peer_table_size(200);
  std::string block = encode(encoder, {});
  byte_buffer expected;
  hpack_integer(expected, 0x20, 5, 100);
  hpack_integer(expected, 0x20, 5, 200);
  EXPECT_EQ(block, as_text(expected.data()));
}

TEST(hpack_encoder_review, a_single_change_is_one_update_and_no_change_is_none) {
  hpack_encoder encoder;
  encoder.set_peer_table_size(100);
  std::string block = encode(encoder, {});
  byte_buffer expected;
  hpack_integer(expected, 0x20, 5, 100);
  EXPECT_EQ(block, as_text(expected.data()));
  encoder.set_peer_table_size(100);
  EXPECT_EQ(encode(encoder, {}), "");
  // Changed and changed back between blocks: the table was emptied, the peer must hear of it.
  encoder.set_peer_table_size(50);
  encoder.set_peer_table_size(100);
  byte_buffer both;
  hpack_integer(both, 0x20, 5, 50);
  hpack_integer(both, 0x20, 5, 100);
  EXPECT_EQ(encode(encoder, {}), as_text(both.data()));
}

TEST(hpack_encoder_review, an_entry_larger_than_the_table_is_not_indexed) {
  hpack_encoder encoder;
  encoder.set_peer_table_size(100);
  encode(encoder, {{"short", hpack_encoder::kind::may_repeat}});
  std::size_t before = encoder.table_size();
  EXPECT_EQ(before, 6u + 5u + 32u);
  encode(encoder, {{std::string(80, 'v'), hpack_encoder::kind::may_repeat}});
  EXPECT_EQ(encoder.table_size(), before) << "the table keeps what it had";
}

}  // namespace
}  // namespace detail
}  // namespace tr::transport
