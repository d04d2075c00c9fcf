#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "transport/error.hpp"

namespace tr::transport {

/// The sans-I/O driving contract shared by every engine of this component.
///
/// An engine never touches a socket, a thread or a clock. A driver (a shard of
/// transport/runtime, a test loop) owns the socket and does exactly this:
///
/// 1. Read: hand every chunk read from the socket to `receive()`; the engine takes all of it.
///    When the peer closes its side (read returns 0) call `receive_eof()`.
/// 2. Write: after *every* call into the engine (receive, receive_eof, and the engine-specific
///    calls such as respond, submit, cancel, shutdown, close), drain the output:
///    `while (!(out = pending_output()).empty()) { n = write(out); consume_output(n); }`,
///    stopping when the socket would block and resuming when it is writable. The span stays valid
///    until the next call on the engine. Stop reading while a lot of output is pending
///    (back-pressure); the engine never drops output.
/// 3. Close: when `wants_close()` is true and `pending_output()` is empty, close the socket and
///    destroy the engine. An error from `receive()` means the connection is finishing: the engine
///    ignores further input and has queued what the peer should learn (a 400, a GOAWAY, a TLS
///    alert); `wants_close()` turns true once the answers it still owes earlier requests are
///    out (at once, in most cases).
/// 4. Time: the driver owns every timer. On a request timeout call the engine's `cancel(stream)`;
///    on an idle or handshake timeout call `close()` or destroy the engine.
///
/// All calls on one engine come from one thread. Callbacks (request handlers, completions) run
/// synchronously inside these calls; they may call respond/submit/cancel on the same engine but
/// must not destroy it.
class connection_engine {
 public:
  virtual ~connection_engine() = default;

  /// Consumes bytes read from the peer; an error means the connection is finished.
  virtual error receive(std::span<const std::byte> bytes) = 0;

  /// The peer closed its sending side.
  virtual void receive_eof() = 0;

  /// Bytes to write to the peer now; valid until the next call on this engine.
  virtual std::span<const std::byte> pending_output() = 0;

  /// The driver wrote the first `count` bytes of pending_output().
  virtual void consume_output(std::size_t count) = 0;

  /// True once the connection should be closed (after pending_output() is drained).
  virtual bool wants_close() const = 0;

  /// Bytes of input the engine will only store, doing no work per byte (the rest of a request
  /// body of announced length): a driver may read up to this much at once instead of its usual
  /// piece. 0 (the default): no such promise.
  virtual std::size_t bulk_input() const { return 0; }

  /// Bytes (an estimate) of output the engine holds beyond pending_output(): frames queued
  /// behind it (HTTP/2 answers and resets to a peer that does not read). The driver counts
  /// them with pending_output() when it decides to stop reading, so that a peer sending
  /// requests without reading the answers cannot make the engine queue without bound.
  virtual std::size_t queued_output() const { return 0; }
};

}  // namespace tr::transport
