#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "transport/client_connection.hpp"
#include "transport/runtime/io_handler.hpp"
#include "transport/runtime/shard.hpp"
#include "transport/tls_context.hpp"

namespace tr::actors {

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

/// POSTs accepted downlinks (JSON) to the NS from one shard, over one lazily opened session
/// (HTTP/2 by ALPN, else HTTP/1.1 one request at a time, the others waiting in a bounded line).
/// Each post ends in exactly one call of its `done`: the NS's status; `not_sent` (-1) when it
/// certainly did not reach the NS (no connection, the line full, refused before processing); or
/// 0 when it was sent and no answer came (time-out, connection lost): the NS may have taken it.
/// Shard thread only.
class ns_forwarder final : public transport::io_handler,
                           public std::enable_shared_from_this<ns_forwarder> {
 public:
  using done_fn = std::function<void(int status)>;
  static constexpr int not_sent = -1;

  ns_forwarder(transport::shard& home, ns_target target, transport::tls_context tls,
               std::chrono::milliseconds timeout);

  /// Sends `body` (JSON); `done` runs later on this shard.
  void post(std::string body, done_fn done);

  void on_close(transport::shard& owner, transport::connection_handle handle,
                const transport::io_status& why) override;
  void on_drain(transport::shard& owner, transport::connection_handle handle) override;

 private:
  struct job {
    std::uint64_t id;
    std::string body;
    done_fn done;
    transport::timer_id timer{};
    transport::stream_id stream = 0;
    bool sent = false;
  };

  void connect();
  void on_connected(transport::connect_result result);
  void pump();
  void finish(std::uint64_t id, int status);
  transport::client_connection* client() const;

  static constexpr std::size_t max_jobs = 256;

  transport::shard& home_;
  ns_target target_;
  transport::tls_context tls_;
  std::chrono::milliseconds timeout_;
  std::deque<job> jobs_;
  std::uint64_t next_id_ = 1;
  transport::connection_handle handle_{};
  bool connecting_ = false;
  bool ready_ = false;
};

}  // namespace tr::actors
