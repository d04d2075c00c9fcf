// Sockets driven by a shard: output written from outside engine callbacks, back-pressure,
// close reasons, stale handles, and a peer sending garbage next to a well-behaved one.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/loopback.hpp"
#include "transport/http_server_connection.hpp"
#include "transport/runtime/runtime.hpp"

namespace tr::transport {
namespace {

using namespace std::chrono_literals;

/// What an echo_engine saw, readable from the test thread.
struct echo_stats {
  std::atomic<std::size_t> received{0};
  std::atomic<std::size_t> max_unwritten{0};
};

/// Sends back every byte it receives; wants to close on end of stream.
class echo_engine final : public connection_engine {
 public:
  explicit echo_engine(echo_stats& stats) : stats_(stats) {}

  error receive(std::span<const std::byte> bytes) override {
    stats_.received += bytes.size();
    output_.insert(output_.end(), bytes.begin(), bytes.end());
    std::size_t unwritten = output_.size() - written_;
    if (unwritten > stats_.max_unwritten) stats_.max_unwritten = unwritten;
    return {};
  }
  void receive_eof() override { eof_ = true; }
  std::span<const std::byte> pending_output() override {
    return {output_.data() + written_, output_.size() - written_};
  }
  void consume_output(std::size_t count) override {
    written_ += count;
    if (written_ == output_.size()) {
      output_.clear();
      written_ = 0;
    }
  }
  bool wants_close() const override { return eof_; }

  /// Queues bytes as if the application produced them.
  void say(std::string_view text) {
    auto bytes = as_bytes(text);
    output_.insert(output_.end(), bytes.begin(), bytes.end());
  }

 private:
  echo_stats& stats_;
  std::vector<std::byte> output_;
  std::size_t written_ = 0;
  bool eof_ = false;
};

/// Hands out the handle and the close reason through futures.
class watching_handler final : public io_handler {
 public:
  void on_open(shard&, connection_handle handle) override { opened_.set_value(handle); }
  void on_close(shard&, connection_handle, const io_status& why) override { closed_.set_value(why); }

  std::future<connection_handle> opened() { return opened_.get_future(); }
  std::future<io_status> closed() { return closed_.get_future(); }

 private:
  std::promise<connection_handle> opened_;
  std::promise<io_status> closed_;
};

template <class T>
T await(std::future<T>& future, std::chrono::seconds timeout = 10s) {
  if (future.wait_for(timeout) != std::future_status::ready) {
    ADD_FAILURE() << "timed out";
    return T{};
  }
  return future.get();
}

/// Reads from a non-blocking socket until `text` has arrived (or 10 s passed); all it read.
std::string read_until(int fd, std::string_view text) {
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got.find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd entry{fd, POLLIN, 0};
    if (poll(&entry, 1, 100) <= 0) continue;
    char buffer[4096];
    ssize_t count = ::recv(fd, buffer, sizeof buffer, 0);
    if (count <= 0) break;
    got.append(buffer, static_cast<std::size_t>(count));
  }
  return got;
}

/// Reads until the peer closes (or 10 s passed); all it read.
std::string read_to_end(int fd) {
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd entry{fd, POLLIN, 0};
    if (poll(&entry, 1, 100) <= 0) continue;
    char buffer[4096];
    ssize_t count = ::recv(fd, buffer, sizeof buffer, 0);
    if (count <= 0) break;
    got.append(buffer, static_cast<std::size_t>(count));
  }
  return got;
}

void send_text(int fd, std::string_view text) {
  ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL), ssize_t(text.size()));
}

class runtime_connection : public ::testing::Test {
 protected:
  // One shard: everything below happens on the same shard.
  void start(runtime_options options = {}) {
    options.shards = 1;
    rt_ = std::make_unique<runtime>(options);
    rt_->start();
  }

  // Adopts one end of a socket pair with an echo engine; the test keeps the other end.
  connection_handle adopt_echo(watching_handler& handler) {
    int ends[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, ends), 0);
    peer_ = ends[1];
    auto opened = handler.opened();
    auto engine = std::make_unique<echo_engine>(stats_);
    engine_ = engine.get();
    rt_->at(0).post([fd = ends[0], &handler, engine = std::move(engine)](shard& on) mutable {
      on.adopt(socket{fd}, std::move(engine), handler);
    });
    return await(opened);
  }

  // A handler that outlives the runtime (the runtime calls it until it stops).
  watching_handler& new_handler() {
    handlers_.push_back(std::make_unique<watching_handler>());
    return *handlers_.back();
  }

  void TearDown() override {
    rt_.reset();
    if (peer_ >= 0) ::close(peer_);
  }

  std::vector<std::unique_ptr<watching_handler>> handlers_;
  std::unique_ptr<runtime> rt_;
  echo_stats stats_;
  echo_engine* engine_ = nullptr;  // touched on the shard only
  int peer_ = -1;
};

TEST_F(runtime_connection, writes_output_queued_from_a_posted_closure_after_mark_dirty) {
  start();
  watching_handler& handler = new_handler();
  connection_handle handle = adopt_echo(handler);
  rt_->at(0).post([this, handle](shard& on) {
    engine_->say("one ");
    on.mark_dirty(handle);
    engine_->say("two");
    on.mark_dirty(handle);
  });
  EXPECT_EQ(read_until(peer_, "one two"), "one two");
}

TEST_F(runtime_connection, reports_peer_closed_when_the_peer_ends_the_stream) {
  start();
  watching_handler& handler = new_handler();
  auto closed = handler.closed();
  adopt_echo(handler);
  send_text(peer_, "ping");
  EXPECT_EQ(read_until(peer_, "ping"), "ping");
  ::shutdown(peer_, SHUT_WR);
  EXPECT_EQ(await(closed).failure, io_failure::peer_closed);
}

TEST_F(runtime_connection, closes_on_request_with_closed_locally) {
  start();
  watching_handler& handler = new_handler();
  auto closed = handler.closed();
  connection_handle handle = adopt_echo(handler);
  rt_->at(0).post([handle](shard& on) { on.close(handle); });
  EXPECT_EQ(await(closed).failure, io_failure::closed_locally);
  EXPECT_EQ(read_to_end(peer_), "") << "end of stream";
}

TEST_F(runtime_connection, treats_a_handle_as_stale_once_its_connection_closed) {
  start();
  watching_handler& first = new_handler();
  auto closed = first.closed();
  connection_handle old_handle = adopt_echo(first);
  ::close(peer_);
  peer_ = -1;
  await(closed);
  watching_handler& second = new_handler();
  connection_handle new_handle = adopt_echo(second);  // may reuse the slot
  std::promise<std::vector<bool>> checks;
  auto result = checks.get_future();
  rt_->at(0).post([&](shard& on) {
    on.mark_dirty(old_handle);  // harmless no-ops
    on.close(old_handle);
    checks.set_value({on.is_open(old_handle), on.engine(old_handle) != nullptr,
                      on.is_open(new_handle), old_handle == new_handle});
  });
  EXPECT_EQ(await(result), (std::vector<bool>{false, false, true, false}));
  send_text(peer_, "still here");
  EXPECT_EQ(read_until(peer_, "still here"), "still here");
}

TEST_F(runtime_connection, stops_reading_a_peer_that_does_not_read_its_answers) {
  runtime_options options;
  options.shard.max_pending_output = 256 << 10;
  start(options);
  watching_handler& handler = new_handler();
  adopt_echo(handler);
  // Send without reading until the runtime stops taking bytes (the socket stays full for
  // 300 ms), with a generous cap in case it never does.
  const std::string chunk(64 << 10, 'x');
  std::size_t sent = 0;
  bool stalled = false;
  while (!stalled && sent < (64u << 20)) {
    ssize_t count = ::send(peer_, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (count > 0) {
      sent += static_cast<std::size_t>(count);
      continue;
    }
    ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;
    pollfd entry{peer_, POLLOUT, 0};
    stalled = poll(&entry, 1, 300) == 0;
  }
  ASSERT_TRUE(stalled) << "sent " << sent << " bytes without back-pressure";
  EXPECT_LE(stats_.max_unwritten.load(), (256u << 10) + 4 * (64u << 10));
  // Reading everything lets the runtime resume: every byte comes back.
  std::size_t echoed = 0;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  std::vector<char> buffer(1 << 16);
  while (echoed < sent && std::chrono::steady_clock::now() < deadline) {
    pollfd entry{peer_, POLLIN, 0};
    if (poll(&entry, 1, 100) <= 0) continue;
    ssize_t count = ::recv(peer_, buffer.data(), buffer.size(), 0);
    if (count > 0) echoed += static_cast<std::size_t>(count);
  }
  EXPECT_EQ(echoed, sent);
  EXPECT_EQ(stats_.received.load(), sent);
}

TEST_F(runtime_connection, reports_the_errno_of_a_connection_reset_by_the_peer) {
  start();
  watching_handler& handler = new_handler();
  auto closed = handler.closed();
  // A TCP connection (a socket pair cannot be reset): accepted here, adopted by the shard.
  test::tcp_listener listener;
  int client = test::connect_loopback(listener.port());
  ASSERT_GE(client, 0);
  pollfd entry{listener.fd(), POLLIN, 0};
  ASSERT_EQ(poll(&entry, 1, 5000), 1);
  int accepted = ::accept(listener.fd(), nullptr, nullptr);
  ASSERT_GE(accepted, 0);
  rt_->at(0).post([this, accepted, &handler](shard& on) {
    on.adopt(socket{accepted}, std::make_unique<echo_engine>(stats_), handler);
  });
  send_text(client, "x");
  EXPECT_EQ(read_until(client, "x"), "x");
  linger abortive{1, 0};
  setsockopt(client, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  ::close(client);  // RST
  io_status why = await(closed);
  EXPECT_EQ(why.failure, io_failure::system) << why.message();
  EXPECT_EQ(why.system_error, ECONNRESET) << why.message();
}

TEST_F(runtime_connection, closes_a_peer_sending_garbage_without_disturbing_its_neighbour) {
  start();
  std::mutex mutex;
  std::vector<io_status> reasons;
  struct recording final : io_handler {
    std::mutex& mutex;
    std::vector<io_status>& reasons;
    recording(std::mutex& m, std::vector<io_status>& r) : mutex(m), reasons(r) {}
    void on_close(shard&, connection_handle, const io_status& why) override {
      std::lock_guard guard{mutex};
      reasons.push_back(why);
    }
  };
  auto made = rt_->listen("127.0.0.1", 0, [&](shard&) {
    auto echo_path = [](http_server_connection& c, const request& req) {
      c.respond(req.stream, 200, {}, "got " + std::string{req.path});
    };
    return accepted_connection{std::make_unique<http_server_connection>(server_options{}, echo_path),
                               std::make_unique<recording>(mutex, reasons)};
  });
  ASSERT_TRUE(made);
  int good = test::connect_loopback(made.port);
  int bad = test::connect_loopback(made.port);
  ASSERT_GE(good, 0);
  ASSERT_GE(bad, 0);
  send_text(good, "GET /one HTTP/1.1\r\nhost: x\r\n\r\n");
  EXPECT_NE(read_until(good, "got /one").find("got /one"), std::string::npos);

  send_text(bad, "\x01\x02\x03 this is not HTTP\r\n\r\n");
  std::string answer = read_to_end(bad);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;

  send_text(good, "GET /two HTTP/1.1\r\nhost: x\r\n\r\n");
  EXPECT_NE(read_until(good, "got /two").find("got /two"), std::string::npos);
  {
    std::lock_guard guard{mutex};
    ASSERT_EQ(reasons.size(), 1u);
    EXPECT_EQ(reasons[0].failure, io_failure::engine) << reasons[0].message();
    EXPECT_EQ(reasons[0].engine_error.code(), error_code::protocol_error);
  }
  ::close(good);
  ::close(bad);
  rt_.reset();  // before the log its handlers write to goes away
}

}  // namespace
}  // namespace tr::transport
