// GET /api/v1/instances: the replicas sharing the store (cluster mode), admins only. A single
// node (SQLite) answers with itself alone, `"cluster": false`, so the console shows what runs.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "api/detail/handlers.hpp"
#include "api/detail/json_out.hpp"
#include "api/domains.hpp"
#include "tr/version.hpp"

namespace tr::api::detail {

namespace {

/// When this process started: set while the program loads, before serve runs.
const auto process_started = std::chrono::system_clock::now();

std::string iso_utc(std::chrono::system_clock::time_point at) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return text;
}

std::string host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

}  // namespace

api_answer list_instances(const call& c) {
  if (!may_manage_users(c.caller)) return error_answer(403, "only an admin lists instances");
  json_out out;
  auto* cluster = c.db.cluster();
  if (!cluster) {
    // No shared store: no id, generation or heartbeat, only what this process is.
    out.begin_object().key("cluster").boolean(false).key("instances").begin_array();
    out.begin_object();
    out.key("host").string(host_name());
    out.key("version").string(tr::version_string);
    out.key("startedAt").string(iso_utc(process_started));
    out.end_object();
    out.end_array().end_object();
    return json_answer(200, out.take());
  }
  auto live = cluster->live_instances();
  if (!live) return store_failure(live.error_value());
  out.begin_object().key("cluster").boolean(true).key("instances").begin_array();
  for (const auto& one : *live) {
    out.begin_object();
    out.key("id").string(one.id);
    out.key("host").string(one.host);
    out.key("version").string(one.version);
    out.key("startedAt").string(one.started_at);
    out.key("generation").number(one.generation);
    out.key("heartbeatAt").string(one.heartbeat_at);
    out.end_object();
  }
  out.end_array().end_object();
  return json_answer(200, out.take());
}

}  // namespace tr::api::detail
