#pragma once

#include <sys/epoll.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "transport/connection_engine.hpp"
#include "transport/runtime/io_handler.hpp"
#include "transport/runtime/loop_clock.hpp"
#include "transport/runtime/socket.hpp"
#include "transport/runtime/timer_wheel.hpp"
#include "transport/runtime/unique_function.hpp"

/// Debug builds: asserts that the calling thread is the one that runs shard `s` (a shard's
/// objects are touched from their shard only). Release builds: nothing.
#ifdef NDEBUG
#define TR_ASSERT_ON_SHARD(s) ((void)0)
#else
#include <cassert>
#define TR_ASSERT_ON_SHARD(s) assert((s).on_own_thread() && "called off its shard's thread")
#endif

namespace tr::transport {

class runtime;

namespace detail {
struct io_slot;
struct listener_state;
struct resolve_result;
}  // namespace detail

/// Upper bounds, in microseconds, of the buckets of shard_load::turn_counts (the last bucket,
/// one more, is everything above).
inline constexpr std::array<std::uint64_t, 9> turn_bucket_us = {50,   100,  250,   500,  1000,
                                                                2000, 5000, 10000, 50000};

/// Load figures of a shard for a supervisor; relaxed snapshots, readable from any thread.
struct shard_load {
  std::uint64_t busy_ns_per_second = 0;  ///< time spent working (not waiting), last full second
  std::uint64_t events_per_second = 0;   ///< socket events and timers handled, last full second
  std::uint64_t posts_per_second = 0;    ///< posted closures run, last full second
  std::uint64_t connections = 0;         ///< open connections, plus accepted ones on their way
  std::uint64_t busy_ns_total = 0;       ///< since start
  std::uint64_t events_total = 0;        ///< since start
  std::uint64_t posts_total = 0;         ///< since start
  /// How long the loop turns that handled something took, counted once per socket event,
  /// timer or post they handled (so a busy turn weighs more than a turn for one timer): an
  /// input waits inside the router for at most the turn running when it arrived plus the one
  /// that handles it. Cumulative since start; buckets as turn_bucket_us.
  std::array<std::uint64_t, turn_bucket_us.size() + 1> turn_counts{};
  std::uint64_t turn_weighted_ns_total = 0;  ///< sum of turn durations, weighted the same way
  /// Exceptions that escaped a handler on this shard (a connection's engine or handler, a
  /// posted closure, a timer), since start. Each failed only its own connection (closed) or
  /// its own closure; the shard went on.
  std::uint64_t exceptions_total = 0;
  /// Wake-ups (eventfd writes) this shard's thread sent to other shards for its posts, since
  /// start: at most one per other shard per loop turn, however many closures the turn posted
  /// (while stopping, one per post that found an empty inbox).
  std::uint64_t wakes_sent_total = 0;
  /// Connections this shard asked to move to a lighter shard (load_following), since start.
  std::uint64_t handed_off_total = 0;
};

/// Settings shared by the shards of a runtime.
struct shard_options {
  std::size_t max_pending_output = 1 << 20;      ///< stop reading a connection while more than this
                                                 ///< is waiting to be written (back-pressure)
  std::chrono::milliseconds close_linger{2000};  ///< a connection that wants to close but cannot
                                                 ///< write its last bytes is dropped after this
};

/// The outcome of shard::connect(): a connected socket, or why there is none.
struct connect_result {
  socket connected;  ///< non-blocking, TCP_NODELAY; empty on failure
  io_status status;  ///< refused/unreachable (system + errno), timed_out, resolve_failed, ...

  /// True when connected.
  explicit operator bool() const { return !status; }
};

/// Names a connect in progress on its shard.
struct connect_id {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;  ///< 0: none
  explicit operator bool() const { return generation != 0; }
};

/// One reactor thread: an epoll loop that owns its sockets, the engines on them, its timers
/// and whatever the application places on it. Of the shard's own state only its inbox is
/// locked (what the application places on it may take locks of its own).
///
/// A loop turn: wait (epoll_wait, timeout = next timer), read the sockets that are readable
/// into the shard's 256 KiB buffer and hand the bytes to their engines, run the posted
/// closures, run the due timers, run what other threads posted meanwhile, close the
/// load_following window when it is due (which may ask connections to go), then write the output
/// of every engine marked dirty during the turn (one drain per connection per turn, writes
/// batched), then wake the shards the turn posted to. A connection whose output would block gets
/// EPOLLOUT interest; one with more than `max_pending_output` unwritten stops being read until
/// the peer catches up. A connection closes when its engine wants_close() and its output is
/// written, on end of stream or a socket error (the handler learns why), or on close().
///
/// Thread-safety: post(), load(), index() and current() from any thread; everything else only
/// from the shard's own thread (in posted closures, timers, handler and engine callbacks),
/// which debug builds assert (TR_ASSERT_ON_SHARD).
///
/// Its clock and timers are also its loop_clock, which objects that take time through it (the
/// connection owner) let a unit test replace with a simulated one.
///
/// Safety net: an exception escaping a connection's engine or handler closes that connection
/// only; one escaping a posted closure or a timer ends that closure only. Either is counted
/// (shard_load::exceptions_total) and logged; the shard and the process go on.
class shard final : public loop_clock {
 public:
  using clock = std::chrono::steady_clock;
  using task = unique_function<void(shard&)>;

  shard(const shard&) = delete;
  shard& operator=(const shard&) = delete;
  ~shard();

  /// The shard whose thread is calling; nullptr on any other thread.
  static shard* current();

  /// This shard's position in its runtime.
  std::size_t index() const { return index_; }

  /// The runtime this shard belongs to.
  runtime& owner() const { return runtime_; }

  /// Runs `fn` on this shard's thread (any thread). Closures from one producer run in the order
  /// posted. From another thread: a locked inbox, the shard woken (eventfd) only when the inbox
  /// was empty; from another shard's loop, that wake-up is sent once at the end of the posting
  /// turn (one per target shard per turn, however many closures the turn posted, and none if
  /// the target has taken them by then). From the
  /// shard itself: no lock, run later in the same turn (chains of posts: up to 16 rounds per
  /// turn). False when the shard has stopped: `fn` is destroyed unrun.
  bool post(task fn);

  /// Runs `fn` on this shard in the next loop turn, after that turn's socket events (from this
  /// shard's own thread only): a long piece of work done in slices lets the sockets be served
  /// between them. False when the shard is stopping: `fn` is destroyed unrun.
  bool post_next_turn(task fn);

  /// The load figures (any thread).
  shard_load load() const;

  /// The fraction of the last load_following window this shard spent working (any thread).
  /// A figure two windows old counts as 0 (no turn has closed a window since: idle), or as 1
  /// when one turn has been running all that time.
  double recent_busy() const;

  /// True while this shard is in the load_following cool-down after handing connections off:
  /// it takes no new connections as a light shard (any thread).
  bool cooling_down() const;

  /// The time at the start of this loop turn (steady clock, read once per turn).
  clock::time_point now() const override { return now_; }

  /// Runs `fn` on this shard at `deadline` (1 ms resolution, never early).
  timer_id schedule(clock::time_point deadline, unique_function<void()> fn) override;

  /// Runs `fn` on this shard after `delay` from now().
  timer_id schedule(clock::duration delay, unique_function<void()> fn) {
    return schedule(now_ + delay, std::move(fn));
  }

  /// Cancels a timer; false when it already ran or was cancelled. O(1).
  bool cancel(timer_id id) override;

  /// Drives `engine` over the connected socket `s` (made non-blocking and TCP_NODELAY here);
  /// the runtime owns the engine, `handler` must outlive the connection (until on_close).
  /// Returns an empty handle (everything closed and destroyed) when the shard is stopping.
  connection_handle adopt(socket s, std::unique_ptr<connection_engine> engine, io_handler& handler);

  /// adopt() where the runtime also owns the handler (may be null: no notifications).
  connection_handle adopt(socket s, std::unique_ptr<connection_engine> engine,
                          std::unique_ptr<io_handler> handler = nullptr);

  /// True while the connection is open.
  bool is_open(connection_handle handle) const;

  /// The connection's engine; nullptr once it closed.
  connection_engine* engine(connection_handle handle) const;

  /// The connection's socket (to read its addresses, never to read or write); -1 once closed.
  int native_handle(connection_handle handle) const;

  /// Asks for the engine's output to be written at the end of this loop turn; call it after
  /// calling into an engine from outside its own callbacks (a timer, a posted closure).
  void mark_dirty(connection_handle handle);

  /// Closes the connection at the end of this loop turn without writing what is pending; the
  /// handler sees `closed_locally`.
  void close(connection_handle handle);

  /// Connects to host:port without blocking: numeric addresses directly, names resolved on the
  /// runtime's resolver thread (each address tried in turn, all within `timeout`). `done` runs
  /// exactly once on this shard, never inside connect(): with the socket, or with the failure
  /// (`shutting_down` if the runtime stops first). A shard already stopping returns an empty id
  /// and destroys `done` unrun.
  connect_id connect(std::string_view host, std::uint16_t port, std::chrono::milliseconds timeout,
                     unique_function<void(connect_result)> done);

  /// Which resolved addresses a connect may use (checked on each before connecting to it).
  using address_filter = std::function<bool(const socket_address&)>;

  /// connect() trying only the addresses `allow` accepts; when it accepts none, `done` gets
  /// io_failure::denied.
  connect_id connect(std::string_view host, std::uint16_t port, std::chrono::milliseconds timeout,
                     address_filter allow, unique_function<void(connect_result)> done);

  /// Abandons a connect in progress; its `done` is destroyed unrun. False when already done.
  bool cancel_connect(connect_id id);

  /// Connections open on this shard.
  std::size_t open_connections() const { return open_count_; }

  /// True once drain_and_stop() has begun.
  bool draining() const { return draining_; }

  /// True on this shard's own thread, or while no thread runs it (before start, after stop).
  bool on_own_thread() const { return current_shard_is(this) || !thread_.joinable(); }

 private:
  friend class runtime;

  using drain_hook = std::function<bool(shard&)>;

  shard(runtime& owner, std::size_t index, const shard_options& options);

  // shard.cpp: the loop, posts, load, drain, teardown.
  void start(int cpu);
  void request_stop();
  void join();
  void run();
  int wait_timeout();
  void dispatch(const epoll_event& event);
  std::size_t run_posts();
  std::size_t run_inbox();  // what other threads posted, if anything
  void run_guarded(task& fn);
  void wake();                // writes the eventfd (any thread)
  void send_deferred_wakes();  // the wake-ups this turn's posts to other shards owe
  void count_wakes_sent(std::size_t count);
  void account(clock::time_point turn_start, std::size_t events, std::size_t posts);
  void follow_load();  // closes the load_following window: publishes, maybe hands off
  void hand_off(double share);
  void note_exception(const char* where, const char* what);
  static bool current_shard_is(const shard* s);
  void begin_drain(drain_hook idle);
  void check_drained();
  void teardown();

  // shard_io.cpp: connections and listeners.
  std::uint32_t allocate_slot();
  void free_slot(std::uint32_t index);
  detail::io_slot* find(std::uint32_t slot, std::uint32_t generation) const;
  connection_handle adopt_connection(socket s, std::unique_ptr<connection_engine> engine,
                                     io_handler* handler, std::unique_ptr<io_handler> owned);
  void on_connection_event(std::uint32_t index, std::uint32_t events);
  void read_from(std::uint32_t index);
  void flush(std::uint32_t index);
  void flush_dirty();
  void update_interest(std::uint32_t index);
  void close_connection(std::uint32_t index, io_status why);
  void add_listener(std::shared_ptr<detail::listener_state> listener);
  void remove_listener(const std::shared_ptr<detail::listener_state>& listener);
  void accept_from(std::uint32_t index);
  void adopt_accepted(socket s, detail::listener_state& listener);

  // shard_connect.cpp: outgoing connections.
  void try_next_address(std::uint32_t index);
  void on_connect_event(std::uint32_t index);
  void on_resolved(connect_id id, detail::resolve_result result);
  void finish_connect(std::uint32_t index, connect_result result);

  runtime& runtime_;
  std::size_t index_;
  shard_options options_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  bool stopping_ = false;

  // Posts: the inbox from other threads (locked), the local queue from this one.
  std::mutex inbox_mutex_;
  std::vector<task> inbox_;
  bool inbox_closed_ = false;
  std::vector<task> running_;
  std::vector<task> local_posts_;
  std::vector<task> next_turn_;     // post_next_turn(): run in the next turn
  std::vector<task> this_turn_;     // ... swapped in at the start of that turn's posts
  std::vector<shard*> wakes_owed_;  // other shards this turn posted to (their inbox was empty)

  clock::time_point now_;
  timer_wheel timers_;

  std::vector<std::unique_ptr<detail::io_slot>> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<connection_handle> dirty_;
  std::vector<epoll_event> events_;
  std::unique_ptr<std::byte[]> read_buffer_;
  std::size_t open_count_ = 0;
  std::size_t connecting_count_ = 0;

  // Load: totals and the figures of the last full second, written by this thread only.
  std::atomic<std::uint64_t> busy_ns_total_{0};
  std::array<std::atomic<std::uint64_t>, turn_bucket_us.size() + 1> turn_counts_{};
  std::atomic<std::uint64_t> turn_weighted_ns_total_{0};
  std::atomic<std::uint64_t> events_total_{0};
  std::atomic<std::uint64_t> posts_total_{0};
  std::atomic<std::uint64_t> exceptions_total_{0};
  std::atomic<std::uint64_t> wakes_sent_total_{0};
  std::uint64_t timer_failures_seen_ = 0;
  std::atomic<std::uint64_t> busy_ns_per_second_{0};
  std::atomic<std::uint64_t> events_per_second_{0};
  std::atomic<std::uint64_t> posts_per_second_{0};
  std::atomic<std::uint64_t> open_connections_{0};
  std::atomic<std::uint64_t> incoming_{0};  // accepted elsewhere, posted here, not yet adopted
  clock::time_point window_start_;
  std::uint64_t window_busy_ = 0;
  std::uint64_t window_events_ = 0;
  std::uint64_t window_posts_ = 0;
  bool figures_nonzero_ = false;

  // load_following: the window's figures, what other threads read of them, the cool-down.
  clock::time_point recent_start_;
  std::uint64_t recent_busy_ns_ = 0;
  std::uint64_t window_read_bytes_ = 0;
  // (steady-clock milliseconds when published) << 10 | busy in permille; 0: never published.
  std::atomic<std::uint64_t> recent_{0};
  std::atomic<std::int64_t> turn_started_ms_{0};  // steady-clock ms; 0 while in epoll_wait
  std::atomic<std::int64_t> cool_down_until_ms_{0};
  std::atomic<std::uint64_t> handed_off_total_{0};

  // Drain.
  bool draining_ = false;
  bool drain_reported_ = false;
  drain_hook drain_idle_;
};

}  // namespace tr::transport
