#include "actors/connection_health.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "logging/log.hpp"

namespace tr::actors {

namespace {

constexpr double first_bound_us = 100.0;
constexpr double bucket_ratio = 1.25;

std::size_t bucket_of(std::chrono::microseconds latency, std::size_t buckets) {
  auto us = static_cast<double>(latency.count());
  if (us <= first_bound_us) return 0;
  auto i = static_cast<std::size_t>(std::ceil(std::log(us / first_bound_us) / std::log(bucket_ratio)));
  return std::min(i, buckets - 1);
}

double bound_ms(std::size_t bucket) {
  return first_bound_us * std::pow(bucket_ratio, static_cast<double>(bucket)) / 1000.0;
}

std::int64_t seconds_of(connection_health::clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

void add(api::outcome_counts& to, std::size_t outcome, std::uint64_t n) {
  switch (static_cast<uplink_outcome>(outcome)) {
    case uplink_outcome::delivered: to.delivered += n; break;
    case uplink_outcome::failed: to.failed += n; break;
    case uplink_outcome::timeout: to.timeout += n; break;
    case uplink_outcome::shed: to.shed += n; break;
    case uplink_outcome::paused: to.paused += n; break;
  }
}

/// At most `limit` bytes of `text`, not ending inside a UTF-8 character.
std::string_view cut(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit;
  // Back up over the continuation bytes of a character the cut would split, and its lead byte.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

/// At most `limit` bytes of `text`, control characters as spaces.
std::string one_line(std::string_view text, std::size_t limit) {
  std::string out{cut(text, limit)};
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return out;
}

}  // namespace

std::string_view name_of(failure_note::kind k) {
  switch (k) {
    case failure_note::kind::http: return "http";
    case failure_note::kind::timeout: return "timeout";
    case failure_note::kind::refused: return "refused";
    case failure_note::kind::tls: return "tls";
    case failure_note::kind::reset: return "reset";
    case failure_note::kind::error: return "error";
  }
  return "error";
}

void log_fuse_transition(std::string_view connection, std::string_view from, std::string_view to,
                         std::string_view reason) {
  // Opening the fuse sheds everything: a warning; the other transitions are information.
  logging::write(to == "open" ? logging::level::warning : logging::level::info, "fuse transition",
                 {{"connection", connection}, {"from", from}, {"to", to}, {"reason", reason}});
}

std::string iso8601(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[80];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

connection_health::history& connection_health::written() {
  if (!history_) history_ = std::make_unique<history>();
  return *history_;
}

void connection_health::count(uplink_outcome o, clock::time_point now) {
  auto second = seconds_of(now);
  auto minute = second / 60;
  auto index = static_cast<std::size_t>(o);
  std::lock_guard lock{mutex_};
  auto& s = written().seconds[static_cast<std::size_t>(second % 60)];
  if (s.second != second) s = {second, {}};
  ++s.counts[index];
  auto& m = written().minutes[static_cast<std::size_t>(minute % 16)];
  if (m.minute != minute) m = {minute, {}};
  ++m.counts[index];
  if (o == uplink_outcome::delivered) {
    last_delivery_ = std::chrono::system_clock::now();
    delivered_once_ = true;
  }
}

void connection_health::observe(std::chrono::microseconds latency, clock::time_point now) {
  auto period = seconds_of(now) / 10;
  auto bucket = bucket_of(latency, latency_buckets);
  std::lock_guard lock{mutex_};
  auto& slot = written().latencies[static_cast<std::size_t>(period % 6)];
  if (slot.period != period) {
    slot.period = period;
    slot.counts.fill(0);
  }
  ++slot.counts[bucket];
}

void connection_health::fail(const failure_note& why) {
  auto at = std::chrono::system_clock::now();
  std::lock_guard lock{mutex_};
  auto& f = written().failures[failures_written_++ % kept_failures];
  f.at = at;
  f.what = why.what;
  f.status = why.status;
  f.message = one_line(why.message, 200);
  f.body.assign(cut(why.body, kept_body_bytes));
}

void connection_health::read_percentiles(const latency_histogram& latencies,
                                         api::connection_status& out) {
  std::uint64_t answered = 0;
  for (auto n : latencies) answered += n;
  out.p50_ms.reset();
  out.p99_ms.reset();
  if (answered == 0) return;
  auto rank = [&](double q) {
    auto wanted = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(answered)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < latency_buckets; ++i) {
      seen += latencies[i];
      if (seen >= wanted) return std::round(bound_ms(i) * 100) / 100;
    }
    return std::round(bound_ms(latency_buckets - 1) * 100) / 100;
  };
  out.p50_ms = rank(0.5);
  out.p99_ms = rank(0.99);
}

void connection_health::summarize(clock::time_point now, api::connection_status& out,
                                  latency_histogram* latencies) const {
  auto second = seconds_of(now);
  auto minute = second / 60;
  auto period = second / 10;
  std::lock_guard lock{mutex_};
  static const history none{};
  const history& h = history_ ? *history_ : none;
  out.last_minute = {};
  out.last_15_minutes = {};
  for (auto& s : h.seconds)
    if (s.second > second - 60 && s.second <= second)
      for (std::size_t i = 0; i < s.counts.size(); ++i) add(out.last_minute, i, s.counts[i]);
  // The current minute (partial) and the 14 before it.
  for (auto& m : h.minutes)
    if (m.minute > minute - 15 && m.minute <= minute)
      for (std::size_t i = 0; i < m.counts.size(); ++i) add(out.last_15_minutes, i, m.counts[i]);

  latency_histogram merged{};
  for (auto& slot : h.latencies) {
    if (slot.period <= period - 6 || slot.period > period) continue;
    for (std::size_t i = 0; i < latency_buckets; ++i) merged[i] += slot.counts[i];
  }
  read_percentiles(merged, out);
  if (latencies) *latencies = merged;
  out.last_delivery_at = delivered_once_ ? iso8601(last_delivery_) : std::string{};
  out.failures.clear();
  auto kept = std::min(failures_written_, kept_failures);
  for (std::size_t i = failures_written_ - kept; i < failures_written_; ++i) {
    auto& f = h.failures[i % kept_failures];
    out.failures.push_back(
        {iso8601(f.at), std::string{name_of(f.what)}, f.status, f.message, f.body});
  }
}

}  // namespace tr::actors
