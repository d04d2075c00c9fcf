// http_listener_options::max_connection_age on a real runtime and loopback sockets: an HTTP/2
// connection gets a GOAWAY (NO_ERROR) at its age and is closed, an HTTP/1.1 connection is closed,
// the age is drawn between 80 % and 100 % of the setting, and zero keeps connections open.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tests/transport/raw_h2_client.hpp"
#include "transport/http_listener.hpp"
#include "transport/runtime/runtime.hpp"

namespace tr::transport {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using testing::empty_settings;
using testing::h2_preface;
using testing::raw_client;

class listener_age : public ::testing::Test {
 protected:
  void serve(std::chrono::milliseconds max_age) {
    rt_ = std::make_unique<runtime>(1);
    rt_->start();
    http_listener_options options;
    options.max_connection_age = max_age;
    auto bound = listen_http(*rt_, options, [](const request_origin&, http_server_connection& c,
                                               const request& r) {
      respond_now(c, r.stream, 200, "text/plain", "ok");
    });
    ASSERT_TRUE(bound) << bound.status.message();
    port_ = bound.port;
  }

  std::uint16_t port_ = 0;
  std::unique_ptr<runtime> rt_;
};

double seconds_since(steady::time_point start) {
  return std::chrono::duration<double>(steady::now() - start).count();
}

TEST_F(listener_age, an_h2_connection_gets_a_goaway_at_its_age_then_closes) {
  serve(400ms);
  raw_client client{port_};
  ASSERT_TRUE(client.connected());
  auto opened = steady::now();
  client.send(std::string{h2_preface} + std::string{empty_settings});
  ASSERT_TRUE(client.read_until_closed(5s)) << "still open after 5 s";
  double age = seconds_since(opened);
  EXPECT_GE(age, 0.3);  // 80 % of 400 ms, less a little for the connect
  EXPECT_LT(age, 2.0);
  EXPECT_EQ(client.goaway_code(), 0) << "expected GOAWAY with NO_ERROR";
}

TEST_F(listener_age, an_idle_http1_connection_is_closed_at_its_age_after_answering) {
  serve(400ms);
  raw_client client{port_};
  ASSERT_TRUE(client.connected());
  auto opened = steady::now();
  client.send("GET /x HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(client.read_until_closed(5s)) << "still open after 5 s";
  EXPECT_GE(seconds_since(opened), 0.3);
  EXPECT_NE(client.received().find("HTTP/1.1 200"), std::string::npos) << client.received();
}

TEST_F(listener_age, ages_are_spread_between_80_and_100_percent_of_the_setting) {
  serve(1000ms);
  constexpr int count = 6;
  std::unique_ptr<raw_client> clients[count];
  for (auto& c : clients) {
    c = std::make_unique<raw_client>(port_);
    ASSERT_TRUE(c->connected());
    c->send(std::string{h2_preface} + std::string{empty_settings});
  }
  auto opened = steady::now();
  double ages[count] = {};
  int open = count;
  while (open > 0 && seconds_since(opened) < 5) {
    for (int i = 0; i < count; ++i)
      if (ages[i] == 0 && clients[i]->read_until_closed(2ms)) {
        ages[i] = seconds_since(opened);
        --open;
      }
  }
  ASSERT_EQ(open, 0) << "connections still open after 5 s";
  double first = *std::min_element(ages, ages + count), last = *std::max_element(ages, ages + count);
  EXPECT_GE(first, 0.75);
  EXPECT_LT(last, 2.0);
  // Six draws from 200 ms of jitter all within a few ms of each other: not jittered.
  EXPECT_GT(last - first, 0.01) << "every connection ended at the same moment";
}

TEST_F(listener_age, zero_keeps_connections_open) {
  serve(0ms);
  raw_client client{port_};
  ASSERT_TRUE(client.connected());
  client.send(std::string{h2_preface} + std::string{empty_settings});
  EXPECT_FALSE(client.read_until_closed(700ms));
  EXPECT_EQ(client.goaway_code(), -1);
}

}  // namespace
}  // namespace tr::transport
