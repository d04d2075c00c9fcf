#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "transport/connection_engine.hpp"
#include "transport/runtime/io_handler.hpp"
#include "transport/runtime/load_following.hpp"
#include "transport/runtime/shard.hpp"

namespace tr::transport {

namespace detail {
class resolver;
struct listener_state;
}  // namespace detail

/// How many shards, and how they run.
struct runtime_options {
  std::size_t shards = 0;    ///< reactor threads; 0: std::thread::hardware_concurrency()
  bool pin_threads = false;  ///< pin shard i to the i-th CPU this process may run on
  shard_options shard;       ///< settings of every shard
  load_following placement;  ///< where accepted connections go, and when they move
};

/// What a listener's factory makes for one accepted connection. A null engine refuses it (the
/// socket is closed); a null handler is allowed.
struct accepted_connection {
  std::unique_ptr<connection_engine> engine;  ///< the engine stack driven over the socket
  std::unique_ptr<io_handler> handler;        ///< owned by the runtime with the connection
};

/// Builds the engine and handler of an accepted connection, on the shard that will drive it.
/// Called from several shard threads at once: it must be safe to call concurrently.
using connection_factory = std::function<accepted_connection(shard& on)>;

/// The outcome of runtime::listen(): the port bound, or why nothing is.
struct listen_result {
  std::uint16_t port = 0;  ///< the actual port (the kernel's choice when 0 was asked)
  io_status status;        ///< `system` + errno (EADDRINUSE, ...) or `resolve_failed`

  /// True when listening.
  explicit operator bool() const { return !status; }
};

/// The I/O runtime: N shards (reactor threads), the listeners and a resolver thread.
///
/// Placement of accepted connections: each listener accepts on one shard (round robin over the
/// listeners in the order they were opened) and hands each new socket to the shard with the
/// fewest connections (open plus on their way), ties broken round robin; for a listener that
/// follows the load, to the first light shard first (load_following, which also has a heavy
/// shard ask some of those connections to reconnect, io_handler::on_hand_off).
///
/// Thread-safety: at(), size(), for_each(), least_loaded(), listen() and stop_accepting() may
/// be called from any thread, shards included; start(), stop(), drain_and_stop() and the
/// destructor from a thread that is not one of this runtime's shards (they join them). No
/// thread outlives the runtime; the destructor stops it.
class runtime {
 public:
  /// `shards` shards (0: one per core), not running yet.
  explicit runtime(std::size_t shards);
  explicit runtime(runtime_options options = {});
  ~runtime();  ///< stop()

  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  /// Starts the shard threads (once; a stopped runtime does not start again).
  void start();

  /// True between start() and stop().
  bool running() const { return running_; }

  /// Stops at once: listeners and connections close (handlers see `shutting_down`), pending
  /// timers and posts are destroyed unrun, the threads are joined.
  void stop();

  /// Graceful stop: stops accepting, tells every connection to finish (io_handler::on_drain),
  /// waits until every shard is idle (no connection or connect left, and `idle(shard)` true,
  /// called on each shard's thread after each of its loop turns) or the deadline passes, then
  /// stop(). True when every shard was idle in time.
  bool drain_and_stop(std::chrono::milliseconds deadline, std::function<bool(shard&)> idle = {});

  /// drain_and_stop() without the stop(): the shards keep running, draining, after it returns
  /// (the caller may look at what is left, then stop()).
  bool drain(std::chrono::milliseconds deadline, std::function<bool(shard&)> idle = {});

  /// The number of shards.
  std::size_t size() const { return shards_.size(); }

  /// Shard `i` (< size()).
  shard& at(std::size_t i) { return *shards_[i]; }

  /// Calls `fn(shard&)` for each shard, on the calling thread (post from it to reach them).
  template <class F>
  void for_each(F&& fn) {
    for (auto& each : shards_) fn(*each);
  }

  /// The shard with the fewest connections (open plus on their way), ties round robin.
  shard& least_loaded();

  /// Listens on host:port ("127.0.0.1", "::", "0.0.0.0", "localhost"; port 0: any free one)
  /// with SO_REUSEADDR; each accepted connection gets `factory(shard)` on the shard that will
  /// drive it. Blocks only for the bind (a name is resolved in the calling thread).
  /// `follow_load`: the connections follow the load (load_following) — for clients that
  /// reconnect by themselves when a connection ends gracefully.
  listen_result listen(std::string_view host, std::uint16_t port, connection_factory factory,
                       bool follow_load = false);

  /// Closes every listener. From a thread outside the runtime it returns once they are closed;
  /// from a shard, the listeners close within the current turns of their shards.
  void stop_accepting();

 private:
  friend class shard;

  // The name resolver shared by the shards.
  detail::resolver& resolver() { return *resolver_; }

  void shard_drained();
  shard& place_connection(bool follow_load);
  // Where a connection that follows the load goes now (load_following): the first light shard
  // not cooling down; nullptr when none (or one shard only).
  shard* first_light_shard();
  // One hand-off per runtime per load_following::settle: true (and the next one put off) when
  // a shard may hand connections off at `now`.
  bool may_hand_off(shard::clock::time_point now);
  bool on_own_shard() const;

  runtime_options options_;
  std::vector<std::unique_ptr<shard>> shards_;
  std::unique_ptr<detail::resolver> resolver_;
  std::atomic<std::size_t> next_placement_{0};
  std::atomic<std::int64_t> next_hand_off_ns_{0};  // steady clock, since its epoch
  std::size_t next_accepting_ = 0;
  bool started_ = false;
  std::atomic<bool> running_{false};

  std::mutex listeners_mutex_;
  std::vector<std::shared_ptr<detail::listener_state>> listeners_;

  std::mutex drain_mutex_;
  std::condition_variable drain_done_;
  std::size_t drained_shards_ = 0;
};

}  // namespace tr::transport
