#include "app/admin_service.hpp"

#include <caf/all.hpp>

#include "logging/log.hpp"

namespace tr::app {

/// One admin API request, handed to the admin worker (blocking SQLite work off the shards).
struct admin_job {
  transport::request_origin origin;
  std::string method, path, query, authorization, body;
};

}  // namespace tr::app

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tr::app::admin_job)

namespace tr::app {

namespace {

std::string_view header_value(const transport::request& request, std::string_view name) {
  for (auto& h : request.headers)
    if (h.name == name) return h.value;
  return {};
}

/// Writes an admin API answer back on the connection that asked (any thread).
void respond(const transport::request_origin& origin, api::api_answer answer) {
  std::vector<transport::owned_header> headers = std::move(answer.headers);
  if (!answer.content_type.empty()) headers.emplace_back("content-type", answer.content_type);
  transport::respond_later(origin, answer.status, std::move(headers), std::move(answer.body));
}

/// The token hashes of every user, for the admin guard.
std::vector<std::string> token_hashes(store::database& db) {
  std::vector<std::string> out;
  if (auto users = db.list_users())
    for (auto& u : *users) out.push_back(std::move(u.token_hash));
  return out;
}

}  // namespace

admin_service::admin_service(store::database& db, actors::metrics_registry& metrics,
                             transport::runtime& runtime, options opts)
    : db_(db),
      metrics_(metrics),
      runtime_(runtime),
      options_(std::move(opts)),
      guard_(admin_guard::options{}),
      api_(db, options_.api),
      counters_(std::make_shared<transport::listener_counters>()) {
  guard_.reload(token_hashes(db_));
  if (!options_.token.empty()) guard_.remember("Bearer " + options_.token);
}

admin_service::~admin_service() = default;

transport::server_options admin_service::limits() {
  transport::server_options limits;
  limits.max_body_size =
      std::max<std::size_t>(options_.api.max_body_bytes, options_.api.max_import_bytes);
  // Authenticate from the headers before reading a body: without a known token a request may
  // carry only a small body (it gets its 401 from the API all the same).
  limits.body_limit = [this](const transport::request& head) -> std::size_t {
    std::string_view authorization;
    for (const auto& field : head.headers)
      if (field.name == "authorization") authorization = field.value;
    if (!guard_.knows(authorization)) return guard_.settings().unauthenticated_body;
    return api_.body_limit(head.path);
  };
  return limits;
}

void admin_service::show_listener(std::string name,
                                  std::shared_ptr<const transport::listener_counters> c) {
  listeners_.emplace_back(std::move(name), std::move(c));
}

std::string admin_service::render_metrics() const {
  std::string text = metrics_.render();
  std::vector<transport::shard_load> shards;
  for (std::size_t i = 0; i < runtime_.size(); ++i) shards.push_back(runtime_.at(i).load());
  actors::render_shard_metrics(text, shards);
  auto listener = [&](const std::string& name, const transport::listener_counters& c) {
    auto line = [&](const char* metric, std::uint64_t value) {
      text += std::string{"tunnel_router_"} + metric + "{listener=\"" + name + "\"} " +
              std::to_string(value) + "\n";
    };
    line("listener_connections", c.open.load(std::memory_order_relaxed));
    line("listener_refused_total", c.refused.load(std::memory_order_relaxed));
    line("listener_timed_out_total", c.timed_out.load(std::memory_order_relaxed));
    line("listener_handler_failures_total", c.handler_failures.load(std::memory_order_relaxed));
  };
  text +=
      "# HELP tunnel_router_listener_connections Connections open on each listener.\n"
      "# TYPE tunnel_router_listener_connections gauge\n"
      "# HELP tunnel_router_listener_refused_total Connections and requests a listener refused "
      "(caps, limits, malformed input).\n"
      "# TYPE tunnel_router_listener_refused_total counter\n"
      "# HELP tunnel_router_listener_timed_out_total Connections a listener closed for "
      "idleness or slowness.\n"
      "# TYPE tunnel_router_listener_timed_out_total counter\n"
      "# HELP tunnel_router_listener_handler_failures_total Requests whose handler failed "
      "(answered 500).\n"
      "# TYPE tunnel_router_listener_handler_failures_total counter\n";
  for (const auto& [name, counters] : listeners_)
    if (counters) listener(name, *counters);
  text +=
      "# HELP tunnel_router_admin_auth_failures_total Admin calls with an unknown bearer token.\n"
      "# TYPE tunnel_router_admin_auth_failures_total counter\n";
  text += "tunnel_router_admin_auth_failures_total " + std::to_string(guard_.failures()) + "\n";
  if (auto* shared = db_.cluster()) {
    text +=
        "# HELP tunnel_router_store_up 1 while the shared store answers.\n"
        "# TYPE tunnel_router_store_up gauge\ntunnel_router_store_up ";
    text += shared->store_up() ? "1\n" : "0\n";
    text +=
        "# HELP tunnel_router_cluster_instances Live replicas sharing the store.\n"
        "# TYPE tunnel_router_cluster_instances gauge\ntunnel_router_cluster_instances " +
        std::to_string(shared->live_count()) + "\n";
  }
  return text;
}

void admin_service::start_worker(caf::actor_system& system) {
  worker_ = system.spawn<caf::detached>([this](caf::event_based_actor*) {
    return caf::behavior{[this](const admin_job& job) {
      // A defect in one admin request fails that request (500, counted), not the worker.
      try {
        work(job);
      } catch (const std::exception& e) {
        counters_->handler_failures.fetch_add(1, std::memory_order_relaxed);
        logging::error("admin request failed", {{"path", job.path}, {"reason", e.what()}});
        transport::respond_later(job.origin, 500, {{"content-type", "application/json"}},
                                 R"({"error":"internal error"})");
      }
    }};
  });
}

void admin_service::stop_worker() {
  if (!worker_) return;
  caf::anon_send_exit(worker_, caf::exit_reason::user_shutdown);
  worker_ = nullptr;
}

/// The admin worker's part: runs the blocking admin API (SQLite) on its own thread, one request
/// at a time, and posts each answer back to the shard of the connection that asked.
void admin_service::work(const admin_job& job) {
  auto reply = [&](int status, std::vector<transport::owned_header> headers, std::string body) {
    transport::respond_later(job.origin, status, std::move(headers), std::move(body));
  };
  if (job.path == "/metrics") {  // metrics_token_required and a token the guard did not know
    if (!api_.authenticates(job.authorization)) {
      guard_.failed(job.origin.peer, admin_guard::clock::now());
      return reply(401,
                   {{"content-type", "application/json"},
                    {"WWW-Authenticate", R"(Bearer realm="tunnel-router")"}},
                   R"({"error":"/metrics needs a bearer token"})");
    }
    guard_.remember(job.authorization);
    return reply(200, {{"content-type", "text/plain; version=0.0.4"}}, render_metrics());
  }
  api::api_request request{job.method, job.path, job.query, job.authorization, job.body};
  auto answer = api_.handle(request);
  if (answer.status == 401 && !job.authorization.empty()) {
    guard_.failed(job.origin.peer, admin_guard::clock::now());
  } else if (answer.status < 400 && !job.authorization.empty()) {
    if (job.path.starts_with("/api/v1/users") && job.method != "GET")
      guard_.reload(token_hashes(db_));
    else if (!guard_.knows(job.authorization) && job.path.starts_with("/api/"))
      guard_.remember(job.authorization);
  }
  if (answer.status >= 500) {
    // A store that fails (a full disk, a lost database) shows in the log, not only to the caller.
    if (failure_lines_.allow(std::chrono::steady_clock::now()))
      logging::warning("admin request failed",
                       {{"method", job.method},
                        {"path", job.path},
                        {"status", std::to_string(answer.status)},
                        {"answer", answer.body.substr(0, 200)},
                        {"held_back", std::to_string(failure_lines_.suppressed())}});
  }
  if (answer.later) {
    // Answered from another thread when ready (a test uplink): this worker takes the next job.
    auto later = std::move(answer.later);
    return later(
        [origin = job.origin](api::api_answer ready) { respond(origin, std::move(ready)); });
  }
  respond(job.origin, std::move(answer));
}

void admin_service::serve(const transport::request_origin& origin,
                          transport::http_server_connection& connection,
                          const transport::request& request) {
  bool own_path =
      request.path == "/healthz" || request.path == "/readyz" || request.path == "/metrics";
  bool guarded = request.path == "/metrics" ? options_.metrics_token_required
                                            : request.path.starts_with("/api/");
  if (guarded && guard_.throttled(origin.peer, admin_guard::clock::now())) {
    std::vector<transport::owned_header> headers = {{"content-type", "application/json"},
                                                    {"retry-after", "60"}};
    return transport::respond_later(origin, 429, std::move(headers),
                                    R"({"error":"too many failed bearer tokens from here"})");
  }
  if (own_path) {
    // HEAD is answered as GET; the protocol layer sends the head alone.
    if (request.method != "GET" && request.method != "HEAD")
      return transport::respond_method_not_allowed(connection, origin.stream, "GET, HEAD",
                                                   "application/json", R"({"error":"use GET"})");
    if (request.path == "/healthz")
      return transport::respond_now(connection, origin.stream, 200, "text/plain", "ok\n");
    if (request.path == "/readyz") {
      bool up = ready_.load(std::memory_order_relaxed);
      return transport::respond_now(connection, origin.stream, up ? 200 : 503, "text/plain",
                                    up ? "ready\n" : "not ready\n");
    }
    auto authorization = header_value(request, "authorization");
    if (!options_.metrics_token_required || guard_.knows(authorization))
      return transport::respond_now(connection, origin.stream, 200, "text/plain; version=0.0.4",
                                    render_metrics());
    // Not a token known here: the worker asks the store.
  }
  admin_job job{origin,
                std::string{request.method},
                std::string{request.path},
                std::string{request.query},
                std::string{header_value(request, "authorization")},
                std::string{transport::as_text(request.body)}};
  caf::anon_send(worker_, std::move(job));
}

}  // namespace tr::app
