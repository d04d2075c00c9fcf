// Load following on a real two-shard runtime with an HTTP listener and loopback HTTP/2 clients:
// while the shards are light every connection of a listener that follows the load goes to the
// first; when that shard is heavy (a closure keeps it working) beside a light one, it asks some
// of the connections that send to it to end (GOAWAY, NO_ERROR), new connections go to the light
// shard, and the shard that handed off takes none as a light shard during its cool-down; a
// listener that does not follow the load spreads its connections by count and keeps them.
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

/// Spins for 20 ms on `on`, then again in its next turn, while `running` holds.
void spin(shard& on, std::shared_ptr<std::atomic<bool>> running) {
  if (!running->load()) return;
  auto until = std::chrono::steady_clock::now() + 20ms;
  while (std::chrono::steady_clock::now() < until) {
  }
  on.post_next_turn([running](shard& again) { spin(again, running); });
}

/// Keeps a shard working until destroyed.
class busy_work {
 public:
  explicit busy_work(shard& on) {
    on.post([running = running_](shard& s) { spin(s, running); });
  }
  ~busy_work() { running_->store(false); }

 private:
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

  void open_clients(int count) {
    for (int i = 0; i < count; ++i) clients_.push_back(open_client());
  }

  std::uint64_t connections_on(std::size_t shard) { return rt_->at(shard).load().connections; }

  /// Each client sends a PING every 10 ms for `how_long`; true for those the server closed.
  std::vector<bool> keep_sending(std::chrono::milliseconds how_long) {
    std::vector<bool> closed(clients_.size(), false);
    auto until = std::chrono::steady_clock::now() + how_long;
    while (std::chrono::steady_clock::now() < until) {
      for (std::size_t i = 0; i < clients_.size(); ++i) {
        if (closed[i]) continue;
        clients_[i]->send(ping_frame);
        closed[i] = clients_[i]->read_until_closed(1ms);
      }
      std::this_thread::sleep_for(10ms);
    }
    return closed;
  }

  /// Four busy clients on shard 0, kept busy by a closure, until it hands some off; how many
  /// ended (each with GOAWAY NO_ERROR, as many as it counted).
  std::size_t hand_off_from_shard_0() {
    open_clients(4);
    EXPECT_TRUE(test::eventually([&] { return connections_on(0) == 4; }, 5s))
        << connections_on(0) << " on shard 0, " << connections_on(1) << " on shard 1";
    busy_work heavy{rt_->at(0)};
    auto closed = keep_sending(1500ms);
    // A client told to go may still be finishing when the 1.5 s end: wait for the count.
    std::size_t ended = 0;
    test::eventually(
        [&] {
          ended = 0;
          for (std::size_t i = 0; i < clients_.size(); ++i)
            if (closed[i] || (closed[i] = clients_[i]->read_until_closed(1ms))) ++ended;
          return ended == rt_->at(0).load().handed_off_total;
        },
        5s);
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      if (closed[i]) {
        EXPECT_EQ(clients_[i]->goaway_code(), 0) << "client " << i << ": expected GOAWAY, NO_ERROR";
      }
    }
    EXPECT_EQ(rt_->at(0).load().handed_off_total, ended);
    EXPECT_EQ(rt_->at(1).load().handed_off_total, 0u);
    return ended;
  }

  std::uint16_t port_ = 0;
  std::unique_ptr<runtime> rt_;
  std::vector<std::unique_ptr<raw_client>> clients_;
};

TEST_F(runtime_load_following, idle_shards_take_new_connections_on_the_first) {
  serve(true);
  open_clients(4);
  ASSERT_TRUE(test::eventually([&] { return connections_on(0) == 4; }, 5s))
      << connections_on(0) << " on shard 0, " << connections_on(1) << " on shard 1";
  EXPECT_EQ(connections_on(1), 0u);
}

TEST_F(runtime_load_following, a_heavy_shard_hands_some_connections_to_a_light_one) {
  serve(true);
  std::size_t ended = hand_off_from_shard_0();
  EXPECT_GE(ended, 1u) << "the heavy shard kept every connection";
  EXPECT_LE(ended, 3u) << "the heavy shard let every connection go";
  // The reconnecting client: shard 0 is heavy (and cooling down), shard 1 is light.
  auto again = open_client();
  EXPECT_TRUE(test::eventually([&] { return connections_on(1) == 1; }, 5s))
      << connections_on(1) << " on shard 1";
}

TEST_F(runtime_load_following,
       a_shard_that_handed_off_takes_no_new_connections_while_cooling_down) {
  serve(true);
  ASSERT_GE(hand_off_from_shard_0(), 1u);
  // The work that made it heavy is over: shard 0 is light again, but within its cool-down
  // (5 s) a client that reconnects late must not land back on it.
  ASSERT_TRUE(test::eventually([&] { return rt_->at(0).recent_busy() < 0.5; }, 3s));
  ASSERT_TRUE(rt_->at(0).cooling_down());
  auto late = open_client();
  EXPECT_TRUE(test::eventually([&] { return connections_on(1) == 1; }, 5s))
      << connections_on(0) << " on shard 0, " << connections_on(1) << " on shard 1";
}

TEST_F(runtime_load_following, connections_that_do_not_follow_the_load_are_spread_and_stay) {
  serve(false);
  open_clients(4);
  ASSERT_TRUE(test::eventually([&] { return connections_on(0) + connections_on(1) == 4; }, 5s));
  EXPECT_EQ(connections_on(0), 2u);
  EXPECT_EQ(connections_on(1), 2u);
  busy_work heavy{rt_->at(0)};
  auto closed = keep_sending(1000ms);
  for (std::size_t i = 0; i < clients_.size(); ++i) EXPECT_FALSE(closed[i]) << "client " << i;
  EXPECT_EQ(rt_->at(0).load().handed_off_total, 0u);
}

}  // namespace
}  // namespace tr::transport
