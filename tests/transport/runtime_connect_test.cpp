// Outgoing connections from a shard: refused and unanswered connects, names, and the client
// engines driven by the runtime against nghttpd (TLS h2) and against a server on the runtime.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "transport/client_connection.hpp"
#include "transport/http_server_connection.hpp"
#include "transport/runtime/runtime.hpp"
#include "transport/tls_connection.hpp"
#include "transport/tls_context.hpp"

namespace tr::transport {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

template <class T>
T await(std::future<T>& future, std::chrono::seconds timeout = 15s) {
  if (future.wait_for(timeout) != std::future_status::ready) {
    ADD_FAILURE() << "timed out";
    return T{};
  }
  return future.get();
}

/// How a connect ended, copied out of the shard.
struct connect_outcome {
  io_status status;
  std::chrono::milliseconds took{0};
  bool connected = false;
};

/// A listener that accepts nothing, whose accept queue is full: further SYNs are dropped, so a
/// connect to it never completes (a "blackhole" that stays on loopback).
class full_backlog_listener {
 public:
  full_backlog_listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    auto address = *parse_numeric_address("127.0.0.1", 0);
    if (::bind(fd_, address.data(), address.size) != 0 || ::listen(fd_, 0) != 0) return;
    port_ = local_address(fd_)->port();
    // Fill the queue: connect until one connect stays unanswered.
    for (int i = 0; i < 16 && !full_; ++i) {
      int client = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      auto target = *parse_numeric_address("127.0.0.1", port_);
      ::connect(client, target.data(), target.size);
      clients_.push_back(client);
      pollfd entry{client, POLLOUT, 0};
      full_ = ::poll(&entry, 1, 200) == 0;
    }
  }
  ~full_backlog_listener() {
    for (int client : clients_) ::close(client);
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  bool full() const { return full_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  bool full_ = false;
  std::vector<int> clients_;
};

class runtime_connect : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::temp_dir;
    pki_ = test::make_test_pki(dir_->path(), "upstream");
  }
  static void TearDownTestSuite() { delete dir_; }

  void SetUp() override { rt_.start(); }

  connect_outcome connect_to(std::string host, std::uint16_t port,
                             std::chrono::milliseconds timeout) {
    auto result = std::make_shared<std::promise<connect_outcome>>();
    auto future = result->get_future();
    rt_.at(0).post([=](shard& on) {
      auto started = steady::now();
      on.connect(host, port, timeout, [result, started](connect_result r) {
        result->set_value({r.status,
                           std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started),
                           static_cast<bool>(r)});
      });
    });
    return await(future);
  }

  static inline test::temp_dir* dir_ = nullptr;
  static inline test::test_pki pki_;
  runtime rt_{2};
};

TEST_F(runtime_connect, reports_a_refused_connect_quickly) {
  std::uint16_t closed_port = test::free_port();
  connect_outcome outcome = connect_to("127.0.0.1", closed_port, 5s);
  EXPECT_FALSE(outcome.connected);
  EXPECT_EQ(outcome.status.failure, io_failure::system) << outcome.status.message();
  EXPECT_EQ(outcome.status.system_error, ECONNREFUSED) << outcome.status.message();
  EXPECT_LT(outcome.took, 1s);
}

TEST_F(runtime_connect, reports_a_timeout_when_nobody_answers) {
  full_backlog_listener blackhole;
  ASSERT_TRUE(blackhole.full()) << "could not fill the accept queue";
  connect_outcome outcome = connect_to("127.0.0.1", blackhole.port(), 300ms);
  EXPECT_FALSE(outcome.connected);
  EXPECT_EQ(outcome.status.failure, io_failure::timed_out) << outcome.status.message();
  EXPECT_EQ(outcome.status.system_error, ETIMEDOUT);
  EXPECT_GE(outcome.took, 300ms);
  EXPECT_LT(outcome.took, 2s);
}

TEST_F(runtime_connect, resolves_a_name_off_the_shard_and_connects) {
  test::tcp_listener listener;
  connect_outcome outcome = connect_to("localhost", listener.port(), 5s);
  EXPECT_TRUE(outcome.connected) << outcome.status.message();
}

TEST_F(runtime_connect, never_calls_back_a_cancelled_connect) {
  full_backlog_listener blackhole;
  ASSERT_TRUE(blackhole.full());
  std::promise<std::pair<bool, bool>> checked;
  auto result = checked.get_future();
  rt_.at(0).post([&, port = blackhole.port()](shard& on) {
    auto called = std::make_shared<bool>(false);
    connect_id id = on.connect("127.0.0.1", port, 50ms, [called](connect_result) { *called = true; });
    bool cancelled = on.cancel_connect(id);
    // Well past the connect's own timeout: its callback must still not have run.
    on.schedule(200ms, [&checked, called, cancelled] { checked.set_value({cancelled, *called}); });
  });
  EXPECT_EQ(await(result), std::make_pair(true, false));
}

/// A client connection on a shard: connects, adopts the socket with a client engine (inside
/// TLS or not), submits one POST once the engine exists, and reports the response.
struct client_exchange {
  std::promise<std::pair<int, std::string>> answered;
  connection_handle handle;
  client_connection* client = nullptr;

  void submit(shard& on) {
    client_request req;
    req.method = "POST";
    req.scheme = "https";
    req.authority = "localhost";
    req.path = path;
    req.body = as_bytes(body);
    auto result = client->submit(req, [this](const error& err, const response& res) {
      answered.set_value({err ? -1 : res.status, err ? err.message() : std::string{as_text(res.body)}});
    });
    if (!result) answered.set_value({-2, result.error_value().message()});
    on.mark_dirty(handle);
  }

  std::string path = "/";
  std::string body = "{\"uplink\":1}";
};

TEST_F(runtime_connect, drives_the_h2_client_over_tls_to_nghttpd) {
  test::write_file(dir_->file("index.html"), "hello from nghttpd");
  std::uint16_t port = test::free_port();
  test::child_process nghttpd({"nghttpd", "-d", dir_->path(), std::to_string(port), pki_.key_file,
                               pki_.cert_file});
  ASSERT_TRUE(test::wait_for_port(port)) << nghttpd.errors();
  tls_client_config config;
  config.ca_file = pki_.ca_file;
  config.use_system_trust_store = false;
  config.alpn = {"h2"};
  auto context = tls_context::client(config);
  ASSERT_TRUE(context) << context.error_value().message();

  client_exchange exchange;
  auto answer = exchange.answered.get_future();
  rt_.at(1).post([&](shard& on) {
    on.connect("127.0.0.1", port, 3s, [&, on = &on](connect_result connected) {
      if (!connected) {
        exchange.answered.set_value({-3, connected.status.message()});
        return;
      }
      auto session = context->connect("localhost");
      // The client engine exists once the handshake is done: submit right after, in this turn.
      auto engine = std::make_unique<tls_connection<client_connection>>(
          std::move(*session), [&, on](std::string_view alpn) {
            auto client = make_client_connection(alpn, client_options{});
            exchange.client = client.get();
            on->post([&](shard& self) {
              if (self.is_open(exchange.handle)) exchange.submit(self);
            });
            return client;
          });
      exchange.handle = on->adopt(std::move(connected.connected), std::move(engine));
    });
  });
  auto [status, text] = await(answer);
  EXPECT_EQ(status, 200) << text;
  EXPECT_EQ(text, "hello from nghttpd");
  rt_.stop();  // while the exchange the engines point to is alive
}

TEST_F(runtime_connect, drives_h2c_and_http1_clients_against_a_server_on_the_runtime) {
  auto made = rt_.listen("127.0.0.1", 0, [](shard&) {
    auto echo = [](http_server_connection& c, const request& req) {
      c.respond(req.stream, 200, {}, std::string{req.path} + " " + std::string{as_text(req.body)});
    };
    return accepted_connection{std::make_unique<http_server_connection>(server_options{}, echo),
                               nullptr};
  });
  ASSERT_TRUE(made);
  for (std::string alpn : {"h2", "http/1.1"}) {
    client_exchange exchange;
    exchange.path = "/" + alpn;
    auto answer = exchange.answered.get_future();
    rt_.at(0).post([&](shard& on) {
      on.connect("127.0.0.1", made.port, 3s, [&, on = &on](connect_result connected) {
        ASSERT_TRUE(connected) << connected.status.message();
        auto client = make_client_connection(alpn, client_options{});
        exchange.client = client.get();
        exchange.handle = on->adopt(std::move(connected.connected), std::move(client));
        exchange.submit(*on);  // from outside any engine callback: mark_dirty writes it
      });
    });
    auto [status, text] = await(answer);
    EXPECT_EQ(status, 200) << alpn << ": " << text;
    EXPECT_EQ(text, "/" + alpn + " {\"uplink\":1}");
    rt_.at(0).post([handle = exchange.handle](shard& on) { on.close(handle); });
  }
  rt_.stop();
}

}  // namespace
}  // namespace tr::transport
