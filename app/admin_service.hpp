#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/metrics.hpp"
#include "api/admin_api.hpp"
#include "app/admin_guard.hpp"
#include "store/database.hpp"
#include "transport/http_listener.hpp"
#include "transport/runtime/runtime.hpp"

namespace tr::app {

struct admin_job;

/// The admin listener's service: `/healthz`, `/readyz` and `/metrics` answered on the shard
/// (a `/metrics` token the guard does not know yet is checked by the worker), and the admin API
/// (`/api/...`), whose blocking SQLite work runs on the admin worker (a detached CAF actor, one
/// request at a time) and whose answer is posted back to the connection's shard. The guard
/// throttles addresses that keep failing bearer tokens (429) and caps unauthenticated bodies.
/// A request whose handling throws is answered 500 and counted; the worker goes on.
class admin_service {
 public:
  struct options {
    bool metrics_token_required = false;  ///< admin.metrics_token_required
    std::string token;                    ///< admin.token, known to the guard from the start
    api::admin_api::options api;
  };

  /// Serves `db` (which outlives this object); `runtime` is read for the shard metrics.
  admin_service(store::database& db, actors::metrics_registry& metrics, transport::runtime& runtime,
                options opts);
  ~admin_service();
  admin_service(const admin_service&) = delete;
  admin_service& operator=(const admin_service&) = delete;

  /// The listener's limits: a request without a known token may carry a small body only.
  transport::server_options limits();

  /// The counters of the admin listener (its handler failures include the worker's).
  const std::shared_ptr<transport::listener_counters>& counters() const { return counters_; }

  /// Adds a listener's counters to /metrics as `{listener="name"}`, in the order added.
  void show_listener(std::string name, std::shared_ptr<const transport::listener_counters> c);

  /// Spawns the admin worker in `system`; before the listener takes requests.
  void start_worker(caf::actor_system& system);
  /// Asks the worker to exit (the caller then waits for the actor system's actors).
  void stop_worker();

  /// What /readyz answers: 200 while ready, 503 before and once stopping.
  void set_ready(bool ready) { ready_.store(ready, std::memory_order_relaxed); }

  /// Serves one request (the listener's http_service).
  void serve(const transport::request_origin& origin, transport::http_server_connection& connection,
             const transport::request& request);

  /// The Prometheus text of /metrics.
  std::string render_metrics() const;

 private:
  void work(const admin_job& job);

  store::database& db_;
  actors::metrics_registry& metrics_;
  transport::runtime& runtime_;
  options options_;
  admin_guard guard_;
  logging::rate_limit failure_lines_{std::chrono::seconds{10}};  ///< worker thread only
  api::admin_api api_;
  std::shared_ptr<transport::listener_counters> counters_;
  std::vector<std::pair<std::string, std::shared_ptr<const transport::listener_counters>>>
      listeners_;
  caf::actor worker_;
  std::atomic<bool> ready_{false};
};

}  // namespace tr::app
