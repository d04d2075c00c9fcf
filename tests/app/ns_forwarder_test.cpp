// The NS forwarder on a real shard against an NS on loopback (TLS, ALPN http/1.1 or h2, a
// generated certificate): each post ends in exactly one `done` with the NS's status, 0 when it
// was sent and no answer came, not_sent when it never left the router.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/ns_forwarder.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/eventually.hpp"
#include "transport/http_server_connection.hpp"
#include "transport/runtime/runtime.hpp"
#include "transport/tls_connection.hpp"

using namespace tr;
using namespace std::chrono_literals;

namespace {

using tr::test::eventually;

struct ns_forwarder : ::testing::Test {
  test::temp_dir dir;
  test::test_pki pki = test::make_test_pki(dir.path());
  transport::runtime rt{1};
  std::atomic<int> accepted{0};
  std::atomic<int> posts_seen{0};
  std::atomic<bool> answer{true};  ///< else the NS holds every post unanswered
  std::size_t answer_in_fours = 0;  ///< >0: answers the first post, then holds the answers
                                    ///< until 4 (or this many in all) came
  std::vector<std::pair<transport::http_server_connection*, std::uint32_t>> held;  // server's shard
  std::vector<std::string> arrived;  // bodies in arrival order, server's shard
  std::uint16_t port = 0;
  std::shared_ptr<app::ns_forwarder> forwarder;
  std::mutex mutex;
  std::vector<int> statuses;

  void SetUp() override { rt.start(); }
  void TearDown() override {
    std::promise<void> done;
    rt.at(0).post([&](transport::shard&) {
      forwarder.reset();
      done.set_value();
    });
    done.get_future().wait();
    rt.stop();
  }

  void serve(std::vector<std::string> alpn) {
    auto context = transport::tls_context::server({pki.cert_file, pki.key_file, std::move(alpn)});
    ASSERT_TRUE(context);
    auto made = rt.listen("127.0.0.1", 0, [this, context = *context](transport::shard&) {
      ++accepted;
      auto engine = std::make_unique<transport::tls_connection<transport::http_server_connection>>(
          std::move(*context.accept()), [this](std::string_view alpn) {
            return std::make_unique<transport::http_server_connection>(
                transport::server_options{},
                [this](transport::http_server_connection& c, const transport::request& req) {
                  ++posts_seen;
                  arrived.emplace_back(reinterpret_cast<const char*>(req.body.data()),
                                       req.body.size());
                  if (answer_in_fours) {
                    held.emplace_back(&c, req.stream);
                    // The first at once (pipelining starts once a connection proved kept
                    // open), then in fours.
                    if (arrived.size() != 1 && held.size() < 4 && arrived.size() < answer_in_fours)
                      return;
                    for (auto [connection, stream] : held) connection->respond(stream, 202, {}, "");
                    held.clear();
                    return;
                  }
                  if (answer) c.respond(req.stream, 202, {}, "");
                },
                transport::protocol_for_alpn(alpn));
          });
      return transport::accepted_connection{std::move(engine), nullptr};
    });
    ASSERT_TRUE(made);
    port = made.port;
  }

  void make(std::chrono::milliseconds timeout, std::size_t sessions = 4,
            std::size_t pipeline = 1) {
    transport::tls_client_config tls;
    tls.ca_file = pki.ca_file;
    tls.use_system_trust_store = false;
    app::ns_target target;
    ASSERT_EQ(app::parse_ns_target("https://127.0.0.1:" + std::to_string(port) + "/downlink",
                                      target),
              "");
    std::promise<void> done;
    rt.at(0).post([&](transport::shard& on) {
      forwarder = std::make_shared<app::ns_forwarder>(
          on, target, *transport::tls_context::client(tls), timeout, 60s, sessions, pipeline);
      done.set_value();
    });
    done.get_future().wait();
  }

  void post(int count) {
    std::promise<void> done;
    rt.at(0).post([&](transport::shard&) {
      for (int i = 0; i < count; ++i)
        forwarder->post(R"({"DevEUI":"00","n":)" + std::to_string(i) + "}", [this](int status) {
          std::lock_guard lock{mutex};
          statuses.push_back(status);
        });
      done.set_value();
    });
    done.get_future().wait();
  }
  std::vector<int> seen() {
    std::lock_guard lock{mutex};
    return statuses;
  }
};

TEST_F(ns_forwarder, posts_reach_the_ns_over_h2_and_each_gets_its_status_once) {
  serve({"h2"});
  make(5s);
  post(5);
  ASSERT_TRUE(eventually([&] { return seen().size() == 5; }));
  for (int status : seen()) EXPECT_EQ(status, 202);
  EXPECT_EQ(accepted.load(), 1);  // one session carries them all
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(seen().size(), 5u);
}

TEST_F(ns_forwarder, an_http1_ns_gets_a_few_connections_and_the_rest_wait_in_line) {
  serve({"http/1.1"});
  answer = false;
  make(600ms);
  post(6);
  // Four keep-alive connections, one post each; two wait in the forwarder's line.
  ASSERT_TRUE(eventually([&] { return posts_seen.load() == 4; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(accepted.load(), 4);
  EXPECT_EQ(posts_seen.load(), 4);
  ASSERT_TRUE(eventually([&] { return seen().size() == 6; }));
  auto all = seen();
  EXPECT_EQ(std::count(all.begin(), all.end(), 0), 4) << "sent, unanswered: the NS may have it";
  EXPECT_EQ(std::count(all.begin(), all.end(), app::ns_forwarder::not_sent), 2)
      << "never sent";
}

// ns.http1_pipeline: after the first post, the NS answers only once it holds four, which it can
// only do if they came on its one connection before any answer.
TEST_F(ns_forwarder, an_http1_ns_gets_posts_pipelined_on_one_connection_in_order) {
  serve({"http/1.1"});
  answer_in_fours = 7;
  make(5s, 1, 4);
  post(7);
  ASSERT_TRUE(eventually([&] { return seen().size() == 7; }));
  for (int status : seen()) EXPECT_EQ(status, 202);
  EXPECT_EQ(accepted.load(), 1);
  std::promise<std::vector<std::string>> order;
  rt.at(0).post([&](transport::shard&) { order.set_value(arrived); });
  auto bodies = order.get_future().get();
  ASSERT_EQ(bodies.size(), 7u);
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(bodies[i], R"({"DevEUI":"00","n":)" + std::to_string(i) + "}");
}

TEST_F(ns_forwarder, an_unreachable_ns_is_not_sent_to) {
  port = test::free_port();
  make(5s);
  post(2);
  ASSERT_TRUE(eventually([&] { return seen().size() == 2; }));
  for (int status : seen()) EXPECT_EQ(status, app::ns_forwarder::not_sent);
}

}  // namespace
