// The HTTP/2 client against hand-made server frames: what an AS may send that our own server
// never does (padding, CONTINUATION, Huffman, PING, small windows, broken frames), and the
// client's header blocks read back by nghttp2's HPACK decoder.

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tests/transport/engine_fixtures.hpp"
#include "tests/transport/h2_frames.hpp"
#include "transport/h2_client_connection.hpp"

namespace tr::transport {
namespace {

using testing::outcome;
using testing::post;
using testing::record_into;
using namespace testing;

class h2_client_frames_test : public ::testing::Test {
 protected:
  /// The server's empty SETTINGS, taken by the client; the client's output is dropped.
  void handshake(std::string settings = {}) {
    take_frames(client_);
    ASSERT_FALSE(client_.receive(as_bytes(frame(4, 0, 0, settings))));
    auto frames = take_frames(client_);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].type, 4);
    EXPECT_EQ(frames[0].flags, 1);  // ACK
  }

  /// The GOAWAY error code in the client's output, -1 if none.
  int goaway_code() {
    for (const auto& f : take_frames(client_)) {
      if (f.type == 7 && f.payload.size() >= 8) return static_cast<std::uint8_t>(f.payload[7]);
    }
    return -1;
  }

  h2_client_connection client_{client_options{}};
  server_encoder encoder_;
};

TEST_F(h2_client_frames_test, opens_with_the_preface_settings_and_a_larger_window) {
  std::string bytes{as_text(client_.pending_output())};
  ASSERT_TRUE(bytes.starts_with(client_preface));
  auto frames = take_frames(client_);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].type, 4);
  EXPECT_EQ(frames[0].payload.size() % 6, 0u);
  EXPECT_EQ(frames[1].type, 8);
  EXPECT_EQ(frames[1].stream, 0u);
}

TEST_F(h2_client_frames_test, answers_ping_with_the_same_opaque_data) {
  handshake();
  ASSERT_FALSE(client_.receive(as_bytes(frame(6, 0, 0, "12345678"))));
  auto frames = take_frames(client_);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].type, 6);
  EXPECT_EQ(frames[0].flags, 1);
  EXPECT_EQ(frames[0].payload, "12345678");
}

TEST_F(h2_client_frames_test, reads_padded_and_continued_huffman_responses_byte_by_byte) {
  handshake();
  outcome result;
  auto id = client_.submit(post("/up", "body"), record_into(result));
  ASSERT_TRUE(id);
  std::string block = encoder_.block({{":status", "200"}, {"x-reason", "all good, thanks"}});
  std::string padded_headers = std::string(1, '\3') + block.substr(0, 3) + "pad";
  std::string input = frame(1, 0x8, *id, padded_headers) +   // PADDED, no END_HEADERS
                      frame(9, 0x4, *id, block.substr(3)) +  // CONTINUATION, END_HEADERS
                      frame(0, 0x8 | 0x1, *id, std::string(1, '\2') + "hello" + "xx");
  for (char c : input) {
    ASSERT_FALSE(client_.receive(as_bytes(std::string_view{&c, 1})));
  }
  ASSERT_TRUE(result.done);
  ASSERT_FALSE(result.err) << result.err.message();
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.header_value("x-reason"), "all good, thanks");
  EXPECT_EQ(result.body, "hello");
  EXPECT_EQ(client_.in_flight(), 0u);
}

TEST_F(h2_client_frames_test, skips_interim_responses_and_reads_trailers) {
  handshake();
  outcome result;
  auto id = client_.submit(post("/up", ""), record_into(result));
  ASSERT_TRUE(id);
  std::string input = frame(1, 0x4, *id, encoder_.block({{":status", "100"}})) +
                      frame(1, 0x4, *id, encoder_.block({{":status", "202"}})) +
                      frame(0, 0, *id, "ok") +
                      frame(1, 0x4 | 0x1, *id, encoder_.block({{"x-trailer", "1"}}));
  ASSERT_FALSE(client_.receive(as_bytes(input)));
  ASSERT_TRUE(result.done);
  EXPECT_FALSE(result.err);
  EXPECT_EQ(result.status, 202);
  EXPECT_EQ(result.body, "ok");
}

TEST_F(h2_client_frames_test, header_blocks_decode_with_an_rfc_decoder_and_repeat_by_index) {
  handshake();
  block_reader reader;
  header fields[] = {{"Content-Type", "application/json"}, {"x-tenant", "acme"}};
  std::vector<std::size_t> sizes;
  for (int i = 0; i < 3; ++i) {
    if (i == 2) {
      // The server shrinks the table: the next block starts with a size update.
      ASSERT_FALSE(client_.receive(as_bytes(frame(4, 0, 0, setting(1, 0)))));
    }
    auto req = post("/uplink?Time=" + std::to_string(i), "{}");
    std::string path = "/uplink?Time=" + std::to_string(i);
    req.path = path;
    req.authority = "as.example:8443";
    req.scheme = "https";
    req.headers = fields;
    outcome ignored;
    ASSERT_TRUE(client_.submit(req, record_into(ignored)));
    for (const auto& f : take_frames(client_)) {
      if (f.type != 1) continue;
      sizes.push_back(f.payload.size());
      auto decoded = reader.read(f.payload);
      ASSERT_TRUE(decoded) << "the client's header block does not decode";
      std::vector<std::pair<std::string, std::string>> expected = {
          {":method", "POST"},
          {":scheme", "https"},
          {":authority", "as.example:8443"},
          {":path", path},
          {"content-type", "application/json"},
          {"x-tenant", "acme"},
          {"content-length", "2"}};
      EXPECT_EQ(*decoded, expected);
    }
  }
  ASSERT_EQ(sizes.size(), 3u);
  EXPECT_LT(sizes[1], sizes[0]);  // the repeated fields went in as one-byte indexes
  EXPECT_GT(sizes[2], sizes[1]);  // with no table, literals again
}

TEST_F(h2_client_frames_test, sends_a_body_only_as_far_as_the_windows_allow) {
  handshake(setting(4, 10));  // SETTINGS_INITIAL_WINDOW_SIZE = 10
  outcome result;
  std::string body(25, 'b');
  auto id = client_.submit(post("/big", body), record_into(result));
  ASSERT_TRUE(id);
  std::string sent;
  auto collect = [&] {
    bool ended = false;
    for (const auto& f : take_frames(client_)) {
      if (f.type != 0) continue;
      EXPECT_LE(f.payload.size(), 10u);
      sent += f.payload;
      ended = ended || (f.flags & 1);
    }
    return ended;
  };
  EXPECT_FALSE(collect());
  EXPECT_EQ(sent.size(), 10u);
  ASSERT_FALSE(client_.receive(as_bytes(frame(8, 0, *id, u32(10)))));
  EXPECT_FALSE(collect());
  EXPECT_EQ(sent.size(), 20u);
  ASSERT_FALSE(client_.receive(as_bytes(frame(8, 0, *id, u32(100)))));
  EXPECT_TRUE(collect());
  EXPECT_EQ(sent, body);
}

TEST_F(h2_client_frames_test, refused_stream_is_retryable_and_other_resets_are_not) {
  handshake();
  outcome refused, reset;
  auto a = client_.submit(post("/a", ""), record_into(refused));
  auto b = client_.submit(post("/b", ""), record_into(reset));
  ASSERT_FALSE(client_.receive(as_bytes(frame(3, 0, *a, u32(7)) + frame(3, 0, *b, u32(2)))));
  ASSERT_TRUE(refused.done && reset.done);
  EXPECT_EQ(refused.err.code(), error_code::refused);
  EXPECT_TRUE(refused.err.retryable());
  EXPECT_EQ(reset.err.code(), error_code::stream_reset);
  EXPECT_FALSE(reset.err.retryable());
}

TEST_F(h2_client_frames_test, oversize_response_headers_fail_that_stream_only) {
  client_options options;
  options.max_header_size = 64;
  h2_client_connection client{options};
  take_frames(client);
  ASSERT_FALSE(client.receive(as_bytes(frame(4, 0, 0, ""))));
  outcome big, fine;
  auto a = client.submit(post("/a", ""), record_into(big));
  auto b = client.submit(post("/b", ""), record_into(fine));
  std::string input =
      frame(1, 0x5, *a, encoder_.block({{":status", "200"}, {"x-big", std::string(100, 'x')}})) +
      frame(1, 0x5, *b, encoder_.block({{":status", "204"}}));
  ASSERT_FALSE(client.receive(as_bytes(input)));
  ASSERT_TRUE(big.done && fine.done);
  EXPECT_EQ(big.err.code(), error_code::header_too_large);
  EXPECT_FALSE(fine.err) << fine.err.message();
  EXPECT_EQ(fine.status, 204);
}

TEST_F(h2_client_frames_test, survives_random_frames_from_a_hostile_server) {
  std::mt19937 random{20261126};
  int errors = 0;
  for (int round = 0; round < 3000; ++round) {
    h2_client_connection client{client_options{}};
    take_frames(client);
    outcome a, b;
    client.submit(post("/a", "0123456789"), record_into(a));
    client.submit(post("/b", ""), record_into(b));
    std::string input = frame(4, 0, 0, "");
    int frames = 1 + static_cast<int>(random() % 6);
    for (int i = 0; i < frames; ++i) {
      std::string payload(random() % 40, '\0');
      for (char& c : payload) c = static_cast<char>(random());
      if (random() % 3 == 0)
        payload = encoder_.block({{":status", std::to_string(100 + random() % 500)}});
      input += frame(static_cast<std::uint8_t>(random() % 11), static_cast<std::uint8_t>(random()),
                     static_cast<std::uint32_t>(random() % 5), payload);
    }
    // Sometimes cut the input anywhere.
    if (random() % 4 == 0) input.resize(random() % (input.size() + 1));
    if (client.receive(as_bytes(input))) ++errors;
    take_frames(client);
    client.close();
    EXPECT_TRUE(a.done && b.done);  // every request gets exactly one outcome
  }
  EXPECT_GT(errors, 0);  // the generator does produce broken input
}

struct broken_input {
  const char* what;
  std::string bytes;  // sent after the server's SETTINGS, with stream 1 open
  int goaway;         // expected GOAWAY error code
};

/// How a case shows in test output: what it sends (the bytes themselves are binary).
void PrintTo(const broken_input& c, std::ostream* out) { *out << c.what; }

class h2_client_broken_input : public h2_client_frames_test,
                               public ::testing::WithParamInterface<broken_input> {};

TEST_P(h2_client_broken_input, closes_with_goaway_and_fails_the_open_request) {
  handshake();
  outcome result;
  ASSERT_TRUE(client_.submit(post("/a", ""), record_into(result)));
  auto err = client_.receive(as_bytes(GetParam().bytes));
  EXPECT_EQ(err.code(), error_code::protocol_error) << GetParam().what;
  ASSERT_TRUE(result.done);
  EXPECT_TRUE(result.err);
  EXPECT_EQ(goaway_code(), GetParam().goaway);
  EXPECT_TRUE(client_.wants_close());
  EXPECT_FALSE(client_.can_submit());
  // Nothing more is read or sent.
  EXPECT_TRUE(client_.receive(as_bytes(frame(6, 0, 0, "12345678"))));
}

INSTANTIATE_TEST_SUITE_P(
    frames, h2_client_broken_input,
    ::testing::Values(
        broken_input{"DATA on stream 0", frame(0, 0, 0, "x"), 1},
        broken_input{"HEADERS on a stream never opened", frame(1, 0x5, 3, "\x88"), 1},
        broken_input{"frame above 16384 bytes", frame(0, 0, 1, std::string(16385, 'x')), 6},
        broken_input{"CONTINUATION out of place", frame(9, 0x4, 1, "\x88"), 1},
        broken_input{"HEADERS interrupted", frame(1, 0, 1, "\x88") + frame(6, 0, 0, "12345678"), 1},
        broken_input{"HPACK index out of range", frame(1, 0x5, 1, "\xff\x7f"), 9},
        broken_input{"PING of 7 bytes", frame(6, 0, 0, "1234567"), 6},
        broken_input{"SETTINGS of 5 bytes", frame(4, 0, 0, "12345"), 6},
        broken_input{"window overflow", frame(8, 0, 0, u32(0x7fffffff)), 3},
        broken_input{"WINDOW_UPDATE of 0", frame(8, 0, 0, u32(0)), 1},
        broken_input{"PUSH_PROMISE", frame(5, 0x4, 1, u32(2) + "\x88"), 1},
        broken_input{"bad padding",
                     frame(0, 0x8, 1,
                           "\x09"
                           "abc"),
                     1},
        broken_input{"MAX_FRAME_SIZE too small", frame(4, 0, 0, setting(5, 100)), 1}),
    [](const ::testing::TestParamInfo<broken_input>& info) {
      std::string name;
      for (const char* p = info.param.what; *p; ++p) name += std::isalnum(*p) ? *p : '_';
      return name;
    });

}  // namespace
}  // namespace tr::transport

namespace tr::transport {
namespace {

// An AS that keeps sending DATA on a stream we reset must not get its window back: it once
// pushed gigabytes for one uplink because every byte was credited again.
TEST_F(h2_client_frames_test, stops_a_server_that_floods_data_on_a_reset_stream) {
  handshake();
  outcome result;
  auto id = client_.submit(post("/up", "body"), record_into(result));
  ASSERT_TRUE(id);
  ASSERT_FALSE(client_.receive(as_bytes(frame(1, 0x4, *id, encoder_.block({{":status", "200"}})))));
  client_.cancel(*id);
  take_frames(client_);
  // What the stream's window allowed is still taken (it may have been in flight) ...
  std::string chunk(16384, 'x');
  std::size_t sent = 0;
  error failure;
  for (int i = 0; i < 4096 && !failure; ++i) {  // up to 64 MiB, far beyond every window
    failure = client_.receive(as_bytes(frame(0, 0, *id, chunk)));
    if (!failure) sent += chunk.size();
  }
  // ... the rest ends the connection instead of being credited again.
  EXPECT_TRUE(failure);
  EXPECT_LE(sent, std::size_t{client_options{}.initial_window_size} + (64 << 10) + chunk.size());
  EXPECT_EQ(goaway_code(), 3);  // FLOW_CONTROL_ERROR
}

// An AS answer holds little memory whatever its size: a large body is read (to its limit) and
// only its first bytes kept, and its length still checked against content-length.
TEST_F(h2_client_frames_test, keeps_only_the_first_bytes_of_a_large_body) {
  handshake();
  outcome result;
  auto id = client_.submit(post("/up", "body"), record_into(result));
  ASSERT_TRUE(id);
  std::size_t size = 600 << 10;  // within the stream window (1 MiB)
  std::string input = frame(
      1, 0x4, *id, encoder_.block({{":status", "200"}, {"content-length", std::to_string(size)}}));
  std::string chunk(16384, 'b');
  for (std::size_t sent = 0; sent < size; sent += chunk.size())
    input += frame(0, sent + chunk.size() >= size ? 0x1 : 0, *id, chunk.substr(0, size - sent));
  ASSERT_FALSE(client_.receive(as_bytes(input)));
  ASSERT_TRUE(result.done);
  ASSERT_FALSE(result.err) << result.err.message();
  EXPECT_EQ(result.body, std::string(client_options{}.kept_response_body, 'b'));
}

// Frames that lead to no answer cost the shard: an AS that sends them without end (interim 1xx
// blocks, PRIORITY, unknown types, WINDOW_UPDATE, PING) is cut off once its allowance is spent.
TEST_F(h2_client_frames_test, cuts_off_a_server_that_sends_endless_frames_without_answers) {
  struct flood {
    const char* what;
    std::function<std::string(std::int32_t)> frame_for;
  };
  std::vector<flood> floods = {
      {"interim",
       [&](std::int32_t id) {
         return frame(1, 0x4, id, encoder_.block({{":status", "103"}}));
       }},
      {"priority", [](std::int32_t id) { return frame(2, 0, id, std::string(5, '\0')); }},
      {"unknown", [](std::int32_t) { return frame(0x42, 0, 0, "x"); }},
      {"window update",
       [](std::int32_t id) { return frame(8, 0, id, std::string("\0\0\0\1", 4)); }},
      {"ping", [](std::int32_t) { return frame(6, 0, 0, "12345678"); }},
      {"empty data", [](std::int32_t id) { return frame(0, 0, id, ""); }},
      {"one-byte data", [](std::int32_t id) { return frame(0, 0, id, "x"); }},
  };
  for (const auto& f : floods) {
    SCOPED_TRACE(f.what);
    h2_client_connection client{client_options{}};
    server_encoder encoder;
    take_frames(client);
    ASSERT_FALSE(client.receive(as_bytes(frame(4, 0, 0, ""))));
    outcome result;
    auto id = client.submit(post("/up", "body"), record_into(result));
    ASSERT_TRUE(id);
    if (std::string_view{f.what} != "interim")
      ASSERT_FALSE(
          client.receive(as_bytes(frame(1, 0x4, *id, encoder.block({{":status", "200"}})))));
    error failure;
    int sent = 0;
    std::string batch;
    for (int i = 0; i < 100; ++i) batch += f.frame_for(*id);
    for (; sent < 50000 && !failure; sent += 100) failure = client.receive(as_bytes(batch));
    EXPECT_TRUE(failure);
    EXPECT_LE(sent, 10100);
    ASSERT_TRUE(result.done);
    EXPECT_TRUE(result.err);
    int code = -1;
    for (const auto& out : take_frames(client))
      if (out.type == 7 && out.payload.size() >= 8)
        code = static_cast<std::uint8_t>(out.payload[7]);
    EXPECT_EQ(code, 11);  // ENHANCE_YOUR_CALM
  }
}

// Answers top the allowance up: a server that sends a few such frames with each answer (its
// WINDOW_UPDATEs, a PING now and then) is never cut off.
TEST_F(h2_client_frames_test, a_server_that_answers_keeps_its_allowance) {
  handshake();
  for (int i = 0; i < 2000; ++i) {
    outcome result;
    auto id = client_.submit(post("/up", "body"), record_into(result));
    ASSERT_TRUE(id);
    std::string input;
    for (int j = 0; j < 50; ++j) input += frame(8, 0, 0, std::string("\0\0\0\1", 4));
    input += frame(1, 0x4 | 0x1, *id, encoder_.block({{":status", "200"}}));
    ASSERT_FALSE(client_.receive(as_bytes(input))) << i;
    ASSERT_TRUE(result.done);
    ASSERT_FALSE(result.err) << result.err.message();
    take_frames(client_);
  }
}

TEST_F(h2_client_frames_test, window_update_on_a_stream_never_opened_is_a_connection_error) {
  handshake();
  outcome result;
  auto id = client_.submit(post("/up", "body"), record_into(result));
  ASSERT_TRUE(id);
  EXPECT_TRUE(client_.receive(as_bytes(frame(8, 0, *id + 2, std::string("\0\0\0\1", 4)))));
  EXPECT_EQ(goaway_code(), 1);  // PROTOCOL_ERROR
}

}  // namespace
}  // namespace tr::transport
