#include "app/cluster_health.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>

#include "actors/detail/json_text.hpp"
#include "logging/log.hpp"

namespace tr::app {

namespace {

using actors::detail::append_json_string;

/// The states from best to worst (paused last: the operator's flag wins).
constexpr std::array<std::string_view, 4> state_order = {"closed", "throttling", "open", "paused"};

std::size_t rank_of(std::string_view state) {
  auto it = std::find(state_order.begin(), state_order.end(), state);
  return it == state_order.end() ? 0 : static_cast<std::size_t>(it - state_order.begin());
}

void append_counts(std::string& out, const api::outcome_counts& c) {
  out += '[' + std::to_string(c.delivered) + ',' + std::to_string(c.failed) + ',' +
         std::to_string(c.timeout) + ',' + std::to_string(c.shed) + ',' +
         std::to_string(c.paused) + ']';
}

bool read_counts(simdjson::dom::element value, api::outcome_counts& c) {
  simdjson::dom::array list;
  if (value.get_array().get(list) || list.size() != 5) return false;
  std::array<std::uint64_t, 5> n{};
  std::size_t i = 0;
  for (auto item : list)
    if (item.get_uint64().get(n[i++])) return false;
  c = {n[0], n[1], n[2], n[3], n[4]};
  return true;
}

void add(api::outcome_counts& to, const api::outcome_counts& more) {
  to.delivered += more.delivered;
  to.failed += more.failed;
  to.timeout += more.timeout;
  to.shed += more.shed;
  to.paused += more.paused;
}

bool read_string(simdjson::dom::object object, std::string_view key, std::string& out) {
  std::string_view text;
  if (object[key].get_string().get(text)) return false;
  out.assign(text);
  return true;
}

}  // namespace

std::string encode_health(const health_figures& figures) {
  const auto& s = figures.status;
  std::string out = "{\"state\":";
  append_json_string(out, s.state);
  out += ",\"reason\":";
  append_json_string(out, s.reason);
  out += ",\"limit\":" + std::to_string(s.limit) + ",\"inFlight\":" + std::to_string(s.in_flight);
  out += ",\"lastMinute\":";
  append_counts(out, s.last_minute);
  out += ",\"last15Minutes\":";
  append_counts(out, s.last_15_minutes);
  out += ",\"latency\":[";  // [bucket, count] of the non-empty buckets
  bool first = true;
  for (std::size_t i = 0; i < figures.latencies.size(); ++i) {
    if (figures.latencies[i] == 0) continue;
    out += (first ? "[" : ",[") + std::to_string(i) + ',' + std::to_string(figures.latencies[i]) +
           ']';
    first = false;
  }
  out += "],\"lastDeliveryAt\":";
  append_json_string(out, s.last_delivery_at);
  out += ",\"failures\":[";
  for (std::size_t i = 0; i < s.failures.size(); ++i) {
    const auto& f = s.failures[i];
    out += i == 0 ? "{\"at\":" : ",{\"at\":";
    append_json_string(out, f.at);
    out += ",\"kind\":";
    append_json_string(out, f.kind);
    out += ",\"status\":" + std::to_string(f.status) + ",\"message\":";
    append_json_string(out, f.message);
    out += ",\"body\":";
    append_json_string(out, f.body);
    out += '}';
  }
  out += ']';
  if (!s.problem.empty()) {
    out += ",\"problem\":";
    append_json_string(out, s.problem);
  }
  out += '}';
  return out;
}

std::optional<health_figures> decode_health(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded{text};
  simdjson::dom::object root;
  if (parser.parse(padded).get_object().get(root)) return std::nullopt;
  health_figures out;
  auto& s = out.status;
  std::uint64_t limit = 0;
  std::int64_t in_flight = 0;
  simdjson::dom::element minute, quarter;
  if (!read_string(root, "state", s.state) || root["limit"].get_uint64().get(limit) ||
      root["inFlight"].get_int64().get(in_flight) || root["lastMinute"].get(minute) ||
      !read_counts(minute, s.last_minute) || root["last15Minutes"].get(quarter) ||
      !read_counts(quarter, s.last_15_minutes) ||
      !read_string(root, "lastDeliveryAt", s.last_delivery_at))
    return std::nullopt;
  s.limit = static_cast<std::uint32_t>(std::min<std::uint64_t>(limit, UINT32_MAX));
  (void)read_string(root, "reason", s.reason);    // absent in rows of older versions
  (void)read_string(root, "problem", s.problem);  // absent while the replica runs it
  s.in_flight = std::max<std::int64_t>(0, in_flight);
  simdjson::dom::array latency;
  if (root["latency"].get_array().get(latency)) return std::nullopt;
  for (auto pair : latency) {
    simdjson::dom::array bucket;
    std::uint64_t index = 0, count = 0;
    if (pair.get_array().get(bucket) || bucket.size() != 2 || bucket.at(0).get_uint64().get(index) ||
        bucket.at(1).get_uint64().get(count) || index >= out.latencies.size())
      return std::nullopt;
    out.latencies[index] += count;
  }
  simdjson::dom::array failures;
  if (root["failures"].get_array().get(failures)) return std::nullopt;
  for (auto item : failures) {
    simdjson::dom::object f;
    api::failure_entry entry;
    std::int64_t status = 0;
    if (item.get_object().get(f) || !read_string(f, "at", entry.at) ||
        !read_string(f, "kind", entry.kind) || f["status"].get_int64().get(status) ||
        !read_string(f, "message", entry.message) || !read_string(f, "body", entry.body))
      return std::nullopt;
    entry.status = static_cast<int>(std::clamp<std::int64_t>(status, 0, 999));
    s.failures.push_back(std::move(entry));
  }
  actors::connection_health::read_percentiles(out.latencies, s);
  return out;
}

void merge_health(health_figures& into, const health_figures& other,
                  const std::string& other_replica) {
  auto& s = into.status;
  const auto& o = other.status;
  if (rank_of(o.state) > rank_of(s.state)) {
    s.state = o.state;
    s.reason = o.reason;
  }
  s.limit += o.limit;
  s.in_flight += o.in_flight;
  add(s.last_minute, o.last_minute);
  add(s.last_15_minutes, o.last_15_minutes);
  for (std::size_t i = 0; i < into.latencies.size(); ++i) into.latencies[i] += other.latencies[i];
  actors::connection_health::read_percentiles(into.latencies, s);
  s.last_delivery_at = std::max(s.last_delivery_at, o.last_delivery_at);  // ISO 8601 in UTC
  // The newest failures of both, oldest first (stable: a replica's own order is kept on ties).
  s.failures.insert(s.failures.end(), o.failures.begin(), o.failures.end());
  std::stable_sort(s.failures.begin(), s.failures.end(),
                   [](const auto& a, const auto& b) { return a.at < b.at; });
  if (s.failures.size() > actors::connection_health::kept_failures)
    s.failures.erase(s.failures.begin(),
                     s.failures.end() -
                         static_cast<std::ptrdiff_t>(actors::connection_health::kept_failures));
  s.replicas.push_back(other_replica);
  // A replica that cannot run the connection (its configuration differs) sheds its uplinks: the
  // cluster's status says so, naming the replica.
  if (!o.problem.empty()) {
    if (!s.problem.empty()) s.problem += "; ";
    s.problem += o.problem + " (replica " + other_replica + ")";
  }
}

health_publisher::health_publisher(store::cluster_store& store, collector collect,
                                   std::chrono::milliseconds period)
    : store_(store), collect_(std::move(collect)), period_(period) {
  if (period_.count() > 0) thread_ = std::thread{[this] { run(); }};
}

health_publisher::~health_publisher() {
  {
    std::lock_guard lock{stop_mutex_};
    stopping_ = true;
  }
  stop_signal_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::size_t health_publisher::publish_once() {
  std::lock_guard round{round_mutex_};
  auto figures = collect_();
  std::vector<std::pair<std::string, std::string>> changed;
  std::map<std::string, std::string> next;
  for (auto& [id, one] : figures) {
    auto text = encode_health(one);
    auto it = published_.find(id);
    if (it == published_.end() || it->second != text) changed.emplace_back(id, text);
    next.emplace(id, std::move(text));
  }
  if (!changed.empty()) {
    auto written = store_.publish_health(changed);
    if (!written) {
      // Keep what was last written: the same rows are tried again at the next round.
      logging::debug("health summaries not published",
                     {{"reason", written.error_value().message}});
      return 0;
    }
  }
  published_ = std::move(next);  // connections gone are forgotten
  return changed.size();
}

void health_publisher::run() {
  std::unique_lock lock{stop_mutex_};
  while (!stop_signal_.wait_for(lock, period_, [this] { return stopping_; })) {
    lock.unlock();
    publish_once();
    lock.lock();
  }
}

}  // namespace tr::app
