#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "transport/error.hpp"

namespace tr::transport {

class shard;

/// Why a connection ended, or why a connect or a listen failed.
enum class io_failure : std::uint8_t {
  none,            ///< no failure: the engine asked to close and its output was written
  peer_closed,     ///< the peer ended the connection (end of stream, or it hung up)
  system,          ///< a socket call failed: `system_error` holds the errno (ECONNRESET, ...)
  engine,          ///< the engine failed on what the peer sent: `engine_error` says how
  timed_out,       ///< a connect did not complete in time (`system_error` is ETIMEDOUT), or
                   ///< a closing connection could not write its last bytes in time
  resolve_failed,  ///< the host name could not be resolved (`system_error` is the EAI_ code)
  closed_locally,  ///< shard::close() or shard::cancel_connect()
  shutting_down,   ///< the runtime stopped
  denied,          ///< every address of a connect was refused by its address filter
};

/// The name of a failure kind, e.g. "peer_closed".
const char* to_string(io_failure failure);

/// The outcome of an I/O operation as a value; `if (status)` tests for failure.
struct io_status {
  /// Success.
  io_status() = default;

  /// A failure of `kind`, with an errno (or EAI_ code) when it applies.
  io_status(io_failure kind, int errno_value = 0, error engine = {})
      : failure(kind), system_error(errno_value), engine_error(std::move(engine)) {}

  io_failure failure = io_failure::none;  ///< what kind of failure, `none` for success
  int system_error = 0;                   ///< errno (or EAI_ code) when it applies
  error engine_error;                     ///< the engine's error for `io_failure::engine`

  /// True when this is a failure.
  explicit operator bool() const { return failure != io_failure::none; }

  /// "system: Connection refused", "engine: protocol_error: ...", "none".
  std::string message() const;
};

/// Names a connection on the shard that adopted it; stale once the connection closed (every
/// call taking a stale handle is a harmless no-op), never reused for another connection.
struct connection_handle {
  std::uint32_t slot = 0;        ///< the shard's slot
  std::uint32_t generation = 0;  ///< 0: no connection

  /// True when this names a connection that was adopted (it may have closed since).
  explicit operator bool() const { return generation != 0; }
  friend bool operator==(connection_handle, connection_handle) = default;
};

/// Receives the life events of one connection driven by a shard; all calls come from that
/// shard's thread.
///
/// A handler usually also holds a typed pointer to the engine it gave to adopt() and reaches
/// the engine through it. The engine lives exactly as long as the connection: from code that
/// runs later (a timer, a posted closure, a completion of another connection), check
/// `shard.is_open(handle)` before touching it, and capture the shard and the handle rather than
/// the handler when the runtime owns the handler (it is destroyed with the connection).
class io_handler {
 public:
  virtual ~io_handler() = default;

  /// The connection is registered as `handle`; called by adopt() before any byte is read.
  virtual void on_open(shard& owner, connection_handle handle) {}

  /// The runtime is draining (shutdown): finish gracefully, e.g. shutdown() the engine and
  /// mark_dirty(handle). Connections still open at the drain deadline are closed.
  virtual void on_drain(shard& owner, connection_handle handle) {}

  /// This shard is busy while another is light (load_following; only connections of a listener
  /// that follows the load): end gracefully, as on_drain, so that the client opens a new
  /// connection, which the runtime places on a light shard. True when the connection now ends
  /// because of this call; false when it stays or was ending already (it is not counted).
  /// Called at most once per connection.
  virtual bool on_hand_off(shard& owner, connection_handle handle) { return false; }

  /// The connection is closed (the socket already is); the engine is destroyed right after
  /// this returns, then the handler when the runtime owns it.
  virtual void on_close(shard& owner, connection_handle handle, const io_status& why) {}
};

}  // namespace tr::transport
