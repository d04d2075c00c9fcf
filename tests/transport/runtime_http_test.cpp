// The HTTP server engine on a runtime with real peers: curl (HTTP/1.1, h2c, TLS with ALPN),
// nghttp and h2load, answers given later from a timer, and a peer sending garbage.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "transport/http_server_connection.hpp"
#include "transport/runtime/runtime.hpp"
#include "transport/tls_connection.hpp"
#include "transport/tls_context.hpp"

namespace tr::transport {
namespace {

using namespace std::chrono_literals;

/// Answers at once with 200 and "METHOD path body".
void echo(http_server_connection& connection, const request& req) {
  std::string text = std::string{req.method} + " " + std::string{req.path};
  if (!req.body.empty()) text += " " + std::string{as_text(req.body)};
  connection.respond(req.stream, 200, {}, text);
}

/// Records how connections ended (from any shard).
struct close_log {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<io_status> reasons;

  void add(const io_status& why) {
    std::lock_guard guard{mutex};
    reasons.push_back(why);
    changed.notify_all();
  }
  /// The reasons once `count` connections have closed (what there is after 10 s).
  std::vector<io_status> wait_for(std::size_t count) {
    std::unique_lock lock{mutex};
    changed.wait_for(lock, 10s, [&] { return reasons.size() >= count; });
    return reasons;
  }
};

class logging_handler final : public io_handler {
 public:
  explicit logging_handler(close_log& log) : log_(log) {}
  void on_close(shard&, connection_handle, const io_status& why) override { log_.add(why); }

 private:
  close_log& log_;
};

/// Answers each request 10 ms later, from a timer on the connection's shard.
class respond_later final : public io_handler {
 public:
  void on_open(shard& on, connection_handle handle) override {
    shard_ = &on;
    handle_ = handle;
  }

  void on_request(http_server_connection& connection, const request& req) {
    // The handler dies with the connection: the timer captures the shard and the handle.
    shard* on = shard_;
    connection_handle handle = handle_;
    stream_id stream = req.stream;
    auto asked = on->now();
    on->schedule(10ms, [on, handle, stream, &connection, asked] {
      if (!on->is_open(handle)) return;
      auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(on->now() - asked);
      connection.respond(stream, 200, {}, "after " + std::to_string(waited.count()) + " ms");
      on->mark_dirty(handle);
    });
  }

 private:
  shard* shard_ = nullptr;
  connection_handle handle_;
};

class runtime_http : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::temp_dir;
    pki_ = test::make_test_pki(dir_->path(), "runtime");
  }
  static void TearDownTestSuite() { delete dir_; }

  void start(std::size_t shards = 2) {
    rt_ = std::make_unique<runtime>(shards);
    rt_->start();
  }

  // Plain listener (HTTP/1.1 or h2c by the first bytes); counts connections per shard.
  void serve_plain(request_handler handler = echo) {
    auto made = rt_->listen("127.0.0.1", 0, [this, handler](shard& on) {
      ++per_shard_[on.index()];
      return accepted_connection{std::make_unique<http_server_connection>(server_options{}, handler),
                                 std::make_unique<logging_handler>(closes_)};
    });
    ASSERT_TRUE(made) << made.status.message();
    port_ = made.port;
  }

  // TLS listener: ALPN picks HTTP/2 or HTTP/1.1.
  void serve_tls() {
    auto context = tls_context::server({pki_.cert_file, pki_.key_file});
    ASSERT_TRUE(context) << context.error_value().message();
    auto made = rt_->listen("127.0.0.1", 0, [context = *context](shard&) {
      auto session = context.accept();
      auto engine = std::make_unique<tls_connection<http_server_connection>>(
          std::move(*session), [](std::string_view alpn) {
            return std::make_unique<http_server_connection>(server_options{}, echo,
                                                            protocol_for_alpn(alpn));
          });
      return accepted_connection{std::move(engine), nullptr};
    });
    ASSERT_TRUE(made) << made.status.message();
    port_ = made.port;
  }

  std::unique_ptr<test::child_process> run(std::vector<std::string> argv) {
    auto child = std::make_unique<test::child_process>(std::move(argv));
    EXPECT_TRUE(child->wait(30s)) << child->command_line();
    return child;
  }

  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string{path};
  }

  static inline test::temp_dir* dir_ = nullptr;
  static inline test::test_pki pki_;
  std::uint16_t port_ = 0;
  std::array<std::atomic<int>, 8> per_shard_{};
  close_log closes_;
  std::unique_ptr<runtime> rt_;  // last: stopped before what its factories and handlers use
};

TEST_F(runtime_http, answers_curl_over_http1) {
  start();
  serve_plain();
  auto curl = run({"curl", "-sS", "-d", "hello", "-w", " %{http_version}", url("/echo")});
  EXPECT_EQ(curl->exit_code(), 0) << curl->errors();
  EXPECT_EQ(curl->output(), "POST /echo hello 1.1");
  auto closed = closes_.wait_for(1);
  ASSERT_EQ(closed.size(), 1u) << "the connection closes when curl leaves";
  EXPECT_EQ(closed[0].failure, io_failure::peer_closed) << closed[0].message();
}

TEST_F(runtime_http, answers_curl_over_h2c_with_prior_knowledge) {
  start();
  serve_plain();
  auto curl = run({"curl", "-sS", "--http2-prior-knowledge", "-d", "h2c", "-w",
                   " %{http_version}", url("/up")});
  EXPECT_EQ(curl->exit_code(), 0) << curl->errors();
  EXPECT_EQ(curl->output(), "POST /up h2c 2");
  auto closed = closes_.wait_for(1);
  ASSERT_EQ(closed.size(), 1u) << "the connection closes when curl leaves";
  EXPECT_FALSE(closed[0].failure == io_failure::engine) << closed[0].message();
}

TEST_F(runtime_http, answers_nghttp_over_h2c) {
  start();
  serve_plain();
  std::string body = dir_->file("nghttp.txt");
  test::write_file(body, "from nghttp");
  auto nghttp = run({"nghttp", "-d", body, url("/n")});
  EXPECT_EQ(nghttp->exit_code(), 0) << nghttp->errors();
  EXPECT_EQ(nghttp->output(), "POST /n from nghttp");
}

TEST_F(runtime_http, speaks_h2_and_http1_over_tls_as_alpn_decides) {
  start();
  serve_tls();
  std::string resolve = "localhost:" + std::to_string(port_) + ":127.0.0.1";
  std::string target = "https://localhost:" + std::to_string(port_) + "/tls";
  auto h2 = run({"curl", "-sS", "--cacert", pki_.ca_file, "--resolve", resolve, "-d", "secret",
                 "-w", " %{http_version}", target});
  EXPECT_EQ(h2->exit_code(), 0) << h2->errors();
  EXPECT_EQ(h2->output(), "POST /tls secret 2");
  auto h1 = run({"curl", "-sS", "--http1.1", "--cacert", pki_.ca_file, "--resolve", resolve,
                 "-d", "secret", "-w", " %{http_version}", target});
  EXPECT_EQ(h1->exit_code(), 0) << h1->errors();
  EXPECT_EQ(h1->output(), "POST /tls secret 1.1");
}

TEST_F(runtime_http, completes_every_h2load_request_with_connections_on_both_shards) {
  start(2);
  serve_plain();
  auto h2load = run({"h2load", "-n", "2000", "-c", "4", "-m", "10", url("/load")});
  EXPECT_EQ(h2load->exit_code(), 0) << h2load->errors();
  EXPECT_NE(h2load->output().find("2000 succeeded, 0 failed"), std::string::npos)
      << h2load->output();
  EXPECT_EQ(per_shard_[0] + per_shard_[1], 4);
  EXPECT_GE(per_shard_[0], 1);
  EXPECT_GE(per_shard_[1], 1);
}

TEST_F(runtime_http, answers_from_a_timer_10_ms_after_the_request) {
  start();
  auto made = rt_->listen("127.0.0.1", 0, [](shard&) {
    auto handler = std::make_unique<respond_later>();
    auto* later = handler.get();
    auto engine = std::make_unique<http_server_connection>(
        server_options{},
        [later](http_server_connection& c, const request& req) { later->on_request(c, req); });
    return accepted_connection{std::move(engine), std::move(handler)};
  });
  ASSERT_TRUE(made);
  port_ = made.port;
  // Two requests in flight on one connection (nghttp multiplexes them; curl 7.88 fails on a
  // second request over h2c with prior knowledge, against any server).
  auto nghttp = run({"nghttp", url("/a"), url("/b")});
  EXPECT_EQ(nghttp->exit_code(), 0) << nghttp->errors();
  std::string out = nghttp->output();
  ASSERT_EQ(out.rfind("after ", 0), 0u) << out;
  EXPECT_GE(std::stoi(out.substr(6)), 10) << out;
  auto second = out.find("after ", 1);
  ASSERT_NE(second, std::string::npos) << out;
  EXPECT_GE(std::stoi(out.substr(second + 6)), 10) << out;
}

}  // namespace
}  // namespace tr::transport
