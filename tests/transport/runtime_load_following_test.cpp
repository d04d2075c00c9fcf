// Load following on a real two-shard runtime with an HTTP listener and loopback HTTP/2 clients:
// while the shards are light every accepted connection goes to the first; when that shard is
// heavy (a closure keeps it working) beside a light one, it asks about half of the connections
// that send to it to end (GOAWAY, NO_ERROR), and new connections go to the light shard;
// connections of a listener that does not follow the load stay.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/eventually.hpp"
#include "tests/transport/raw_h2_client.hpp"
#include "transport/http_listener.hpp"
#include "transport/runtime/runtime.hpp"

namespace tr::transport {
namespace {

using namespace std::chrono_literals;
using testing::empty_settings;
using testing::h2_preface;
using testing::ping_frame;
using testing::raw_client;

/// Keeps a shard working: a closure that spins for 20 ms and comes back in the next turn, until
/// stopped.
class busy_work {
 public:
  explicit busy_work(shard& on) : on_(on) {
    on_.post([this](shard& s) { spin(s); });
  }
  ~busy_work() {
    running_->store(false);
    std::this_thread::sleep_for(50ms);  // its last slice ends
  }

 private:
  void spin(shard& s) {
    if (!running_->load()) return;
    auto until = std::chrono::steady_clock::now() + 20ms;
    while (std::chrono::steady_clock::now() < until) {
    }
    s.post_next_turn([this, keep = running_](shard& again) {
      if (keep->load()) spin(again);
    });
  }
  shard& on_;
  std::shared_ptr<std::atomic<bool>> running_ = std::make_shared<std::atomic<bool>>(true);
};

class runtime_load_following : public ::testing::Test {
 protected:
  void serve(bool follow_load) {
    runtime_options options;
    options.shards = 2;
    options.placement.window = 100ms;
    options.placement.settle = 60s;  // one round of hand-offs per test
    rt_ = std::make_unique<runtime>(options);
    rt_->start();
    http_listener_options listener;
    listener.follow_load = follow_load;
    listener.idle_timeout = 0ms;
    auto bound = listen_http(
        *rt_, listener, [](const request_origin&, http_server_connection& c, const request& r) {
          respond_now(c, r.stream, 200, "text/plain", "ok");
        });
    ASSERT_TRUE(bound) << bound.status.message();
    port_ = bound.port;
  }

  std::unique_ptr<raw_client> open_client() {
    auto client = std::make_unique<raw_client>(port_);
    EXPECT_TRUE(client->connected());
    client->send(std::string{h2_preface} + std::string{empty_settings});
    return client;
  }

  std::uint64_t connections_on(std::size_t shard) { return rt_->at(shard).load().connections; }

  /// Each client sends a PING every 10 ms for `how_long`; true for those the server closed.
  std::vector<bool> keep_sending(std::vector<std::unique_ptr<raw_client>>& clients,
                                 std::chrono::milliseconds how_long) {
    std::vector<bool> closed(clients.size(), false);
    auto until = std::chrono::steady_clock::now() + how_long;
    while (std::chrono::steady_clock::now() < until) {
      for (std::size_t i = 0; i < clients.size(); ++i) {
        if (closed[i]) continue;
        clients[i]->send(ping_frame);
        closed[i] = clients[i]->read_until_closed(1ms);
      }
      std::this_thread::sleep_for(10ms);
    }
    return closed;
  }

  std::uint16_t port_ = 0;
  std::unique_ptr<runtime> rt_;
};

TEST_F(runtime_load_following, idle_shards_take_new_connections_on_the_first) {
  serve(true);
  std::vector<std::unique_ptr<raw_client>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(open_client());
  ASSERT_TRUE(test::eventually([&] { return connections_on(0) == 4; }, 5s))
      << connections_on(0) << " on shard 0, " << connections_on(1) << " on shard 1";
  EXPECT_EQ(connections_on(1), 0u);
}

TEST_F(runtime_load_following, a_heavy_shard_hands_about_half_its_connections_to_a_light_one) {
  serve(true);
  std::vector<std::unique_ptr<raw_client>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(open_client());
  ASSERT_TRUE(test::eventually([&] { return connections_on(0) == 4; }, 5s));
  busy_work heavy{rt_->at(0)};
  auto closed = keep_sending(clients, 1500ms);
  std::size_t ended = 0;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    if (!closed[i]) continue;
    ++ended;
    EXPECT_EQ(clients[i]->goaway_code(), 0) << "client " << i << ": expected GOAWAY, NO_ERROR";
  }
  EXPECT_GE(ended, 1u) << "the heavy shard kept every connection";
  EXPECT_LE(ended, 3u) << "the heavy shard let every connection go";
  EXPECT_EQ(rt_->at(0).load().handed_off_total, ended);
  EXPECT_EQ(rt_->at(1).load().handed_off_total, 0u);
  // The reconnecting client: shard 0 is not light, shard 1 is.
  auto again = open_client();
  EXPECT_TRUE(test::eventually([&] { return connections_on(1) == 1; }, 5s))
      << connections_on(1) << " on shard 1";
}

TEST_F(runtime_load_following, connections_that_do_not_follow_the_load_stay) {
  serve(false);
  std::vector<std::unique_ptr<raw_client>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(open_client());
  ASSERT_TRUE(test::eventually([&] { return connections_on(0) == 4; }, 5s));
  busy_work heavy{rt_->at(0)};
  auto closed = keep_sending(clients, 1000ms);
  for (std::size_t i = 0; i < clients.size(); ++i) EXPECT_FALSE(closed[i]) << "client " << i;
  EXPECT_EQ(rt_->at(0).load().handed_off_total, 0u);
}

}  // namespace
}  // namespace tr::transport
