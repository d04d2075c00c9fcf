#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "transport/runtime/shard.hpp"
#include "transport/tls_context.hpp"
#include "transport/upstream_pool.hpp"

namespace tr::app {

/// Where accepted downlinks go (`ns.downlink_url`), split once at start.
struct ns_target {
  bool tls = false;
  std::string host;
  std::uint16_t port = 80;
  std::string authority;
  std::string path;  ///< path and query of the URL
};

/// Parses `ns.downlink_url` (http or https); the reason on failure.
std::string parse_ns_target(const std::string& url, ns_target& out);

/// POSTs accepted downlinks (JSON) to the NS from one shard, over its upstream pool
/// (transport/upstream_pool: lazily opened, HTTP/2 by ALPN, else a few HTTP/1.1 keep-alive
/// connections, each carrying up to `http1_pipeline` posts sent ahead of their answers), the
/// posts the pool cannot take now waiting in a bounded line. Each post ends in exactly one call
/// of its `done`: the NS's status; `not_sent` (-1) when it certainly did not reach the NS (no
/// connection, the line full, refused before processing); or 0 when it was sent and no answer
/// came (time-out, connection lost): the NS may have taken it. Shard thread only.
class ns_forwarder final : private transport::upstream_user,
                           public std::enable_shared_from_this<ns_forwarder> {
 public:
  using done_fn = std::function<void(int status)>;
  static constexpr int not_sent = -1;

  /// `timeout`: per post; a session idle for `idle_timeout` closes; toward an NS that speaks
  /// only HTTP/1.1, up to `http1_sessions` connections carry posts side by side (with one,
  /// posts reach the NS in the order they were made), each with up to `http1_pipeline` posts
  /// sent before their answers came.
  ns_forwarder(transport::shard& home, ns_target target, transport::tls_context tls,
               std::chrono::milliseconds timeout,
               std::chrono::milliseconds idle_timeout = std::chrono::seconds{60},
               std::size_t http1_sessions = 4, std::size_t http1_pipeline = 1);
  ~ns_forwarder();

  /// Sends `body` (JSON); `done` runs later on this shard.
  void post(std::string body, done_fn done);

 private:
  struct job {
    std::uint64_t id;
    std::string body;
    done_fn done;
    transport::timer_id timer{};
    transport::upstream_ticket ticket;  ///< set once the pool took it
  };

  void pump();
  void expire(std::uint64_t id);
  void finish(std::uint64_t id, int status);
  void on_answer(std::uint64_t cookie, const transport::error& err,
                 const transport::response& res, bool sent) override;

  static constexpr std::size_t max_jobs = 256;

  transport::shard& home_;
  ns_target target_;
  transport::tls_context tls_;
  transport::upstream_options options_;
  std::chrono::milliseconds timeout_;
  std::deque<job> jobs_;
  std::uint64_t next_id_ = 1;
  std::shared_ptr<transport::upstream_pool> pool_;  ///< made on the first post
};

}  // namespace tr::app
