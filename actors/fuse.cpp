#include "actors/fuse.hpp"

#include <algorithm>

namespace tr::actors {

fuse::fuse(params p, std::uint64_t seed)
    : params_(p), limit_(p.max_limit), slow_start_threshold_(p.max_limit), rng_(seed | 1) {}

void fuse::reconfigure(params p) {
  params_ = p;
  limit_ = std::clamp(limit_, p.min_limit, p.max_limit);
  slow_start_threshold_ = std::clamp(slow_start_threshold_, p.min_limit, p.max_limit);
  if (state_ == state::closed) limit_ = p.max_limit;
}

fuse::admission fuse::admit(clock::time_point now, std::uint32_t in_flight) {
  if (state_ == state::open) {
    if (probe_in_flight_ || now < open_until_) return admission::shed;
    probe_in_flight_ = true;
    return admission::probe;
  }
  return in_flight < limit_ ? admission::send : admission::shed;
}

void fuse::record(signal s, duration latency, clock::time_point now, bool probe,
                  std::uint32_t in_flight) {
  if (s != signal::failure) last_answer_ = now;
  if (state_ == state::open) {
    if (!probe || !probe_in_flight_) return;
    probe_in_flight_ = false;
    if (s == signal::good) {
      state_ = state::throttling;
      reason_ = "the probe was answered";
      consecutive_failures_ = 0;
      limit_ = params_.min_limit;
      slow_start_threshold_ = std::max(params_.min_limit, params_.max_limit / 2);
      window_successes_ = 0;
      calm_ = 0;
    } else {
      open(now, s == signal::overload ? "the probe got an overload answer" : "the probe failed");
    }
    return;
  }
  if (s == signal::failure || s == signal::overload) {
    if (++consecutive_failures_ >= params_.failure_threshold) {
      open(now, "consecutive failures reached the threshold");
      return;
    }
    decrease(now, s == signal::overload ? "an overload answer (5xx, 408, 429)"
                                        : "a failed uplink");
    return;
  }
  consecutive_failures_ = 0;
  if (latency > params_.latency_target) {
    decrease(now, "answers slower than the latency target");
    return;
  }
  reopenings_ = 0;
  if (state_ != state::throttling) return;
  increase();
  if (state_ != state::throttling) return;
  calm_ = in_flight != 0 && in_flight * 2 <= limit_ ? calm_ + 1 : 0;
  if (calm_ >= calm_answers) close("the limit no longer holds traffic back");
}

void fuse::unanswered(clock::time_point now) {
  if (state_ != state::open) decrease(now, "an uplink unanswered past the latency target");
}

void fuse::timed_out(clock::time_point sent, clock::time_point now) {
  if (state_ != state::open && last_answer_ < sent)
    open(now, "an uplink unanswered past the request timeout, nothing answered since it was sent");
}

void fuse::open(clock::time_point now, const char* why) {
  state_ = state::open;
  reason_ = why;
  probe_in_flight_ = false;
  auto backoff = params_.backoff_initial;
  for (std::uint32_t i = 0; i < reopenings_ && backoff < params_.backoff_max; ++i) backoff *= 2;
  backoff = std::min(backoff, params_.backoff_max);
  open_until_ = now + jittered(backoff);
  ++reopenings_;
  ++openings_;
  consecutive_failures_ = 0;
}

void fuse::decrease(clock::time_point now, const char* why) {
  if (state_ == state::throttling && now - last_decrease_ < params_.decrease_interval) return;
  last_decrease_ = now;
  if (state_ != state::throttling) reason_ = why;
  state_ = state::throttling;
  limit_ = std::max(params_.min_limit, limit_ / 2);
  slow_start_threshold_ = limit_;
  window_successes_ = 0;
  calm_ = 0;
}

void fuse::increase() {
  if (limit_ < slow_start_threshold_) {
    ++limit_;
  } else if (++window_successes_ >= limit_) {
    window_successes_ = 0;
    ++limit_;
  }
  if (limit_ >= params_.max_limit) close("the limit is back at its maximum");
}

void fuse::close(const char* why) {
  limit_ = params_.max_limit;
  state_ = state::closed;
  reason_ = why;
  calm_ = 0;
}

fuse::duration fuse::jittered(duration d) {
  // xorshift64*: cheap, per-fuse, seeded differently per connection.
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  auto r =
      static_cast<double>((rng_ * 2685821657736338717ULL) >> 11) / static_cast<double>(1ULL << 53);
  auto factor = 1.0 + params_.jitter * (2.0 * r - 1.0);
  return duration{static_cast<duration::rep>(static_cast<double>(d.count()) * factor)};
}

}  // namespace tr::actors
