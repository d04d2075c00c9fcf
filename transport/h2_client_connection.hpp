#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "transport/client_connection.hpp"
#include "transport/detail/byte_buffer.hpp"
#include "transport/detail/hpack_encoder.hpp"

typedef struct nghttp2_hd_inflater nghttp2_hd_inflater;

namespace tr::transport {

/// HTTP/2 client (TLS with ALPN h2, or h2c with prior knowledge), written for the one job of
/// the AS side: many small POSTs on one connection. It frames requests itself: HEADERS from our
/// own HPACK encoder (the per-connection fields indexed once, the per-uplink path sent as a raw
/// literal, no Huffman pass), then DATA within the peer's flow-control windows. Responses are
/// read frame by frame; their header blocks go through nghttp2's HPACK decoder, so whatever
/// an AS sends (Huffman, table updates) decodes as the RFC says.
///
/// In-flight requests are counted here: can_submit() is false at min(our
/// max_concurrent_streams, the peer's SETTINGS_MAX_CONCURRENT_STREAMS; 100 until the peer's
/// first SETTINGS). After a GOAWAY no request is accepted; those above its last stream id
/// complete with `refused` (retryable), those below finish normally. When stream ids run out,
/// submit() fails with streams_exhausted and needs_new_connection() turns true. A peer that
/// breaks the protocol gets a GOAWAY with the error code, and every request in flight fails.
class h2_client_connection final : public client_connection {
 public:
  /// A client; its preface and SETTINGS are pending at once.
  explicit h2_client_connection(const client_options& options);
  ~h2_client_connection() override;

  expected<stream_id> submit(const client_request& req, completion done) override;
  bool can_submit() const override;
  std::size_t in_flight() const override { return active_; }
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

 private:
  // Incoming frames; each returns an error only for a connection error (already sent).
  std::size_t process(std::span<const std::byte> bytes);
  error on_frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream,
                 std::span<const std::byte> payload);
  error on_data(std::uint8_t flags, std::int32_t stream, std::span<const std::byte> payload);
  error on_headers(std::uint8_t flags, std::int32_t stream, std::span<const std::byte> payload);
  error on_header_block_end();
  error on_settings(std::uint8_t flags, std::span<const std::byte> payload);
  error on_window_update(std::int32_t stream, std::span<const std::byte> payload);
  error on_rst_stream(std::int32_t stream, std::span<const std::byte> payload);
  error on_goaway(std::span<const std::byte> payload);

  // Outgoing frames.
  void write_frame_head(std::size_t length, std::uint8_t type, std::uint8_t flags,
                        std::int32_t stream);
  void write_window_update(std::int32_t stream, std::uint32_t increment);
  void write_rst_stream(std::int32_t stream, std::uint32_t code);
  void write_goaway(std::uint32_t code);
  void send_pending_data();
  void send_data(stream_state& state);  // from request_body; waits in blocked_ if held back
  std::span<const std::byte> send_data(stream_state& state, std::span<const std::byte> body);
  error connection_error(std::uint32_t code, std::string reason);
  /// Takes one frame that carries no answer from the allowance: a connection error once spent.
  error spend_idle_frame(const char* what);

  // Streams.
  stream_state* find(stream_id stream) const;
  stream_state* acquire();
  void release(stream_state* state);  // out of streams_ and blocked_
  void complete(stream_state& state, const error& err);
  void reset_stream(stream_state& state, std::uint32_t code, error err);
  void fail_all(error_code code, const std::string& reason);

  client_options options_;
  detail::byte_buffer output_;
  detail::byte_buffer input_;         // a partial frame left over from the last receive()
  detail::byte_buffer header_block_;  // HEADERS + CONTINUATION fragments being gathered
  detail::hpack_encoder encoder_;
  std::string lowered_;  // a request's header name in lower case, while it is encoded
  nghttp2_hd_inflater* decoder_ = nullptr;
  std::vector<std::unique_ptr<stream_state>> pool_;
  std::vector<stream_state*> free_;
  std::vector<stream_state*> streams_;  // open, in stream id order (ids only grow)
  std::vector<stream_state*> blocked_;  // bodies waiting for flow-control window
  std::size_t active_ = 0;              // submitted, not completed
  std::uint64_t consumed_ = 0;          // bytes of output_ the driver ever wrote
  std::int64_t next_stream_id_ = 1;
  std::int32_t last_stream_id_ = 0;  // the highest id we opened
  std::int32_t goaway_last_stream_ = 0;
  std::int32_t header_stream_ = 0;  // the stream of the block in header_block_, 0 if none
  bool header_end_stream_ = false;
  std::uint32_t peer_max_streams_ = 0xffffffffu;
  std::uint32_t peer_max_frame_ = 16384;
  std::int64_t peer_initial_window_ = 65535;
  std::int64_t send_window_ = 65535;     // connection-level, toward the peer
  std::int64_t receive_window_ = 65535;  // connection-level, from the peer
  std::int64_t receive_unacked_ = 0;     // received and not yet given back by WINDOW_UPDATE
  std::int64_t reset_allowance_ = 64 << 10;  // DATA still taken for streams we reset or ended
  std::int64_t idle_frames_ =
      10000;  // frames without an answer still taken (detail/h2_client_stream.hpp)
  error failure_;
  bool settings_received_ = false;
  bool goaway_received_ = false;
  bool closed_ = false;
};

}  // namespace tr::transport
