// GET /api/v1/instances: the replicas sharing the store (cluster mode), admins only.

#include "api/detail/handlers.hpp"
#include "api/detail/json_out.hpp"
#include "api/domains.hpp"

namespace tr::api::detail {

api_answer list_instances(const call& c) {
  if (!may_manage_users(c.caller)) return error_answer(403, "only an admin lists instances");
  auto* cluster = c.db.cluster();
  if (!cluster) return error_answer(404, "instances exist in cluster mode only (store.url)");
  auto live = cluster->live_instances();
  if (!live) return store_failure(live.error_value());
  json_out out;
  out.begin_object().key("instances").begin_array();
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
