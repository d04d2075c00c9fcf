#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "transport/client_connection.hpp"
#include "transport/runtime/io_handler.hpp"
#include "transport/runtime/shard.hpp"
#include "transport/tls_context.hpp"
#include "transport/upstream.hpp"

namespace tr::transport {

/// How an upstream_pool opens and keeps its sessions. The pointers must outlive the pool.
struct upstream_options {
  const tls_context* tls = nullptr;  ///< client context for https targets (required for them)
  client_options client;             ///< per session
  std::size_t http1_sessions = 8;    ///< keep-alive connections to a server without h2
  /// HTTP/2 sessions: another opens when those open have no free stream (the server's
  /// SETTINGS_MAX_CONCURRENT_STREAMS), up to this many.
  std::size_t http2_sessions = 4;
  std::chrono::milliseconds connect_timeout{3000};
  /// A session whose TCP connect and TLS handshake are not done within this is abandoned (what
  /// waits for it fails unless another session is coming); the next request opens a new one.
  std::chrono::milliseconds handshake_timeout{5000};
  /// A session that carried nothing for this long closes; 0: never.
  std::chrono::milliseconds idle_timeout{0};
  /// TLS sessions that may come up a second (a handshake costs the shard ~1 ms): a server that
  /// ends every session soon after it began costs no more; past it, what waits is `busy`.
  std::uint32_t tls_sessions_per_second = 100;
  /// Which resolved addresses may be connected to (checked on each); null: any.
  const shard::address_filter* allow_address = nullptr;
};

/// The real upstream: sessions to one server from one shard, opened lazily without blocking the
/// shard (TCP connect, then TLS with ALPN h2 or http/1.1), HTTP/2 with many streams each or
/// HTTP/1.1 keep-alive connections one request at a time. A request goes on the first ready
/// session that can take it; when none can, it waits for a session being opened, or one is
/// opened for it while fewer than the limit exist; otherwise the pool is full. A session that
/// says it takes no more (GOAWAY, stream ids used up, `connection: close`) closes once idle,
/// and counts until then: at most twice the limit exist, closing ones included. At most
/// `tls_sessions_per_second` TLS sessions come up a second.
/// Shutdown (the shard draining) opens no new session and closes idle ones.
///
/// Shard thread only. Its user owns it (shared); once detached it lives on alone until its
/// last connection has closed.
class upstream_pool final : public upstream,
                            public io_handler,
                            public std::enable_shared_from_this<upstream_pool> {
 public:
  upstream_pool(shard& home, upstream_target target, const upstream_options& options,
                upstream_user& user);
  ~upstream_pool() override;

  submitted submit(const client_request& req, std::uint64_t cookie) override;
  void cancel(upstream_ticket ticket) override;
  bool http1() const override { return http1_only_; }
  void retarget(const upstream_target& target) override;
  void retire(bool graceful) override;
  void detach() override;

  /// Sessions open or opening.
  std::size_t sessions() const;

  void on_close(shard& owner, connection_handle handle, const io_status& why) override;
  void on_drain(shard& owner, connection_handle handle) override;

 private:
  struct session;
  struct entry;
  struct waiting_request;

  bool send_now(std::uint32_t index, const client_request& req);
  void open_session();
  void on_connected(std::uint32_t session_id, connect_result result);
  void on_handshake_timeout(std::uint32_t session_id);
  void arm_idle_check(session& s, shard::clock::time_point at);
  void on_idle_check(std::uint32_t session_id);
  void flush_waiting();
  void answered(std::uint32_t index, std::uint32_t generation, const error& err,
                const response& res);
  /// Answers what waits with `err`, unless a session is coming for it (or `always`).
  void fail_waiting(const error& err, bool always = false);
  void answer(std::uint32_t index, const error& err, bool sent);
  void settle();
  void close_idle_renewed_sessions();
  std::uint32_t take_entry(std::uint64_t cookie);
  void free_entry(std::uint32_t index);
  session* find_session(std::uint32_t id);
  session* find_session(connection_handle handle);
  client_connection* client_of(const session& s) const;
  std::size_t session_limit() const;
  /// Sessions open or opening, those closing included: twice session_limit().
  std::size_t max_sessions() const;
  /// True when another session may open: fewer usable than the limit, fewer in all than the max.
  bool may_open() const;
  bool connecting() const;
  std::size_t usable() const;
  bool has_connections() const;

  shard& home_;
  upstream_target target_;
  upstream_options options_;
  upstream_user* user_;
  std::vector<session> sessions_;
  std::vector<entry> entries_;
  std::vector<std::uint32_t> free_entries_;
  std::vector<waiting_request> waiting_;
  std::uint32_t next_session_id_ = 1;
  bool http1_only_;
  bool retired_ = false;
  bool graceful_ = false;
  bool flush_posted_ = false;
  /// TLS sessions that came up since handshakes_since_, within a second.
  std::uint32_t handshakes_ = 0;
  shard::clock::time_point handshakes_since_{};
  std::shared_ptr<upstream_pool> self_;  ///< held once detached, until the last connection closes
};

}  // namespace tr::transport
