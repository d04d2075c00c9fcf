#include "transport/runtime/shard.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <stdexcept>
#include <string>

#include "logging/log.hpp"
#include "transport/runtime/detail/io_slot.hpp"
#include "transport/runtime/runtime.hpp"

namespace tr::transport {

namespace {

thread_local shard* current_shard = nullptr;

constexpr std::uint32_t wake_tag = 0xffffffffu;
constexpr std::size_t max_events_per_wait = 256;
constexpr int max_local_rounds = 16;

void pin_current_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

}  // namespace

shard::shard(runtime& owner, std::size_t index, const shard_options& options)
    : runtime_(owner),
      index_(index),
      options_(options),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      now_(clock::now()),
      timers_(now_),
      events_(max_events_per_wait),
      read_buffer_(new std::byte[detail::read_buffer_bytes]) {
  if (epoll_fd_ < 0 || wake_fd_ < 0) throw std::runtime_error("shard: cannot create epoll/eventfd");
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = wake_tag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) != 0) {
    throw std::runtime_error("shard: cannot watch the eventfd");
  }
}

shard::~shard() {
  join();
  if (!stopping_) teardown();  // never ran: close what was adopted or posted before start
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

shard* shard::current() {
  return current_shard;
}

bool shard::current_shard_is(const shard* s) {
  return current_shard == s;
}

void shard::note_exception(const char* where, const char* what) {
  auto count = exceptions_total_.load(std::memory_order_relaxed) + 1;
  exceptions_total_.store(count, std::memory_order_relaxed);
  // The first ones, then every power of two: a defect that repeats cannot flood the log.
  if (count <= 8 || (count & (count - 1)) == 0)
    logging::error("an exception escaped; only it failed", {{"shard", std::to_string(index_)},
                                                            {"where", where},
                                                            {"what", what},
                                                            {"so_far", std::to_string(count)}});
}

bool shard::post(task fn) {
  if (current_shard == this) {
    if (stopping_) return false;
    local_posts_.push_back(std::move(fn));
    return true;
  }
  bool was_empty;
  {
    std::lock_guard guard{inbox_mutex_};
    if (inbox_closed_) return false;  // `fn` is destroyed after the lock is released
    was_empty = inbox_.empty();
    inbox_.push_back(std::move(fn));
  }
  if (!was_empty) return true;
  shard* from = current_shard;
  if (from && !from->stopping_) {
    // Posted from another shard's loop: that turn wakes this shard once when it ends.
    auto& owed = from->wakes_owed_;
    if (std::find(owed.begin(), owed.end(), this) == owed.end()) owed.push_back(this);
    return true;
  }
  wake();
  if (from) from->count_wakes_sent(1);
  return true;
}

void shard::count_wakes_sent(std::size_t count) {
  wakes_sent_total_.store(wakes_sent_total_.load(std::memory_order_relaxed) + count,
                          std::memory_order_relaxed);
}

void shard::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
}

void shard::send_deferred_wakes() {
  if (wakes_owed_.empty()) return;
  std::size_t sent = 0;
  for (shard* target : wakes_owed_) {
    bool pending;
    {
      std::lock_guard guard{target->inbox_mutex_};
      pending = !target->inbox_.empty();
    }
    // Empty: the target took these posts in a turn that was running anyway.
    if (pending) {
      target->wake();
      ++sent;
    }
  }
  count_wakes_sent(sent);
  wakes_owed_.clear();
}

bool shard::post_next_turn(task fn) {
  if (stopping_) return false;
  next_turn_.push_back(std::move(fn));
  return true;
}

shard_load shard::load() const {
  shard_load figures;
  figures.busy_ns_per_second = busy_ns_per_second_.load(std::memory_order_relaxed);
  figures.events_per_second = events_per_second_.load(std::memory_order_relaxed);
  figures.posts_per_second = posts_per_second_.load(std::memory_order_relaxed);
  figures.connections =
      open_connections_.load(std::memory_order_relaxed) + incoming_.load(std::memory_order_relaxed);
  figures.busy_ns_total = busy_ns_total_.load(std::memory_order_relaxed);
  figures.events_total = events_total_.load(std::memory_order_relaxed);
  figures.posts_total = posts_total_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < turn_counts_.size(); ++i)
    figures.turn_counts[i] = turn_counts_[i].load(std::memory_order_relaxed);
  figures.turn_weighted_ns_total = turn_weighted_ns_total_.load(std::memory_order_relaxed);
  figures.exceptions_total = exceptions_total_.load(std::memory_order_relaxed);
  figures.wakes_sent_total = wakes_sent_total_.load(std::memory_order_relaxed);
  figures.handed_off_total = handed_off_total_.load(std::memory_order_relaxed);
  return figures;
}

namespace {

std::int64_t steady_ms(shard::clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

double shard::recent_busy() const {
  std::uint64_t figure = recent_.load(std::memory_order_relaxed);
  if (figure == 0) return 0;
  auto published_ms = static_cast<std::int64_t>(figure >> 10);
  auto age_ms = steady_ms(clock::now()) - published_ms;
  auto stale_ms = 2 * runtime_.options_.placement.window.count();
  if (age_ms > stale_ms) {
    // No window closed since: idle, unless one turn has been running all that time.
    auto turn_started = turn_started_ms_.load(std::memory_order_relaxed);
    return turn_started != 0 && steady_ms(clock::now()) - turn_started > stale_ms ? 1 : 0;
  }
  return static_cast<double>(figure & 1023) / 1000.0;
}

bool shard::cooling_down() const {
  return steady_ms(clock::now()) < cool_down_until_ms_.load(std::memory_order_relaxed);
}

timer_id shard::schedule(clock::time_point deadline, unique_function<void()> fn) {
  TR_ASSERT_ON_SHARD(*this);
  return timers_.schedule(deadline, std::move(fn));
}

bool shard::cancel(timer_id id) {
  TR_ASSERT_ON_SHARD(*this);
  return timers_.cancel(id);
}

void shard::start(int cpu) {
  thread_ = std::thread([this, cpu] {
    if (cpu >= 0) pin_current_thread(cpu);
    run();
  });
}

void shard::request_stop() {
  stop_requested_.store(true, std::memory_order_release);
  wake();
}

void shard::join() {
  if (thread_.joinable()) thread_.join();
}

void shard::run() {
  current_shard = this;
  now_ = clock::now();
  window_start_ = now_;
  recent_start_ = now_;
  while (!stop_requested_.load(std::memory_order_acquire)) {
    turn_started_ms_.store(0, std::memory_order_relaxed);
    int count =
        epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()), wait_timeout());
    clock::time_point turn_start = clock::now();
    turn_started_ms_.store(steady_ms(turn_start), std::memory_order_relaxed);
    now_ = turn_start;
    std::size_t handled = 0;
    for (int i = 0; i < count; ++i) {
      if (events_[i].data.u64 != wake_tag) ++handled;
      dispatch(events_[i]);
    }
    std::size_t posts = run_posts();
    handled += timers_.advance(now_);
    for (; timer_failures_seen_ < timers_.failures(); ++timer_failures_seen_)
      note_exception("a timer", "its callback threw");
    // What other shards posted while this turn ran (they often wake for the same burst of
    // input): taken now, it leaves with this turn's output instead of costing a turn of its own.
    posts += run_inbox();
    // The load_following window closes before the writes, so that what a hand-off asks of a
    // connection (a GOAWAY) leaves with this turn's output.
    if (now_ - recent_start_ >= runtime_.options_.placement.window) follow_load();
    flush_dirty();
    if (draining_) check_drained();
    send_deferred_wakes();
    account(turn_start, handled, posts);
  }
  teardown();
  current_shard = nullptr;
}

int shard::wait_timeout() {
  if (!local_posts_.empty() || !next_turn_.empty() || !dirty_.empty()) return 0;
  clock::time_point wake = timers_.next_wake();
  // Figures of a second with activity (or non-zero ones to clear) are published on time.
  if (window_events_ + window_posts_ != 0 || figures_nonzero_) {
    wake = std::min(wake, window_start_ + std::chrono::seconds(1));
  }
  if (wake == clock::time_point::max()) return -1;
  auto left = wake - clock::now();
  if (left <= clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

void shard::dispatch(const epoll_event& event) {
  if (event.data.u64 == wake_tag) {
    std::uint64_t value;
    [[maybe_unused]] auto got = ::read(wake_fd_, &value, sizeof value);
    return;
  }
  auto index = static_cast<std::uint32_t>(event.data.u64);
  auto generation = static_cast<std::uint32_t>(event.data.u64 >> 32);
  detail::io_slot* slot = find(index, generation);
  if (!slot) return;  // closed earlier in this turn
  switch (slot->kind) {
    case detail::slot_kind::connection:
      try {
        on_connection_event(index, event.events);
      } catch (const std::exception& e) {
        note_exception("a connection's handler", e.what());
        if (find(index, generation))
          close_connection(index, {io_failure::engine, 0,
                                   error{error_code::internal_error, "a handler failed"}});
      }
      break;
    case detail::slot_kind::connecting:
      on_connect_event(index);
      break;
    case detail::slot_kind::listener:
      accept_from(index);
      break;
    case detail::slot_kind::free:
      break;
  }
}

void shard::run_guarded(task& fn) {
  try {
    fn(*this);
  } catch (const std::exception& e) {
    note_exception("a posted closure", e.what());
  }
  fn.reset();
}

std::size_t shard::run_inbox() {
  {
    std::lock_guard guard{inbox_mutex_};
    if (inbox_.empty()) return 0;
    running_.swap(inbox_);
  }
  std::size_t ran = running_.size();
  for (auto& fn : running_) run_guarded(fn);
  running_.clear();
  return ran;
}

std::size_t shard::run_posts() {
  std::size_t ran = 0;
  auto run = [&](task& fn) {
    run_guarded(fn);
    ++ran;
  };
  // What the previous turn put off to this one; what these put off waits for the next.
  this_turn_.swap(next_turn_);
  for (auto& fn : this_turn_) run(fn);
  this_turn_.clear();
  ran += run_inbox();
  // Posted by this shard to itself, including during the loops here: a few rounds in this
  // turn, then what is left waits for the next turn (which does not sleep), so a closure that
  // keeps posting itself cannot starve the sockets.
  for (int round = 0; round < max_local_rounds && !local_posts_.empty(); ++round) {
    running_.swap(local_posts_);
    for (auto& fn : running_) run(fn);
    running_.clear();
  }
  return ran;
}

void shard::account(clock::time_point turn_start, std::size_t events, std::size_t posts) {
  clock::time_point turn_end = clock::now();
  auto busy = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(turn_end - turn_start).count());
  window_busy_ += busy;
  recent_busy_ns_ += busy;
  window_events_ += events;
  window_posts_ += posts;
  busy_ns_total_.store(busy_ns_total_.load(std::memory_order_relaxed) + busy,
                       std::memory_order_relaxed);
  events_total_.store(events_total_.load(std::memory_order_relaxed) + events,
                      std::memory_order_relaxed);
  posts_total_.store(posts_total_.load(std::memory_order_relaxed) + posts,
                     std::memory_order_relaxed);
  if (std::uint64_t weight = events + posts; weight != 0) {
    std::uint64_t us = busy / 1000;
    std::size_t bucket = 0;
    while (bucket < turn_bucket_us.size() && us > turn_bucket_us[bucket]) ++bucket;
    auto& count = turn_counts_[bucket];
    count.store(count.load(std::memory_order_relaxed) + weight, std::memory_order_relaxed);
    turn_weighted_ns_total_.store(
        turn_weighted_ns_total_.load(std::memory_order_relaxed) + busy * weight,
        std::memory_order_relaxed);
  }
  auto elapsed = turn_end - window_start_;
  if (elapsed < std::chrono::seconds(1)) return;
  auto per_second = [elapsed](std::uint64_t amount) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
    return static_cast<std::uint64_t>(static_cast<double>(amount) * 1e9 / static_cast<double>(ns));
  };
  busy_ns_per_second_.store(per_second(window_busy_), std::memory_order_relaxed);
  events_per_second_.store(per_second(window_events_), std::memory_order_relaxed);
  posts_per_second_.store(per_second(window_posts_), std::memory_order_relaxed);
  figures_nonzero_ = window_events_ + window_posts_ != 0;
  window_start_ = turn_end;
  window_busy_ = window_events_ = window_posts_ = 0;
}

void shard::follow_load() {
  auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now_ - recent_start_);
  if (elapsed.count() <= 0) return;
  double busy =
      std::min(1.0, static_cast<double>(recent_busy_ns_) / static_cast<double>(elapsed.count()));
  auto permille = static_cast<std::uint64_t>(busy * 1000);
  recent_.store((static_cast<std::uint64_t>(steady_ms(now_)) << 10) | permille,
                std::memory_order_relaxed);
  const load_following& rule = runtime_.options_.placement;
  // Sized against the shard the connections handed off will be placed on (this one, heavy,
  // is not light).
  if (!draining_ && !stopping_ && busy > rule.heavy) {
    if (shard* target = runtime_.first_light_shard()) {
      if (double share = rule.share_to_hand_off(busy, target->recent_busy());
          share > 0 && runtime_.may_hand_off(now_))
        hand_off(share);
    }
  }
  for (auto& slot : slots_) slot->window_bytes = 0;
  window_read_bytes_ = 0;
  recent_busy_ns_ = 0;
  recent_start_ = now_;
}

void shard::hand_off(double share) {
  std::vector<load_following::candidate> candidates;
  for (std::uint32_t i = 0; i < slots_.size(); ++i) {
    const detail::io_slot& slot = *slots_[i];
    if (slot.kind == detail::slot_kind::connection && slot.follows_load && !slot.handed_off &&
        !slot.read_closed && !slot.close_requested && !slot.ending)
      candidates.push_back({i, slot.window_bytes});
  }
  std::size_t handed = 0;
  for (std::size_t i : load_following::pick(std::move(candidates), window_read_bytes_, share)) {
    detail::io_slot& slot = *slots_[i];
    slot.handed_off = true;
    connection_handle handle{static_cast<std::uint32_t>(i), slot.generation};
    try {
      if (slot.handler && slot.handler->on_hand_off(*this, handle)) ++handed;
    } catch (const std::exception& e) {
      note_exception("a connection's handler", e.what());
      if (find(handle.slot, handle.generation))
        close_connection(handle.slot, {io_failure::engine, 0,
                                       error{error_code::internal_error, "a handler failed"}});
    }
  }
  if (handed == 0) return;
  cool_down_until_ms_.store(steady_ms(now_) + runtime_.options_.placement.cool_down.count(),
                            std::memory_order_relaxed);
  handed_off_total_.store(handed_off_total_.load(std::memory_order_relaxed) + handed,
                          std::memory_order_relaxed);
}

void shard::begin_drain(drain_hook idle) {
  draining_ = true;
  drain_idle_ = std::move(idle);
  std::vector<connection_handle> open;
  for (std::uint32_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i]->kind == detail::slot_kind::connection && slots_[i]->handler) {
      open.push_back({i, slots_[i]->generation});
    }
  }
  for (connection_handle handle : open) {
    if (detail::io_slot* slot = find(handle.slot, handle.generation)) {
      if (slot->kind == detail::slot_kind::connection && slot->handler) {
        slot->handler->on_drain(*this, handle);
      }
    }
  }
  flush_dirty();
  check_drained();
}

void shard::check_drained() {
  if (drain_reported_ || open_count_ != 0 || connecting_count_ != 0) return;
  if (drain_idle_ && !drain_idle_(*this)) return;
  drain_reported_ = true;
  runtime_.shard_drained();
}

void shard::teardown() {
  stopping_ = true;
  // Callbacks run during teardown may adopt or connect: both refuse while stopping, so a few
  // rounds empty every slot.
  for (int round = 0; round < 4; ++round) {
    bool any = false;
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
      detail::io_slot& slot = *slots_[i];
      switch (slot.kind) {
        case detail::slot_kind::connection:
          close_connection(i, {io_failure::shutting_down});
          any = true;
          break;
        case detail::slot_kind::connecting: {
          connect_result result;
          result.status = {io_failure::shutting_down};
          finish_connect(i, std::move(result));
          any = true;
          break;
        }
        case detail::slot_kind::listener:
          remove_listener(std::shared_ptr<detail::listener_state>{slot.listener});
          any = true;
          break;
        case detail::slot_kind::free:
          break;
      }
    }
    if (!any) break;
  }
  std::vector<task> dropped;
  {
    std::lock_guard guard{inbox_mutex_};
    inbox_closed_ = true;
    dropped.swap(inbox_);
  }
  dropped.clear();
  local_posts_.clear();
  next_turn_.clear();
  this_turn_.clear();
  timers_.clear();
  dirty_.clear();
}

}  // namespace tr::transport
