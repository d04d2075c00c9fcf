// Graceful and immediate stops: connections asked to finish, the deadline, the idle hook, and
// no thread left behind.
#include <gtest/gtest.h>
#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "tests/support/loopback.hpp"
#include "transport/http_server_connection.hpp"
#include "transport/runtime/runtime.hpp"

namespace tr::transport {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

/// Threads of this process now.
int thread_count() {
  int count = 0;
  if (DIR* tasks = opendir("/proc/self/task")) {
    while (dirent* entry = readdir(tasks)) {
      if (entry->d_name[0] != '.') ++count;
    }
    closedir(tasks);
  }
  return count;
}

/// Records the close reason; on drain, ends its HTTP connection gracefully when asked to.
class server_handler final : public io_handler {
 public:
  server_handler(bool finish_on_drain, std::promise<io_status>* closed)
      : finish_on_drain_(finish_on_drain), closed_(closed) {}

  void on_drain(shard& on, connection_handle handle) override {
    if (!finish_on_drain_) return;
    engine->shutdown();
    on.mark_dirty(handle);
  }
  void on_close(shard&, connection_handle, const io_status& why) override {
    if (closed_) closed_->set_value(why);
  }

  http_server_connection* engine = nullptr;

 private:
  bool finish_on_drain_;
  std::promise<io_status>* closed_;
};

/// Reads until the peer closes the connection (true) or 10 s pass (false).
bool wait_for_end_of_stream(int fd) {
  auto deadline = steady::now() + 10s;
  while (steady::now() < deadline) {
    pollfd entry{fd, POLLIN, 0};
    if (poll(&entry, 1, 100) <= 0) continue;
    char buffer[4096];
    ssize_t count = ::recv(fd, buffer, sizeof buffer, 0);
    if (count == 0) return true;
    if (count < 0 && errno != EAGAIN) return true;
  }
  return false;
}

class runtime_drain : public ::testing::Test {
 protected:
  // Serves HTTP; the single connection of each test reports its end through closed_.
  void serve(runtime& rt, bool finish_on_drain) {
    auto made = rt.listen("127.0.0.1", 0, [this, finish_on_drain](shard&) {
      auto handler = std::make_unique<server_handler>(finish_on_drain, &closed_);
      auto engine = std::make_unique<http_server_connection>(
          server_options{}, [](http_server_connection& c, const request& req) {
            c.respond(req.stream, 200, {}, "ok");
          });
      handler->engine = engine.get();
      return accepted_connection{std::move(engine), std::move(handler)};
    });
    ASSERT_TRUE(made);
    port_ = made.port;
  }

  // An HTTP/1.1 keep-alive connection that had one answer and now sits idle.
  int idle_client() {
    int fd = test::connect_loopback(port_);
    std::string request = "GET / HTTP/1.1\r\nhost: x\r\n\r\n";
    EXPECT_EQ(::send(fd, request.data(), request.size(), 0), ssize_t(request.size()));
    pollfd entry{fd, POLLIN, 0};
    EXPECT_EQ(poll(&entry, 1, 5000), 1);
    char buffer[4096];
    EXPECT_GT(::recv(fd, buffer, sizeof buffer, 0), 0);
    return fd;
  }

  std::promise<io_status> closed_;
  std::uint16_t port_ = 0;
  int threads_before_ = thread_count();
};

TEST_F(runtime_drain, returns_once_connections_finish_and_joins_every_thread) {
  runtime rt{2};
  rt.start();
  serve(rt, true);
  int client = idle_client();
  auto closed = closed_.get_future();
  auto started = steady::now();
  EXPECT_TRUE(rt.drain_and_stop(5s));
  EXPECT_LT(steady::now() - started, 2s);
  EXPECT_TRUE(wait_for_end_of_stream(client));
  ASSERT_EQ(closed.wait_for(0s), std::future_status::ready);
  EXPECT_FALSE(closed.get()) << "closed because the engine finished, not forced";
  EXPECT_FALSE(rt.running());
  EXPECT_FALSE(rt.at(0).post([](shard&) {}));
  EXPECT_EQ(thread_count(), threads_before_);
  ::close(client);
}

TEST_F(runtime_drain, closes_what_is_left_at_the_deadline) {
  runtime rt{2};
  rt.start();
  serve(rt, false);
  int client = idle_client();
  auto closed = closed_.get_future();
  auto started = steady::now();
  EXPECT_FALSE(rt.drain_and_stop(200ms));
  EXPECT_GE(steady::now() - started, 200ms);
  ASSERT_EQ(closed.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(closed.get().failure, io_failure::shutting_down);
  EXPECT_TRUE(wait_for_end_of_stream(client));
  EXPECT_EQ(thread_count(), threads_before_);
  ::close(client);
}

TEST_F(runtime_drain, waits_until_the_idle_hook_says_every_shard_is_done) {
  runtime rt{2};
  rt.start();
  std::array<std::atomic<bool>, 2> finished{};
  for (std::size_t i = 0; i < rt.size(); ++i) {
    rt.at(i).post([&finished, i](shard& on) {
      on.schedule(50ms, [&finished, i] { finished[i] = true; });  // in-flight work of the shard
    });
  }
  auto started = steady::now();
  EXPECT_TRUE(rt.drain_and_stop(5s, [&finished](shard& on) { return finished[on.index()].load(); }));
  EXPECT_GE(steady::now() - started, 50ms);
}

TEST_F(runtime_drain, stops_a_running_runtime_with_open_connections_on_destruction) {
  int client;
  auto closed = closed_.get_future();
  {
    runtime rt{2};
    rt.start();
    serve(rt, true);
    client = idle_client();
  }
  ASSERT_EQ(closed.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(closed.get().failure, io_failure::shutting_down);
  EXPECT_EQ(thread_count(), threads_before_);
  EXPECT_TRUE(wait_for_end_of_stream(client));
  ::close(client);
}

}  // namespace
}  // namespace tr::transport
