#include "actors/metrics.hpp"

#include <cstdio>

namespace tr::actors {

namespace {

constexpr std::array<std::string_view, uplink_outcome_count> uplink_names = {
    "delivered", "failed", "timeout", "shed", "paused"};
constexpr std::array<std::string_view, 4> fuse_state_names = {"closed", "throttling", "open",
                                                              "paused"};
constexpr std::array<std::string_view, downlink_outcome_count> downlink_names = {
    "accepted",   "malformed",       "unknown_as_id",     "bad_token",
    "stale_time", "replay",          "not_routed",        "rate_limited",
    "ns_failed",  "ns_unconfigured", "store_unavailable", "replay_cache_full"};
constexpr std::array<std::string_view, report_outcome_count> report_names = {
    "routed", "unrouted", "malformed", "too_large"};

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  out.append(buf, static_cast<std::size_t>(n));
}

void append_double(std::string& out, double v) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%g", v);
  out.append(buf, static_cast<std::size_t>(n));
}

/// Label values are connection ids and fixed names; escape anyway, as the format requires.
void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

void render_shard_metrics(std::string& out, std::span<const transport::shard_load> shards) {
  // One counter per shard: `value(shard_load)` appended as `append` writes it.
  auto per_shard = [&](std::string_view name, std::string_view help, auto value, auto append) {
    header(out, name, "counter", help);
    for (std::size_t i = 0; i < shards.size(); ++i) {
      out.append(name).append("{shard=\"");
      append_number(out, i);
      out.append("\"} ");
      append(out, value(shards[i]));
      out += '\n';
    }
  };
  auto number = [](std::string& to, std::uint64_t v) { append_number(to, v); };
  per_shard(
      "tunnel_router_shard_busy_seconds_total",
      "Time each I/O shard spent working rather than waiting.",
      [](const transport::shard_load& s) { return static_cast<double>(s.busy_ns_total) / 1e9; },
      [](std::string& to, double v) { append_double(to, v); });
  per_shard(
      "tunnel_router_shard_exceptions_total",
      "Exceptions that escaped a handler on each I/O shard (each failed only its own "
      "connection or closure).",
      [](const transport::shard_load& s) { return s.exceptions_total; }, number);
  per_shard(
      "tunnel_router_shard_connections_handed_off_total",
      "Connections each I/O shard asked to end gracefully because it was busy while "
      "another shard was light; their clients reconnect onto the light shard.",
      [](const transport::shard_load& s) { return s.handed_off_total; }, number);
  header(out, "tunnel_router_shard_turn_seconds", "histogram",
         "Duration of the loop turns of each I/O shard, once per socket event, timer or post a "
         "turn handled: an input waits in the router at most the turn running when it arrived "
         "plus the turn that handles it.");
  for (std::size_t i = 0; i < shards.size(); ++i) {
    std::string labels = "shard=\"" + std::to_string(i) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < shards[i].turn_counts.size(); ++b) {
      cumulative += shards[i].turn_counts[b];
      out.append("tunnel_router_shard_turn_seconds_bucket{").append(labels).append(",le=\"");
      if (b < transport::turn_bucket_us.size())
        append_double(out, static_cast<double>(transport::turn_bucket_us[b]) / 1e6);
      else
        out.append("+Inf");
      out.append("\"} ");
      append_number(out, cumulative);
      out += '\n';
    }
    out.append("tunnel_router_shard_turn_seconds_sum{").append(labels).append("} ");
    append_double(out, static_cast<double>(shards[i].turn_weighted_ns_total) / 1e9);
    out.append("\ntunnel_router_shard_turn_seconds_count{").append(labels).append("} ");
    append_number(out, cumulative);
    out += '\n';
  }
}

std::string_view name_of(uplink_outcome o) {
  return uplink_names[static_cast<std::size_t>(o)];
}
std::string_view name_of(downlink_outcome o) {
  return downlink_names[static_cast<std::size_t>(o)];
}
std::string_view name_of(report_outcome o) {
  return report_names[static_cast<std::size_t>(o)];
}

void latency_histogram::observe(std::chrono::microseconds latency) {
  double seconds = static_cast<double>(latency.count()) / 1e6;
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void latency_histogram::render(std::string& out, std::string_view name,
                               std::string_view labels) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out.append(name).append("_bucket{").append(labels).append(",le=\"");
    if (i < bounds.size())
      append_double(out, bounds[i]);
    else
      out.append("+Inf");
    out.append("\"} ");
    append_number(out, cumulative);
    out += '\n';
  }
  out.append(name).append("_sum{").append(labels).append("} ");
  append_double(out, static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6);
  out += '\n';
  out.append(name).append("_count{").append(labels).append("} ");
  append_number(out, count_.load(std::memory_order_relaxed));
  out += '\n';
}

std::shared_ptr<connection_metrics> metrics_registry::connection(const std::string& id) {
  std::lock_guard lock{mutex_};
  auto& slot = connections_[id];
  if (!slot) slot = std::make_shared<connection_metrics>();
  return slot;
}

std::uint64_t metrics_registry::uplinks_total(uplink_outcome o) const {
  std::lock_guard lock{mutex_};
  std::uint64_t total = 0;
  for (auto& [id, figures] : connections_) total += figures->total(o);
  return total;
}

std::shared_ptr<connection_metrics> metrics_registry::find(std::string_view id) const {
  std::lock_guard lock{mutex_};
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second;
}

std::vector<std::string> metrics_registry::connection_ids() const {
  std::lock_guard lock{mutex_};
  std::vector<std::string> out;
  out.reserve(connections_.size());
  for (const auto& [id, figures] : connections_) out.push_back(id);
  return out;
}

void metrics_registry::remove(const std::string& id) {
  std::lock_guard lock{mutex_};
  connections_.erase(id);
}

std::string metrics_registry::render() const {
  std::string out;
  out.reserve(4096);
  std::lock_guard lock{mutex_};
  auto each_connection = [&](auto&& fn) {
    for (auto& [id, m] : connections_) {
      std::string labels = "connection=\"";
      append_label_value(labels, id);
      labels += '"';
      fn(labels, *m);
    }
  };

  header(out, "tunnel_router_uplinks_total", "counter", "Uplinks per connection by outcome.");
  each_connection([&](const std::string& labels, const connection_metrics& m) {
    for (std::size_t i = 0; i < uplink_outcome_count; ++i) {
      out.append("tunnel_router_uplinks_total{").append(labels).append(",outcome=\"");
      out.append(uplink_names[i]).append("\"} ");
      append_number(out, m.uplinks[i].load(std::memory_order_relaxed));
      out += '\n';
    }
  });
  header(out, "tunnel_router_fuse_state", "gauge", "Fuse state: 0 closed, 1 throttling, 2 open.");
  each_connection([&](const std::string& labels, const connection_metrics& m) {
    out.append("tunnel_router_fuse_state{").append(labels).append("} ");
    append_number(out, m.fuse_state.load(std::memory_order_relaxed));
    out += '\n';
  });
  header(out, "tunnel_router_fuse_transitions_total", "counter",
         "Fuse state changes per connection by the state entered (paused: by the operator).");
  each_connection([&](const std::string& labels, const connection_metrics& m) {
    for (std::size_t i = 0; i < fuse_state_names.size(); ++i) {
      out.append("tunnel_router_fuse_transitions_total{").append(labels).append(",to=\"");
      out.append(fuse_state_names[i]).append("\"} ");
      append_number(out, m.transitions[i].load(std::memory_order_relaxed));
      out += '\n';
    }
  });
  header(out, "tunnel_router_lost_uplinks_untracked_total", "counter",
         "Undelivered uplinks of devices the connection's loss table had no room for.");
  each_connection([&](const std::string& labels, const connection_metrics& m) {
    out.append("tunnel_router_lost_uplinks_untracked_total{").append(labels).append("} ");
    append_number(out, m.losses_untracked.load(std::memory_order_relaxed));
    out += '\n';
  });
  header(out, "tunnel_router_uplinks_resent_total", "counter",
         "Uplinks sent once more after the AS said it had not processed them (a GOAWAY's "
         "unprocessed streams, REFUSED_STREAM).");
  each_connection([&](const std::string& labels, const connection_metrics& m) {
    out.append("tunnel_router_uplinks_resent_total{").append(labels).append("} ");
    append_number(out, m.resent.load(std::memory_order_relaxed));
    out += '\n';
  });
  header(out, "tunnel_router_uplinks_in_flight", "gauge", "Uplinks sent and not yet answered.");
  each_connection([&](const std::string& labels, const connection_metrics& m) {
    out.append("tunnel_router_uplinks_in_flight{").append(labels).append("} ");
    append_number(
        out, static_cast<std::uint64_t>(std::max(0, m.in_flight.load(std::memory_order_relaxed))));
    out += '\n';
  });
  header(out, "tunnel_router_connection_shard", "gauge", "I/O shard that runs the connection.");
  each_connection([&](const std::string& labels, const connection_metrics& m) {
    out.append("tunnel_router_connection_shard{").append(labels).append("} ");
    auto shard = m.shard.load(std::memory_order_relaxed);
    if (shard < 0)
      out += "-1";
    else
      append_number(out, static_cast<std::uint64_t>(shard));
    out += '\n';
  });
  header(out, "tunnel_router_connection_restarts_total", "counter",
         "Connection actors replaced after a crash.");
  each_connection([&](const std::string& labels, const connection_metrics& m) {
    out.append("tunnel_router_connection_restarts_total{").append(labels).append("} ");
    append_number(out, m.restarts.load(std::memory_order_relaxed));
    out += '\n';
  });
  header(out, "tunnel_router_fuse_restarts_total", "counter",
         "Fuse actors restarted after a failure.");
  each_connection([&](const std::string& labels, const connection_metrics& m) {
    out.append("tunnel_router_fuse_restarts_total{").append(labels).append("} ");
    append_number(out, m.fuse_restarts.load(std::memory_order_relaxed));
    out += '\n';
  });
  header(out, "tunnel_router_uplink_latency_seconds", "histogram",
         "Time from sending an uplink to the AS's answer.");
  each_connection([&](const std::string& labels, const connection_metrics& m) {
    m.latency.render(out, "tunnel_router_uplink_latency_seconds", labels);
  });
  header(out, "tunnel_router_downlinks_total", "counter", "Downlinks by verdict.");
  for (std::size_t i = 0; i < downlink_outcome_count; ++i) {
    out.append("tunnel_router_downlinks_total{outcome=\"").append(downlink_names[i]).append("\"} ");
    append_number(out, downlinks_[i].load(std::memory_order_relaxed));
    out += '\n';
  }
  header(out, "tunnel_router_reports_total", "counter", "Reports received from the NS by outcome.");
  for (std::size_t i = 0; i < report_outcome_count; ++i) {
    out.append("tunnel_router_reports_total{outcome=\"").append(report_names[i]).append("\"} ");
    append_number(out, reports_[i].load(std::memory_order_relaxed));
    out += '\n';
  }
  return out;
}

}  // namespace tr::actors
