#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "transport/connection_engine.hpp"
#include "transport/runtime/io_handler.hpp"
#include "transport/runtime/runtime.hpp"
#include "transport/runtime/shard.hpp"

namespace tr::transport::detail {

/// A listening socket and what makes the connections it accepts. Its descriptor is closed once,
/// by the accepting shard (or by the runtime when no shard runs).
struct listener_state {
  int fd = -1;
  connection_factory factory;
  shard* home = nullptr;             // the accepting shard
  bool follow_load = false;          // runtime::listen(..., follow_load)
  std::atomic<bool> closed{false};

  /// Closes the descriptor unless that was done already.
  void close_once();
};

/// The shard's read buffer: the most read from one socket at once (a body in bulk, see
/// connection_engine::bulk_input; other input is read in smaller pieces).
inline constexpr std::size_t read_buffer_bytes = 256 * 1024;

/// What a slot of a shard holds.
enum class slot_kind : std::uint8_t { free, connection, connecting, listener };

/// One registered descriptor of a shard: a connection, a connect in progress or a listener.
/// Slots are pooled and reused; the generation tells a stale handle (or a stale epoll event)
/// from the current occupant.
struct io_slot {
  slot_kind kind = slot_kind::free;
  std::uint32_t generation = 1;
  int fd = -1;
  std::uint32_t interest = 0;  // events registered with epoll

  // A connection.
  std::unique_ptr<connection_engine> engine;
  io_handler* handler = nullptr;
  std::unique_ptr<io_handler> owned_handler;
  io_status ending;             // the first reason the connection is ending, if any
  timer_id linger;              // drops a closing connection that cannot write
  bool dirty = false;           // in the shard's dirty list
  bool read_closed = false;     // nothing more is read (end of stream, engine error, closing)
  bool eof_delivered = false;   // receive_eof() was called
  bool paused = false;          // not read because of unwritten output (back-pressure)
  bool write_blocked = false;   // the last write would block: waiting for EPOLLOUT
  bool close_requested = false; // shard::close(): close at the end of the turn
  bool follows_load = false;    // accepted by a listener that follows the load
  bool handed_off = false;      // asked to move to a lighter shard (on_hand_off)
  std::uint64_t window_bytes = 0;  // read during the shard's current load_following window

  // A connect in progress.
  unique_function<void(connect_result)> done;
  timer_id timeout;
  std::vector<socket_address> addresses;
  std::size_t next_address = 0;
  int last_error = 0;
  shard::address_filter allow;  // empty: every address
  bool denied = false;          // an address was refused by `allow`

  // A listener.
  std::shared_ptr<listener_state> listener;

  /// Back to a free slot (keeps the generation; the caller bumps it).
  void clear() {
    kind = slot_kind::free;
    fd = -1;
    interest = 0;
    engine.reset();
    handler = nullptr;
    owned_handler.reset();
    ending = {};
    linger = {};
    dirty = read_closed = eof_delivered = paused = write_blocked = close_requested = false;
    follows_load = handed_off = false;
    window_bytes = 0;
    done.reset();
    timeout = {};
    addresses.clear();
    next_address = 0;
    last_error = 0;
    allow = nullptr;
    denied = false;
    listener.reset();
  }
};

/// The epoll user data of a slot: its generation and index.
inline std::uint64_t event_tag(std::uint32_t index, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32) | index;
}

}  // namespace tr::transport::detail
