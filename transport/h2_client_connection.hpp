#pragma once

#include <memory>
#include <vector>

#include "transport/client_connection.hpp"
#include "transport/detail/byte_buffer.hpp"

typedef struct nghttp2_session nghttp2_session;

namespace tr::transport {

/// HTTP/2 client over an nghttp2 client session (TLS with ALPN h2, or h2c with prior knowledge).
///
/// In-flight requests are counted here, never left to nghttp2's internal queue: can_submit() is
/// false at min(our max_concurrent_streams, the peer's SETTINGS_MAX_CONCURRENT_STREAMS; 100
/// until the peer's first SETTINGS). After a GOAWAY no request is accepted; those above its
/// last stream id complete with `refused` (retryable), those below finish normally. When stream
/// ids run out, submit() fails with streams_exhausted and needs_new_connection() turns true.
class h2_client_connection final : public client_connection {
 public:
  /// A client; its preface and SETTINGS are pending at once.
  explicit h2_client_connection(const client_options& options);
  ~h2_client_connection() override;

  expected<stream_id> submit(const client_request& req, completion done) override;
  bool can_submit() const override;
  std::size_t in_flight() const override { return active_.size(); }
  bool needs_new_connection() const override;
  void cancel(stream_id stream) override;
  void close() override;
  http_version version() const override { return http_version::http2; }

  /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS as it stands.
  std::uint32_t peer_max_concurrent_streams() const;

  /// True once a GOAWAY came from the peer.
  bool goaway_received() const { return goaway_received_; }

  error receive(std::span<const std::byte> bytes) override;
  void receive_eof() override;
  std::span<const std::byte> pending_output() override;
  void consume_output(std::size_t count) override;
  bool wants_close() const override;

  struct stream_state;
  struct callbacks;

 private:
  stream_state* find(stream_id stream) const;
  stream_state* acquire();
  void release(stream_state* state);
  void complete(stream_state& state, const error& err);
  void fail_all(error_code code, const std::string& reason);

  client_options options_;
  nghttp2_session* session_ = nullptr;
  detail::byte_buffer output_;
  std::vector<std::unique_ptr<stream_state>> pool_;
  std::vector<stream_state*> free_;
  std::vector<stream_state*> active_;  // submitted, not completed
  std::int32_t goaway_last_stream_ = 0;
  error failure_;
  bool settings_received_ = false;
  bool goaway_received_ = false;
  bool closed_ = false;
};

}  // namespace tr::transport
