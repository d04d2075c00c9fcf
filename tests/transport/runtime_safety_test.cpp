// The shard's safety nets: an exception escaping a posted closure, a timer or an HTTP service
// fails only that closure, timer or request; it is counted and the shard goes on serving.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/support/loopback.hpp"
#include "transport/http_listener.hpp"
#include "transport/http_server_connection.hpp"
#include "transport/runtime/runtime.hpp"

namespace tr::transport {
namespace {

using namespace std::chrono_literals;

/// Waits for `future` (10 s at most); false when it did not come.
template <class T>
bool arrives(std::future<T>& future) {
  return future.wait_for(10s) == std::future_status::ready;
}

/// Writes `request` on a fresh loopback connection and reads until `count` answers ended.
std::string exchange(int fd, const std::string& request) {
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got.find("\r\n\r\n") == std::string::npos ||
         got.size() < got.find("\r\n\r\n") + 4 + 3) {  // every answer here has a body
    if (std::chrono::steady_clock::now() > deadline) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buffer[4096];
    auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

TEST(runtime_safety, a_posted_closure_that_throws_fails_alone_and_is_counted) {
  runtime rt{1};
  rt.start();
  rt.at(0).post([](shard&) { throw std::runtime_error("a defect"); });
  std::promise<int> next;
  auto ran = next.get_future();
  rt.at(0).post([&](shard&) { next.set_value(1); });
  ASSERT_TRUE(arrives(ran)) << "the shard stopped after the exception";
  EXPECT_EQ(rt.at(0).load().exceptions_total, 1u);
  rt.stop();
}

TEST(runtime_safety, a_closure_put_off_to_the_next_turn_that_throws_fails_alone_and_is_counted) {
  runtime rt{1};
  rt.start();
  std::promise<int> next;
  auto ran = next.get_future();
  rt.at(0).post([&](shard& on) {
    on.post_next_turn([](shard&) { throw std::runtime_error("a defect"); });
    on.post_next_turn([&](shard&) { next.set_value(1); });
  });
  ASSERT_TRUE(arrives(ran)) << "the closure after the failed one did not run";
  EXPECT_EQ(rt.at(0).load().exceptions_total, 1u);
  rt.stop();
}

TEST(runtime_safety, a_timer_that_throws_fails_alone_and_the_next_timer_still_runs) {
  runtime rt{1};
  rt.start();
  std::promise<int> later;
  auto ran = later.get_future();
  rt.at(0).post([&](shard& on) {
    on.schedule(5ms, [] { throw std::runtime_error("a defect"); });
    on.schedule(5ms, [&] { later.set_value(1); });
  });
  ASSERT_TRUE(arrives(ran)) << "a timer after the failed one did not run";
  for (int i = 0; i < 100 && rt.at(0).load().exceptions_total == 0; ++i)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(rt.at(0).load().exceptions_total, 1u);
  rt.stop();
}

TEST(runtime_safety, a_service_that_throws_answers_500_and_the_connection_serves_on) {
  runtime rt{1};
  rt.start();
  http_listener_options options;
  options.counters = std::make_shared<listener_counters>();
  auto bound = listen_http(rt, options,
                           [](const request_origin&, http_server_connection& connection,
                              const request& req) {
                             if (req.path == "/boom") throw std::runtime_error("a defect");
                             respond_now(connection, req.stream, 200, "text/plain", "ok\n");
                           });
  ASSERT_TRUE(bound);
  int fd = test::connect_loopback(bound.port);
  ASSERT_GE(fd, 0);
  auto failed = exchange(fd, "GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(failed.rfind("HTTP/1.1 500", 0), 0u) << failed;
  auto served = exchange(fd, "GET /fine HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(served.rfind("HTTP/1.1 200", 0), 0u) << served;
  EXPECT_EQ(options.counters->handler_failures.load(), 1u);
  ::close(fd);
  rt.stop();
}

}  // namespace
}  // namespace tr::transport
