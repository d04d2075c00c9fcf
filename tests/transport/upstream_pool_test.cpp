// The upstream pool on a real shard against real servers on loopback: TLS with ALPN h2 or
// http/1.1 only (generated certificates), a server that never finishes a TLS handshake, and
// a destination refused by the address filter. What a user of the pool sees: one answer per
// request, sessions opened lazily up to the limit, closed when idle.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/eventually.hpp"
#include "transport/http_server_connection.hpp"
#include "transport/runtime/runtime.hpp"
#include "transport/runtime/socket.hpp"
#include "transport/tls_connection.hpp"
#include "transport/tls_context.hpp"
#include "transport/upstream_pool.hpp"

namespace tr::transport {
namespace {

using namespace std::chrono_literals;

using tr::test::eventually;

/// The answers a pool gives, kept for the test thread.
class recording_user final : public upstream_user {
 public:
  struct answer {
    std::uint64_t cookie;
    error_code code;
    int status;
    bool sent;
    std::string reason;
  };
  void on_answer(std::uint64_t cookie, const error& err, const response& res, bool sent) override {
    std::lock_guard lock{mutex_};
    answers_.push_back({cookie, err.code(), res.status, sent, err.reason()});
  }
  std::vector<answer> answers() const {
    std::lock_guard lock{mutex_};
    return answers_;
  }
  std::size_t count() const { return answers().size(); }

 private:
  mutable std::mutex mutex_;
  std::vector<answer> answers_;
};

struct upstream_pool_test : ::testing::Test {
  test::temp_dir dir;
  test::test_pki pki = test::make_test_pki(dir.path());
  runtime rt{1};
  std::atomic<int> accepted{0};
  std::atomic<int> requests_seen{0};
  std::uint16_t port = 0;
  tls_context client_tls = make_client_tls();
  upstream_options options;
  recording_user user;
  std::shared_ptr<upstream_pool> pool;

  tls_context make_client_tls() {
    tls_client_config config;
    config.ca_file = pki.ca_file;
    config.use_system_trust_store = false;
    return *tls_context::client(config);
  }

  void SetUp() override {
    rt.start();
    options.tls = &client_tls;
  }
  void TearDown() override {
    std::promise<void> done;
    rt.at(0).post([&](shard&) {
      if (pool) pool->detach();
      pool.reset();
      done.set_value();
    });
    done.get_future().wait();
    rt.stop();
  }

  /// A TLS server offering `alpn`: 200 at once, except for /hang (no answer ever).
  void serve(std::vector<std::string> alpn) {
    auto context = tls_context::server({pki.cert_file, pki.key_file, std::move(alpn)});
    ASSERT_TRUE(context) << context.error_value().message();
    auto made = rt.listen("127.0.0.1", 0, [this, context = *context](shard&) {
      ++accepted;
      auto session = context.accept();
      auto engine = std::make_unique<tls_connection<http_server_connection>>(
          std::move(*session), [this](std::string_view alpn) {
            return std::make_unique<http_server_connection>(
                server_options{},
                [this](http_server_connection& c, const request& req) {
                  ++requests_seen;
                  if (req.path == "/goaway-hang") return c.shutdown();  // GOAWAY, no answer
                  if (req.path == "/answer-then-goaway") {
                    c.respond(req.stream, 200, {}, "ok");
                    return c.shutdown();
                  }
                  if (req.path != "/hang") c.respond(req.stream, 200, {}, "ok");
                },
                protocol_for_alpn(alpn));
          });
      return accepted_connection{std::move(engine), nullptr};
    });
    ASSERT_TRUE(made) << made.status.message();
    port = made.port;
  }

  /// Runs `fn` on the shard and waits for it.
  template <class F>
  auto on_shard(F fn) {
    std::packaged_task<decltype(fn())()> task{std::move(fn)};
    auto result = task.get_future();
    rt.at(0).post([&task](shard&) { task(); });
    return result.get();
  }

  void make_pool(const std::string& host = "127.0.0.1") {
    on_shard([&] {
      pool = std::make_shared<upstream_pool>(rt.at(0), upstream_target{host, port, true}, options,
                                             user);
    });
  }

  upstream::verdict submit(std::string path, std::uint64_t cookie) {
    return on_shard([&] {
      client_request req;
      req.authority = "127.0.0.1";
      req.path = path;
      req.body = as_bytes(std::string_view{"{}"});
      return pool->submit(req, cookie).what;
    });
  }
  std::size_t sessions() {
    return on_shard([&] { return pool->sessions(); });
  }
};

TEST_F(upstream_pool_test, a_request_waits_for_the_first_session_then_is_answered_once) {
  serve({"h2", "http/1.1"});
  make_pool();
  EXPECT_EQ(submit("/a", 7), upstream::verdict::waiting);  // lazily: no session before
  ASSERT_TRUE(eventually([&] { return user.count() == 1; }));
  auto answers = user.answers();
  EXPECT_EQ(answers[0].cookie, 7u);
  EXPECT_EQ(answers[0].code, error_code::none) << answers[0].reason;
  EXPECT_EQ(answers[0].status, 200);
  EXPECT_TRUE(answers[0].sent);
  EXPECT_FALSE(on_shard([&] { return pool->http1(); }));
  // The session is up now: the next request goes on a free stream at once.
  EXPECT_EQ(submit("/b", 8), upstream::verdict::sent);
  ASSERT_TRUE(eventually([&] { return user.count() == 2; }));
  EXPECT_EQ(accepted.load(), 1);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(user.count(), 2u);  // exactly one answer each
}

TEST_F(upstream_pool_test, an_idle_session_closes_and_the_next_request_opens_another) {
  options.idle_timeout = 200ms;
  serve({"h2"});
  make_pool();
  submit("/a", 1);
  ASSERT_TRUE(eventually([&] { return user.count() == 1; }));
  EXPECT_EQ(sessions(), 1u);
  ASSERT_TRUE(eventually([&] { return sessions() == 0; }));
  EXPECT_EQ(submit("/b", 2), upstream::verdict::waiting);
  ASSERT_TRUE(eventually([&] { return user.count() == 2; }));
  EXPECT_EQ(user.answers()[1].status, 200);
  EXPECT_EQ(accepted.load(), 2);
}

TEST_F(upstream_pool_test, a_busy_session_is_not_closed_as_idle) {
  options.idle_timeout = 100ms;
  serve({"h2"});
  make_pool();
  submit("/a", 1);
  ASSERT_TRUE(eventually([&] { return user.count() == 1; }));
  auto ticket = on_shard([&] {
    client_request req;
    req.authority = "127.0.0.1";
    req.path = "/hang";
    return pool->submit(req, 2).ticket;
  });
  std::this_thread::sleep_for(400ms);  // four idle periods with a request in flight
  EXPECT_EQ(sessions(), 1u);
  EXPECT_EQ(user.count(), 1u);
  on_shard([&] { pool->cancel(ticket); });
  EXPECT_EQ(user.count(), 2u);
  ASSERT_TRUE(eventually([&] { return sessions() == 0; }));  // idle now
}

TEST_F(upstream_pool_test, http1_only_servers_get_a_pool_of_keep_alive_connections_up_to_the_limit) {
  options.http1_sessions = 2;
  serve({"http/1.1"});
  make_pool();
  submit("/hang", 1);
  ASSERT_TRUE(eventually([&] { return requests_seen.load() == 1; }));
  EXPECT_TRUE(on_shard([&] { return pool->http1(); }));
  // One request at a time per connection: a second one opens a second connection.
  EXPECT_EQ(submit("/hang", 2), upstream::verdict::waiting);
  ASSERT_TRUE(eventually([&] { return requests_seen.load() == 2; }));
  EXPECT_EQ(accepted.load(), 2);
  // Both busy and at the limit: full, nothing queued.
  EXPECT_EQ(submit("/hang", 3), upstream::verdict::full);
  EXPECT_EQ(accepted.load(), 2);
  EXPECT_EQ(user.count(), 0u);
}

TEST_F(upstream_pool_test, a_server_that_never_finishes_its_handshake_fails_what_waits_in_time) {
  // A TCP listener that never speaks: the kernel completes the connect, no TLS ever comes.
  int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(silent, 8), 0);
  socklen_t size = sizeof address;
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&address), &size);
  port = ntohs(address.sin_port);
  options.handshake_timeout = 200ms;
  make_pool();
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(submit("/a", 1), upstream::verdict::waiting);
  ASSERT_TRUE(eventually([&] { return user.count() == 1; }));
  auto took = std::chrono::steady_clock::now() - started;
  auto answer = user.answers()[0];
  EXPECT_EQ(answer.code, error_code::tls_handshake_failed) << answer.reason;
  EXPECT_NE(answer.reason.find("handshake timeout"), std::string::npos) << answer.reason;
  EXPECT_FALSE(answer.sent);
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 5s);
  EXPECT_EQ(sessions(), 0u);
  ::close(silent);
}

TEST_F(upstream_pool_test, sessions_closing_after_a_goaway_count_against_the_limit) {
  // A server that sends GOAWAY on each session and never answers what it took: each session
  // stays open, closing, while its request waits; new ones may open only up to twice the limit.
  serve({"h2"});
  options.http2_sessions = 2;
  make_pool();
  int taken = 0;
  for (int i = 0; i < 12; ++i) {
    auto verdict = submit("/goaway-hang", static_cast<std::uint64_t>(i));
    if (verdict == upstream::verdict::waiting || verdict == upstream::verdict::sent) {
      ++taken;
      int seen = requests_seen;
      eventually([&] { return requests_seen > seen || user.count() > 0; }, 2s);
    }
  }
  EXPECT_LE(sessions(), 4u);
  EXPECT_LE(accepted.load(), 4);
  EXPECT_EQ(taken, 4);
}

TEST_F(upstream_pool_test,
       a_tls_server_that_ends_every_session_gets_only_so_many_handshakes_a_second) {
  // Each session ends after one answer: every request needs a new TLS handshake on the shard.
  serve({"h2"});
  options.tls_sessions_per_second = 5;  // 100 by default: fewer, so that any machine is fast
  make_pool();
  auto started = std::chrono::steady_clock::now();
  std::size_t expected = 0;
  for (std::uint64_t i = 0; i < 20; ++i) {
    if (submit("/answer-then-goaway", i) == upstream::verdict::full) continue;
    ++expected;
    eventually([&] { return user.count() >= expected; }, 2s);
  }
  auto took = std::chrono::steady_clock::now() - started;
  int busy = 0;
  for (const auto& a : user.answers())
    if (a.code == error_code::busy && a.reason.find("too often") != std::string::npos) ++busy;
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(took).count() + 1;
  EXPECT_LE(accepted.load(), 5 * seconds + 1) << "in " << seconds << " s";
  if (took < 1s) EXPECT_GE(busy, 15);
}

TEST_F(upstream_pool_test, a_destination_the_filter_refuses_is_never_connected_to) {
  serve({"h2"});
  shard::address_filter deny = [](const socket_address&) { return false; };
  options.allow_address = &deny;
  make_pool();
  EXPECT_EQ(submit("/a", 1), upstream::verdict::waiting);
  ASSERT_TRUE(eventually([&] { return user.count() == 1; }));
  auto answer = user.answers()[0];
  EXPECT_EQ(answer.code, error_code::refused) << answer.reason;
  EXPECT_FALSE(answer.sent);
  EXPECT_EQ(accepted.load(), 0);
}

TEST_F(upstream_pool_test, a_cancelled_request_is_answered_at_once_as_cancelled) {
  serve({"h2"});
  make_pool();
  submit("/a", 1);
  ASSERT_TRUE(eventually([&] { return user.count() == 1; }));
  on_shard([&] {
    client_request req;
    req.authority = "127.0.0.1";
    req.path = "/hang";
    auto put = pool->submit(req, 2);
    EXPECT_EQ(put.what, upstream::verdict::sent);
    pool->cancel(put.ticket);
    return 0;
  });
  auto answers = user.answers();
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[1].cookie, 2u);
  EXPECT_EQ(answers[1].code, error_code::cancelled);
  EXPECT_TRUE(answers[1].sent);
}

}  // namespace
}  // namespace tr::transport
