// Read fairness of a shard: a connection with megabytes waiting is read a piece per loop turn,
// so another connection's bytes are taken after a bounded amount of the first one's, however
// much of it is buffered.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "transport/http_server_connection.hpp"
#include "transport/runtime/runtime.hpp"

namespace tr::transport {
namespace {

using namespace std::chrono_literals;

/// Counts what it receives; on its first bytes, tells what `other` had received by then (when
/// given), and tells when it has received `expected` bytes (when given).
class counting_engine final : public connection_engine {
 public:
  struct watch {
    const std::atomic<std::size_t>* other = nullptr;
    std::promise<std::size_t>* other_at_first = nullptr;
    std::size_t expected = 0;
    std::promise<void>* all_received = nullptr;
  };

  counting_engine(std::atomic<std::size_t>& received, watch what)
      : received_(received), watch_(what) {}

  error receive(std::span<const std::byte> bytes) override {
    if (received_ == 0 && watch_.other_at_first) watch_.other_at_first->set_value(watch_.other->load());
    received_ += bytes.size();
    if (watch_.all_received && received_ >= watch_.expected) {
      watch_.all_received->set_value();
      watch_.all_received = nullptr;
    }
    return {};
  }
  void receive_eof() override { eof_ = true; }
  std::span<const std::byte> pending_output() override { return {}; }
  void consume_output(std::size_t) override {}
  bool wants_close() const override { return eof_; }

 private:
  std::atomic<std::size_t>& received_;
  watch watch_;
  bool eof_ = false;
};

/// A socket pair whose second end is kept by the test; the first goes to the shard.
struct socket_pair {
  int shard_end = -1;
  int test_end = -1;
  socket_pair() {
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, ends) == 0) {
      shard_end = ends[0];
      test_end = ends[1];
    }
  }
  ~socket_pair() {
    if (test_end >= 0) ::close(test_end);
  }
};

/// Writes to a non-blocking socket until the kernel takes no more; the bytes written.
std::size_t fill(int fd) {
  const std::string chunk(16 << 10, 'b');
  std::size_t sent = 0;
  for (;;) {
    ssize_t count = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (count <= 0) return sent;
    sent += static_cast<std::size_t>(count);
  }
}

TEST(runtime_read_fairness, reads_another_connection_after_a_bounded_piece_of_a_full_one) {
  // Declared before the runtime: its shard may call them until it stops.
  io_handler handler;
  std::atomic<std::size_t> streamed{0}, other_received{0};
  std::promise<std::size_t> streamed_when_other_read;
  std::promise<void> all_streamed;
  socket_pair streaming, other;
  ASSERT_GE(streaming.test_end, 0);
  ASSERT_GE(other.test_end, 0);
  int large = 4 << 20;  // as much as the kernel allows (capped by net.core.wmem_max)
  setsockopt(streaming.test_end, SOL_SOCKET, SO_SNDBUF, &large, sizeof large);
  // Everything is waiting before the shard sees either connection: hundreds of KiB of a body
  // on one, a short request on the other.
  std::size_t buffered = fill(streaming.test_end);
  ASSERT_GE(buffered, 192u << 10) << "too little buffered for the test to tell anything";
  ASSERT_EQ(::send(other.test_end, "GET / HTTP/1.1\r\n\r\n", 18, MSG_NOSIGNAL), 18);

  runtime_options options;
  options.shards = 1;
  runtime rt{options};
  rt.start();
  rt.at(0).post([&, a = streaming.shard_end, b = other.shard_end](shard& on) {
    counting_engine::watch streaming_watch;
    streaming_watch.expected = buffered;
    streaming_watch.all_received = &all_streamed;
    counting_engine::watch other_watch;
    other_watch.other = &streamed;
    other_watch.other_at_first = &streamed_when_other_read;
    on.adopt(socket{a}, std::make_unique<counting_engine>(streamed, streaming_watch), handler);
    on.adopt(socket{b}, std::make_unique<counting_engine>(other_received, other_watch), handler);
  });
  auto before_other = streamed_when_other_read.get_future();
  ASSERT_EQ(before_other.wait_for(10s), std::future_status::ready);
  // A piece or two of 16 KiB may come first (both are ready in the same turn); reading the
  // streaming connection until it is empty would take all of `buffered`.
  EXPECT_LE(before_other.get(), 64u << 10) << "of " << buffered << " bytes buffered";
  // And the streaming connection is still read to its end.
  auto done = all_streamed.get_future();
  EXPECT_EQ(done.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(streamed.load(), buffered);
  rt.stop();
}

/// An http_server_connection that records the largest piece it was given at once.
class recording_server final : public connection_engine {
 public:
  recording_server(std::atomic<std::size_t>& received, std::atomic<std::size_t>& largest_piece)
      : received_(received), largest_piece_(largest_piece) {
    server_options options;
    options.max_body_size = 64 << 20;
    inner_ = std::make_unique<http_server_connection>(
        options, [](http_server_connection&, const request&) {});
  }
  error receive(std::span<const std::byte> bytes) override {
    if (bytes.size() > largest_piece_) largest_piece_ = bytes.size();
    received_ += bytes.size();
    return inner_->receive(bytes);
  }
  void receive_eof() override { inner_->receive_eof(); }
  std::span<const std::byte> pending_output() override { return inner_->pending_output(); }
  void consume_output(std::size_t count) override { inner_->consume_output(count); }
  bool wants_close() const override { return inner_->wants_close(); }
  std::size_t bulk_input() const override { return inner_->bulk_input(); }

 private:
  std::atomic<std::size_t>& received_;
  std::atomic<std::size_t>& largest_piece_;
  std::unique_ptr<http_server_connection> inner_;
};

TEST(runtime_read_fairness, reads_a_body_in_bulk_and_still_another_connection_soon) {
  io_handler handler;
  std::atomic<std::size_t> streamed{0}, largest_piece{0}, other_received{0};
  std::promise<std::size_t> streamed_when_other_read;
  socket_pair streaming, other;
  ASSERT_GE(streaming.test_end, 0);
  ASSERT_GE(other.test_end, 0);
  int large = 16 << 20;
  setsockopt(streaming.test_end, SOL_SOCKET, SO_SNDBUF, &large, sizeof large);
  std::string head = "POST /v1/reports:batch HTTP/1.1\r\nHost: a\r\nContent-Length: 33554432\r\n\r\n";
  ASSERT_EQ(::send(streaming.test_end, head.data(), head.size(), MSG_NOSIGNAL), ssize_t(head.size()));
  std::size_t buffered = head.size() + fill(streaming.test_end);
  ASSERT_GE(buffered, 1u << 20) << "too little buffered for the test to tell anything";
  ASSERT_EQ(::send(other.test_end, "GET / HTTP/1.1\r\n\r\n", 18, MSG_NOSIGNAL), 18);

  runtime_options options;
  options.shards = 1;
  runtime rt{options};
  rt.start();
  rt.at(0).post([&, a = streaming.shard_end, b = other.shard_end](shard& on) {
    on.adopt(socket{a}, std::make_unique<recording_server>(streamed, largest_piece), handler);
    // Both ready in the same turns: the other connection comes after a few bulk pieces at most.
    on.post_next_turn([&, b](shard& on) {
      counting_engine::watch other_watch;
      other_watch.other = &streamed;
      other_watch.other_at_first = &streamed_when_other_read;
      on.adopt(socket{b}, std::make_unique<counting_engine>(other_received, other_watch), handler);
    });
  });
  auto before_other = streamed_when_other_read.get_future();
  ASSERT_EQ(before_other.wait_for(10s), std::future_status::ready);
  EXPECT_LE(before_other.get(), 3u * (256u << 10)) << "of " << buffered << " bytes buffered";
  EXPECT_GT(largest_piece.load(), 16u << 10) << "the body is read in pieces larger than 16 KiB";
  EXPECT_LE(largest_piece.load(), 256u << 10);
  rt.stop();
}

}  // namespace
}  // namespace tr::transport
