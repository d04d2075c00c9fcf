// The owner's side of its connection's fuse (fuse_link.hpp): the ceiling it asks for, the
// outcome batches it reports, the admission snapshots it applies and the state it publishes.

#include <algorithm>
#include <array>
#include <string_view>

#include "actors/connection_health.hpp"
#include "actors/connection_owner.hpp"
#include "actors/detail/connection_owner_parts.hpp"

namespace tr::actors {

namespace {

/// Outcome batches to the fuse: at most this many events, sent at least this often while
/// there are any, and news at most this often.
constexpr std::size_t fuse_batch_size = 256;
constexpr std::chrono::milliseconds fuse_batch_interval{100};
constexpr std::chrono::milliseconds fuse_urgent_spacing{2};

constexpr std::array<std::string_view, 4> state_names = {"closed", "throttling", "open",
                                                         "paused"};

}  // namespace

void connection_owner::apply_ceiling() {
  auto wanted = config_->max_concurrency ? config_->max_concurrency
                                         : environment_.fuse_params.max_limit;
  if (fuse_link_) fuse_link_->set_ceiling(wanted);
}

connection_owner::~connection_owner() {
  if (upstream_) upstream_->detach();  // its sessions close; no answer comes here any more
}

void connection_owner::publish_state() {
  if (retired_) return;  // a successor (move, restart) may own the gauges now
  auto fuse_state = static_cast<std::uint8_t>(gate_.current_state());
  std::uint8_t state = config_->paused ? 3 : fuse_state;
  if (state != published_state_) {
    const char* reason = state == 3                ? "paused by the operator"
                         : published_state_ == 3 ? "resumed by the operator"
                                                 : gate_.reason();
    log_fuse_transition(config_->id, state_names[published_state_], state_names[state], reason);
    metrics_->transitions[state].fetch_add(1, std::memory_order_relaxed);
    // Resumed to closed: the status says so until the fuse's own next change of state.
    resumed_ = published_state_ == 3 && state == 0;
    published_state_ = state;
  }
  metrics_->paused.store(state == 3, std::memory_order_relaxed);
  metrics_->fuse_state.store(fuse_state, std::memory_order_relaxed);
  metrics_->limit.store(gate_.limit(), std::memory_order_relaxed);
  metrics_->fuse_reason.store(resumed_ ? "resumed by the operator" : gate_.reason(),
                              std::memory_order_relaxed);
  metrics_->in_flight.store(static_cast<std::int32_t>(in_flight_), std::memory_order_relaxed);
}

void connection_owner::apply_admission(const fuse::snapshot& s) {
  TR_ASSERT_ON_SHARD(home_);
  if (gate_.apply(s)) publish_state();
}

void connection_owner::tell_fuse(const fuse_event& e) {
  // Stopped at once (removed, or replaced after a crash): what fails now fails because the
  // sessions were closed here, which says nothing about the AS.
  if (retired_ && !graceful_) return;
  fuse_events_.push_back(e);
  if (fuse_events_.size() >= fuse_batch_size) return flush_fuse();
  // News the fuse reacts to goes at once (at most one batch per fuse_urgent_spacing); good,
  // fast answers while closed wait for the batch to fill or for fuse_batch_interval.
  bool news = e.what != fuse_event::kind::answer || e.signal != fuse::signal::good || e.probe ||
              e.at - e.sent > environment_.fuse_params.latency_target ||
              gate_.current_state() != fuse::state::closed;
  auto now = clock_.now();
  auto due = news ? std::max(now, fuse_sent_ + fuse_urgent_spacing) : now + fuse_batch_interval;
  if (news && due <= now) return flush_fuse();
  if (fuse_timer_ && fuse_due_ <= due) return;
  if (fuse_timer_) clock_.cancel(fuse_timer_);
  fuse_due_ = due;
  fuse_timer_ = clock_.schedule(due, [w = weak_from_this()] {
    if (auto self = w.lock()) {
      self->fuse_timer_ = {};
      self->guarded([&] { self->flush_fuse(); });
    }
  });
}

void connection_owner::flush_fuse() {
  if (fuse_timer_) clock_.cancel(fuse_timer_);
  fuse_timer_ = {};
  fuse_sent_ = clock_.now();
  if (fuse_events_.empty()) return;
  std::vector<fuse_event> batch;
  batch.swap(fuse_events_);
  // The batch goes to the fuse actor: the next one starts at this one's size, one allocation
  // rather than a dozen of growth.
  fuse_events_.reserve(batch.size());
  fuse_link_->report(std::move(batch));
}

}  // namespace tr::actors
