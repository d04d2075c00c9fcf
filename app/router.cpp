#include "app/router.hpp"

#include <caf/all.hpp>
#include <sys/resource.h>

#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include "actors/data_plane.hpp"
#include "actors/detail/json_text.hpp"
#include "actors/downlink_verifier.hpp"
#include "actors/metrics.hpp"
#include "actors/ns_forwarder.hpp"
#include "actors/supervisor.hpp"
#include "actors/destination_policy.hpp"
#include "api/admin_api.hpp"
#include "app/live_view.hpp"
#include "logging/log.hpp"
#include "app/admin_guard.hpp"
#include "store/database.hpp"
#include "transport/http_listener.hpp"
#include "transport/runtime/runtime.hpp"
#include "tr/version.hpp"

namespace tr::app {

namespace {

/// One admin API request, handed to the admin worker (blocking SQLite work off the shards).
struct admin_job {
  transport::request_origin origin;
  std::string method, path, query, authorization, body;
};

}  // namespace
}  // namespace tr::app

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tr::app::admin_job)

namespace tr::app {

namespace {

constexpr std::string_view downlink_path = "/thingpark/lrc/rest/downlink";
constexpr std::string_view queued_by_lrc = "<html><body>Request queued by LRC</body></html>";

/// The lines of a batch read in one loop turn (about 64 KiB: some hundreds of lines); a larger
/// batch goes on in the next turns, with the shard's other connections served in between.
constexpr std::size_t batch_slice_bytes = 64 << 10;

/// A batch read over several loop turns, with the request's body buffer it reads from.
struct kept_batch {
  transport::detail::byte_buffer body;
  actors::ingress::batch_progress progress;
};

/// Works through the next slice of a kept batch in the next loop turn, then answers it.
void continue_batch_later(actors::data_plane& plane, const transport::request_origin& origin,
                          std::unique_ptr<kept_batch> batch) {
  origin.home->post_next_turn([&plane, origin, batch = std::move(batch)](
                                  transport::shard&) mutable {
    actors::ingress_answer answer;
    if (!plane.local().reports->continue_batch(batch->progress, batch_slice_bytes, answer))
      return continue_batch_later(plane, origin, std::move(batch));
    transport::respond_later(origin, answer.status, {{"content-type", "application/json"}},
                             std::move(answer.body));
  });
}

std::string_view header_value(const transport::request& request, std::string_view name) {
  for (auto& h : request.headers)
    if (h.name == name) return h.value;
  return {};
}

/// The JSON posted to the NS for an accepted downlink (README "Behaviour worth knowing", downlinks).
std::string downlink_json(const actors::downlink_verdict& v) {
  using actors::detail::append_json_string;
  const auto& f = v.fields;
  std::string out = "{\"connection\":";
  append_json_string(out, v.connection->id);
  out += ",\"asId\":";
  append_json_string(out, f.as_id);
  out += ",\"DevEUI\":";
  append_json_string(out, f.dev_eui);
  out += ",\"FPort\":" + f.fport + ",\"Payload\":";
  append_json_string(out, f.payload);
  if (!f.fcnt_dn.empty()) out += ",\"FCntDn\":" + f.fcnt_dn;
  if (!f.confirmed.empty())
    out += std::string{",\"Confirmed\":"} + (f.confirmed == "1" ? "true" : "false");
  if (!f.flush_queue.empty())
    out += std::string{",\"FlushDownlinkQueue\":"} + (f.flush_queue == "1" ? "true" : "false");
  if (!f.validity_time.empty()) {
    out += ",\"ValidityTime\":";
    append_json_string(out, f.validity_time);
  }
  if (!f.correlation_id.empty()) {
    out += ",\"CorrelationID\":";
    append_json_string(out, f.correlation_id);
  }
  out += ",\"Time\":";
  append_json_string(out, f.time);
  out += "}";
  return out;
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

/// Raises the descriptor limit to its hard limit; the result.
std::uint64_t raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur == RLIM_INFINITY ? 1u << 20 : limit.rlim_cur;
}

transport::tls_context client_tls(const config& cfg) {
  transport::tls_client_config tls;
  tls.ca_file = cfg.as.ca_file;
  auto made = transport::tls_context::client(tls);
  if (!made) throw std::runtime_error("as.ca_file: " + made.error_value().message());
  return *made;
}

}  // namespace

struct router::impl {
  std::shared_ptr<const config> cfg;
  std::unique_ptr<store::database> db;
  actors::metrics_registry metrics;
  std::unique_ptr<actors::downlink_verifier> verifier;
  std::unique_ptr<transport::runtime> runtime;
  std::unique_ptr<actors::data_plane> plane;
  std::unique_ptr<app::live_view> live;
  std::unique_ptr<app::health_publisher> health;  ///< cluster mode
  std::unique_ptr<api::admin_api> admin;
  std::optional<actors::ns_target> ns;
  std::optional<transport::tls_context> as_tls;
  std::vector<std::shared_ptr<actors::ns_forwarder>>
      forwarders;  // by shard, each used on its shard
  std::unique_ptr<caf::actor_system_config> caf_config;
  std::unique_ptr<caf::actor_system> system;
  caf::actor supervisor;
  caf::actor admin_worker;
  std::unique_ptr<admin_guard> guard;
  std::shared_ptr<actors::destination_policy> destinations;
  std::shared_ptr<transport::listener_counters> ingress_counters, public_counters,
      admin_counters;
  std::uint16_t ingress_port = 0, public_port = 0, admin_port = 0;
  std::atomic<bool> ready{false};
  bool started = false;
  bool stopped = false;

  /// A refused downlink, logged at most every 10 s (with how many were not).
  void log_refused_downlink(const transport::request_origin& origin,
                            const actors::downlink_verdict& verdict);
  std::mutex downlink_log_mutex;
  logging::rate_limit downlink_log{std::chrono::seconds{10}};

  void serve_ingress(const transport::request_origin& origin,
                     transport::http_server_connection& connection,
                     const transport::request& request);
  void serve_public(const transport::request_origin& origin,
                    transport::http_server_connection& connection,
                    const transport::request& request);
  void serve_admin(const transport::request_origin& origin,
                   transport::http_server_connection& connection,
                   const transport::request& request);
  /// Sends an accepted downlink to the NS and answers the AS (on the request's shard).
  void deliver_downlink(const transport::request_origin& origin, actors::downlink_verdict verdict);
  std::string render_metrics() const;
  void work(const admin_job& job);
};

std::string router::impl::render_metrics() const {
  std::string text = metrics.render();
  std::vector<transport::shard_load> shards;
  for (std::size_t i = 0; i < runtime->size(); ++i) shards.push_back(runtime->at(i).load());
  actors::render_shard_metrics(text, shards);
  auto listener = [&](const char* name, const transport::listener_counters* c) {
    if (!c) return;
    auto line = [&](const char* metric, std::uint64_t value) {
      text += std::string{"tunnel_router_"} + metric + "{listener=\"" + name + "\"} " +
              std::to_string(value) + "\n";
    };
    line("listener_connections", c->open.load(std::memory_order_relaxed));
    line("listener_refused_total", c->refused.load(std::memory_order_relaxed));
    line("listener_timed_out_total", c->timed_out.load(std::memory_order_relaxed));
    line("listener_handler_failures_total", c->handler_failures.load(std::memory_order_relaxed));
  };
  text += "# TYPE tunnel_router_listener_connections gauge\n";
  text += "# TYPE tunnel_router_listener_refused_total counter\n";
  text += "# TYPE tunnel_router_listener_timed_out_total counter\n";
  text += "# TYPE tunnel_router_listener_handler_failures_total counter\n";
  listener("ingress", ingress_counters.get());
  listener("public", public_counters.get());
  listener("admin", admin_counters.get());
  text += "# TYPE tunnel_router_admin_auth_failures_total counter\n";
  text += "tunnel_router_admin_auth_failures_total " +
          std::to_string(guard ? guard->failures() : 0) + "\n";
  if (auto* shared = db->cluster()) {
    text += "# HELP tunnel_router_store_up 1 while the shared store answers.\n"
            "# TYPE tunnel_router_store_up gauge\ntunnel_router_store_up ";
    text += shared->store_up() ? "1\n" : "0\n";
    text += "# HELP tunnel_router_cluster_instances Live replicas sharing the store.\n"
            "# TYPE tunnel_router_cluster_instances gauge\ntunnel_router_cluster_instances " +
            std::to_string(shared->live_count()) + "\n";
  }
  return text;
}

/// The admin worker's part: runs the blocking admin API (SQLite) on its own thread, one request
/// at a time, and posts each answer back to the shard of the connection that asked.
void router::impl::work(const admin_job& job) {
  auto reply = [&](int status, std::vector<transport::owned_header> headers, std::string body) {
    transport::respond_later(job.origin, status, std::move(headers), std::move(body));
  };
  if (job.path == "/metrics") {  // metrics_token_required and a token the guard did not know
    if (!admin->authenticates(job.authorization)) {
      guard->failed(job.origin.peer, admin_guard::clock::now());
      return reply(401,
                   {{"content-type", "application/json"},
                    {"WWW-Authenticate", R"(Bearer realm="tunnel-router")"}},
                   R"({"error":"/metrics needs a bearer token"})");
    }
    guard->remember(job.authorization);
    return reply(200, {{"content-type", "text/plain; version=0.0.4"}}, render_metrics());
  }
  api::api_request request{job.method, job.path, job.query, job.authorization, job.body};
  auto answer = admin->handle(request);
  if (answer.status == 401 && !job.authorization.empty()) {
    guard->failed(job.origin.peer, admin_guard::clock::now());
  } else if (answer.status < 400 && !job.authorization.empty()) {
    if (job.path.starts_with("/api/v1/users") && job.method != "GET")
      guard->reload(token_hashes(*db));
    else if (!guard->knows(job.authorization) && job.path.starts_with("/api/"))
      guard->remember(job.authorization);
  }
  if (answer.later) {
    // Answered from another thread when ready (a test uplink): this worker takes the next job.
    auto later = std::move(answer.later);
    return later([origin = job.origin](api::api_answer ready) { respond(origin, std::move(ready)); });
  }
  respond(job.origin, std::move(answer));
}

void router::impl::serve_ingress(const transport::request_origin& origin,
                                 transport::http_server_connection& connection,
                                 const transport::request& request) {
  bool single = request.path == "/v1/reports";
  bool batch = request.path == "/v1/reports:batch";
  if (!single && !batch)
    return transport::respond_now(connection, origin.stream, 404, "application/json",
                                  R"({"error":"not found"})");
  if (request.method != "POST")
    return transport::respond_method_not_allowed(connection, origin.stream, "POST",
                                                 "application/json", R"({"error":"use POST"})");
  actors::ingress_answer answer;
  auto& state = plane->local();
  auto body = transport::as_text(request.body);
  if (single) {
    state.reports->handle_report(request.query, body, answer);
  } else {
    auto batch = std::make_unique<kept_batch>();
    auto& reports = *state.reports;
    auto& progress = batch->progress;
    if (reports.begin_batch(request.query, body, progress, answer) &&
        !reports.continue_batch(progress, batch_slice_bytes, answer)) {
      // The engine's body buffer goes with the batch when it can (no copy of megabytes).
      bool own_body = request.body_storage != nullptr;
      if (reports.keep_batch(progress, !own_body)) {
        if (own_body) batch->body = std::move(*request.body_storage);
        return continue_batch_later(*plane, origin, std::move(batch));
      }
      while (!reports.continue_batch(progress, SIZE_MAX, answer)) {
      }
    }
  }
  transport::respond_now(connection, origin.stream, answer.status, "application/json", answer.body);
}

void router::impl::log_refused_downlink(const transport::request_origin& origin,
                                        const actors::downlink_verdict& verdict) {
  std::uint64_t held = 0;
  {
    std::lock_guard lock{downlink_log_mutex};
    if (!downlink_log.allow(std::chrono::steady_clock::now())) return;
    held = downlink_log.suppressed();
  }
  std::string peer = transport::to_string(origin.peer), status = std::to_string(verdict.status),
              held_text = std::to_string(held);
  logging::warning("downlink refused", {{"peer", peer},
                                        {"outcome", actors::name_of(verdict.outcome)},
                                        {"status", status},
                                        {"reason", verdict.reason},
                                        {"held_back", held_text}});
}

void router::impl::serve_public(const transport::request_origin& origin,
                                transport::http_server_connection& connection,
                                const transport::request& request) {
  if (request.path != downlink_path)
    return transport::respond_now(connection, origin.stream, 404, "text/plain", "not found");
  if (request.method != "POST")
    return transport::respond_method_not_allowed(connection, origin.stream, "POST", "text/plain",
                                                 "use POST");
  auto verdict =
      verifier->verify(request.query, plane->local().routes, std::chrono::system_clock::now());
  if (verdict.outcome != actors::downlink_outcome::accepted) {
    metrics.count(verdict.outcome);
    log_refused_downlink(origin, verdict);
    return transport::respond_now(connection, origin.stream, verdict.status, "text/plain",
                                  verdict.reason);
  }
  if (!verdict.cluster_check) return deliver_downlink(origin, std::move(verdict));
  // Cluster mode: the shared store's check runs off this shard; the answer comes back to it.
  verifier->check_cluster(std::move(verdict), [this, origin](actors::downlink_verdict checked) {
    if (checked.outcome != actors::downlink_outcome::accepted) {
      metrics.count(checked.outcome);
      return transport::respond_later(origin, checked.status, {{"content-type", "text/plain"}},
                                      std::move(checked.reason));
    }
    auto shared = std::make_shared<actors::downlink_verdict>(std::move(checked));
    bool posted = origin.home->post([this, origin, shared](transport::shard&) {
      deliver_downlink(origin, std::move(*shared));
    });
    if (!posted) verifier->release(*shared);  // the shard has stopped: nothing was delivered
  });
}

void router::impl::deliver_downlink(const transport::request_origin& origin,
                                    actors::downlink_verdict verdict) {
  if (!ns) {
    verifier->release(verdict);
    metrics.count(actors::downlink_outcome::ns_unconfigured);
    return transport::respond_later(origin, 503, {{"content-type", "text/plain"}},
                                    "no NS downlink URL configured");
  }
  auto index = origin.home->index();
  if (!forwarders[index])
    forwarders[index] = std::make_shared<actors::ns_forwarder>(
        *origin.home, *ns, *as_tls, std::chrono::milliseconds{cfg->as.request_timeout_ms});
  auto* registry = &metrics;
  auto* verifying = verifier.get();
  auto json = downlink_json(verdict);
  forwarders[index]->post(
      std::move(json), [origin, registry, verifying, verdict = std::move(verdict)](int status) {
        if (status >= 200 && status < 300) {
          registry->count(actors::downlink_outcome::accepted);
          transport::respond_later(origin, 200, {{"content-type", "text/html"}},
                                   std::string{queued_by_lrc});
        } else {
          registry->count(actors::downlink_outcome::ns_failed);
          // The NS refused it or never got it: the AS may send it again. Sent without an answer,
          // the NS may have queued it, so the token stays spent (a resend would be a duplicate).
          if (status != 0) verifying->release(verdict);
          transport::respond_later(origin, 503, {{"content-type", "text/plain"}}, "NS unavailable");
        }
      });
}

void router::impl::serve_admin(const transport::request_origin& origin,
                               transport::http_server_connection& connection,
                               const transport::request& request) {
  bool own_path =
      request.path == "/healthz" || request.path == "/readyz" || request.path == "/metrics";
  bool guarded = request.path == "/metrics" ? cfg->admin.metrics_token_required
                                            : request.path.starts_with("/api/");
  if (guarded && guard->throttled(origin.peer, admin_guard::clock::now())) {
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
      bool up = ready.load(std::memory_order_relaxed);
      return transport::respond_now(connection, origin.stream, up ? 200 : 503, "text/plain",
                                    up ? "ready\n" : "not ready\n");
    }
    auto authorization = header_value(request, "authorization");
    if (!cfg->admin.metrics_token_required || guard->knows(authorization))
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
  caf::anon_send(admin_worker, std::move(job));
}

router::router(std::shared_ptr<const config> configuration) : impl_(std::make_unique<impl>()) {
  impl_->cfg = std::move(configuration);
}

router::~router() {
  stop(std::chrono::milliseconds{0});
}

std::optional<std::string> router::start() {
  auto& m = *impl_;
  const auto& cfg = *m.cfg;
  m.started = true;

  bool cluster = !cfg.store.url.empty();
  // Cluster mode keeps nothing on local disk: the admin token comes from configuration too.
  if (cluster && cfg.admin.token.empty())
    throw std::runtime_error(
        "store.url (cluster mode) needs admin.token (TUNNEL_ROUTER_ADMIN_TOKEN), the same on "
        "every replica");
  auto opened = store::database::open(store::open_options{cfg.store.path, {}, cfg.store.url});
  if (!opened)
    throw std::runtime_error((cluster ? "store.url: " : "store.path: ") +
                             opened.error_value().message);
  m.db = std::move(*opened);
  auto bootstrap = m.db->bootstrap_admin(cfg.admin.token);
  std::optional<std::string> printed;
  if (bootstrap) {
    printed = *bootstrap;
  } else if (cfg.admin.token.empty()) {
    throw std::runtime_error("admin token: " + bootstrap.error_value().message);
  } else {
    // A full disk, say: the stored hash may be stale, but the router can serve meanwhile.
    std::fprintf(stderr,
                 "tunnel-router: warning: admin.token could not be stored (%s); serving with "
                 "the stored admin token\n",
                 bootstrap.error_value().message.c_str());
  }
  m.guard = std::make_unique<admin_guard>(admin_guard::options{});
  m.guard->reload(token_hashes(*m.db));
  if (!cfg.admin.token.empty()) m.guard->remember("Bearer " + cfg.admin.token);
  {
    std::vector<actors::network> deny;
    std::string problem;
    if (!actors::parse_network_list(cfg.as.deny_networks, problem, &deny))
      throw std::runtime_error("as.deny_networks: " + problem);
    m.destinations = std::make_shared<actors::destination_policy>(std::move(deny));
  }

  m.as_tls = client_tls(cfg);
  if (!cfg.ns.downlink_url.empty()) {
    actors::ns_target target;
    if (auto problem = actors::parse_ns_target(cfg.ns.downlink_url, target); !problem.empty())
      throw std::runtime_error("ns.downlink_url: " + problem);
    m.ns = target;
  }

  transport::runtime_options runtime_options;
  runtime_options.shards = cfg.runtime.shards;
  m.runtime = std::make_unique<transport::runtime>(runtime_options);
  m.forwarders.resize(m.runtime->size());

  actors::downlink_verifier::options downlink_options;
  downlink_options.rate_per_s = cfg.downlink.rate_per_s;
  downlink_options.burst = cfg.downlink.burst;
  m.verifier = std::make_unique<actors::downlink_verifier>(downlink_options);
  if (auto* shared = m.db->cluster()) {
    // Cluster mode: replay records and token buckets for the whole cluster; this replica joins.
    m.verifier->share_with(shared);
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    shared->join(host, tr::version_string);
  }

  actors::uplink_environment environment{*m.as_tls};
  environment.fuse_params.failure_threshold = cfg.fuse.failure_threshold;
  environment.fuse_params.backoff_initial = std::chrono::milliseconds{cfg.fuse.backoff_initial_ms};
  environment.fuse_params.backoff_max = std::chrono::milliseconds{cfg.fuse.backoff_max_ms};
  environment.fuse_params.min_limit = cfg.fuse.min_concurrency;
  environment.fuse_params.max_limit = cfg.fuse.max_concurrency;
  environment.fuse_params.latency_target = std::chrono::milliseconds{cfg.fuse.latency_target_ms};
  environment.handshake_timeout = std::chrono::milliseconds{cfg.as.handshake_timeout_ms};
  environment.idle_timeout = std::chrono::milliseconds{cfg.as.idle_timeout_ms};
  environment.allow_address = [policy = m.destinations](const transport::socket_address& a) {
    auto refused = policy->refusal(a);
    if (refused)
      std::fprintf(stderr, "tunnel-router: warning: not connecting to %s: %s\n",
                   a.to_string().c_str(), refused->c_str());
    return !refused;
  };
  actors::connection_defaults defaults;
  defaults.allow_http = cfg.as.allow_http;
  defaults.request_timeout = std::chrono::milliseconds{cfg.as.request_timeout_ms};
  m.plane = std::make_unique<actors::data_plane>(*m.runtime, m.metrics, environment, defaults,
                                                 *m.verifier);

  api::admin_api::options admin_options;
  admin_options.allow_http = cfg.as.allow_http;
  admin_options.max_body_bytes = cfg.admin.max_body_bytes;
  m.live = std::make_unique<app::live_view>(*m.plane, m.metrics, app::instance_name(),
                                            m.db->cluster());
  admin_options.live = m.live.get();
  admin_options.check_destination = [policy = m.destinations](std::string_view host,
                                                              std::uint16_t port) {
    return policy->refusal(host, port);
  };
  m.admin = std::make_unique<api::admin_api>(*m.db, admin_options);

  m.runtime->start();

  m.caf_config = std::make_unique<caf::actor_system_config>();
  m.caf_config->set("scheduler.max-threads", 1);
  m.caf_config->set("scheduler.policy", caf::atom("sharing"));
  m.caf_config->set("logger.console", caf::atom("none"));
  m.system = std::make_unique<caf::actor_system>(*m.caf_config);
  m.supervisor = actors::spawn_supervisor(*m.system, *m.plane, *m.db);
  // Ready means the stored configuration is in the data plane: wait for the supervisor's load.
  for (int i = 0; i < 3000 && !m.plane->loaded(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  if (!m.plane->loaded())
    throw std::runtime_error("store: the configuration did not load within 30 s");
  if (auto* shared = m.db->cluster())
    m.health = std::make_unique<app::health_publisher>(
        *shared, [live = m.live.get()] { return live->all_own_figures(); },
        std::chrono::seconds{5});
  auto* self = impl_.get();
  m.admin_worker = m.system->spawn<caf::detached>([self](caf::event_based_actor*) {
    return caf::behavior{[self](const admin_job& job) {
      // A defect in one admin request fails that request (500, counted), not the worker.
      try {
        self->work(job);
      } catch (const std::exception& e) {
        if (self->admin_counters)
          self->admin_counters->handler_failures.fetch_add(1, std::memory_order_relaxed);
        logging::error("admin request failed", {{"path", job.path}, {"reason", e.what()}});
        transport::respond_later(job.origin, 500, {{"content-type", "application/json"}},
                                 R"({"error":"internal error"})");
      }
    }};
  });

  // Connection caps well under the descriptor limit; what is left serves AS sessions, the NS,
  // the store and the admin listener, which keeps its own cap so that it stays reachable.
  auto descriptors = raise_descriptor_limit();
  std::size_t ingress_cap = cfg.ingress.max_connections;
  std::size_t public_cap = cfg.public_listener.max_connections;
  auto room = descriptors > 256 ? (descriptors - cfg.admin.max_connections) / 2 : 64;
  if (ingress_cap + public_cap > room) {
    ingress_cap = std::max<std::size_t>(1, ingress_cap * room / (ingress_cap + public_cap));
    public_cap = std::max<std::size_t>(1, room - ingress_cap);
    std::fprintf(stderr,
                 "tunnel-router: warning: %llu descriptors allowed: ingress takes at most %zu "
                 "connections, public %zu\n",
                 static_cast<unsigned long long>(descriptors), ingress_cap, public_cap);
  }
  m.ingress_counters = std::make_shared<transport::listener_counters>();
  m.public_counters = std::make_shared<transport::listener_counters>();
  m.admin_counters = std::make_shared<transport::listener_counters>();

  auto listen = [&](const char* what, const endpoint& at, transport::server_options limits,
                    std::optional<transport::tls_context> tls, std::size_t cap,
                    std::shared_ptr<transport::listener_counters> counters,
                    transport::http_service service, std::chrono::milliseconds max_age = {}) {
    transport::http_listener_options options;
    options.max_connection_age = max_age;
    options.host = at.host;
    options.port = at.port;
    options.limits = limits;
    options.tls = std::move(tls);
    options.name = what;
    options.max_connections = cap;
    options.header_timeout = std::chrono::milliseconds{cfg.runtime.header_timeout_ms};
    options.idle_timeout = std::chrono::milliseconds{cfg.runtime.idle_timeout_ms};
    options.counters = std::move(counters);
    auto bound = transport::listen_http(*m.runtime, options, std::move(service));
    if (!bound)
      throw std::runtime_error(std::string{what} + ".listen " + to_string(at) + ": " +
                               bound.status.message());
    m.destinations->add_listener(at.host, bound.port);
    return bound.port;
  };
  // Each listener's own limits: the path decides the body a request may carry, from its head.
  transport::server_options ingress_limits;
  ingress_limits.max_body_size = cfg.ingress.max_body_bytes;
  ingress_limits.body_limit = [batch_limit = cfg.ingress.max_body_bytes](
                                  const transport::request& head) -> std::size_t {
    if (head.path == "/v1/reports:batch") return batch_limit;
    if (head.path == "/v1/reports") return std::min<std::size_t>(batch_limit, 64 << 10);
    return 0;
  };
  ingress_limits.on_refusal = [self](int status, std::string_view) {
    if (status == 413) self->metrics.count(actors::report_outcome::too_large);
  };
  m.ingress_port = listen("ingress", cfg.ingress.listen, ingress_limits, std::nullopt,
                          ingress_cap, m.ingress_counters,
                          [self](auto& o, auto& c, auto& r) { self->serve_ingress(o, c, r); },
                          std::chrono::seconds{cfg.ingress.max_connection_age_s});
  std::optional<transport::tls_context> public_tls;
  if (!cfg.public_listener.tls_cert.empty()) {
    transport::tls_server_config tls;
    tls.certificate_file = cfg.public_listener.tls_cert;
    tls.private_key_file = cfg.public_listener.tls_key;
    auto made = transport::tls_context::server(tls);
    if (!made) {
      // Name the setting whose file failed (the message names the file itself).
      const auto& why = made.error_value().message();
      auto says = [&](std::string_view text) { return why.find(text) != std::string::npos; };
      std::string_view key = says("cannot load the private key") ? "public.tls_key"
                             : says("the private key does not match")
                                 ? "public.tls_key and public.tls_cert"
                                 : "public.tls_cert";
      throw std::runtime_error(std::string{key} + ": " + why);
    }
    public_tls = *made;
  } else {
    logging::warning("public listener without public.tls_cert speaks plain HTTP");
  }
  transport::server_options public_limits;
  public_limits.max_body_size = 64 << 10;
  m.public_port = listen("public", cfg.public_listener.listen, public_limits, public_tls,
                         public_cap, m.public_counters,
                         [self](auto& o, auto& c, auto& r) { self->serve_public(o, c, r); });
  transport::server_options admin_limits;
  admin_limits.max_body_size =
      std::max<std::size_t>(cfg.admin.max_body_bytes, admin_options.max_import_bytes);
  // Authenticate from the headers before reading a body: without a known token a request may
  // carry only a small body (it gets its 401 from the API all the same).
  admin_limits.body_limit = [self](const transport::request& head) -> std::size_t {
    std::string_view authorization;
    for (const auto& field : head.headers)
      if (field.name == "authorization") authorization = field.value;
    if (!self->guard->knows(authorization)) return self->guard->settings().unauthenticated_body;
    return self->admin->body_limit(head.path);
  };
  m.admin_port = listen("admin", cfg.admin.listen, admin_limits, std::nullopt,
                        cfg.admin.max_connections, m.admin_counters,
                        [self](auto& o, auto& c, auto& r) { self->serve_admin(o, c, r); });
  m.ready = true;
  return printed;
}

std::uint64_t router::stop(std::chrono::milliseconds drain) {
  auto& m = *impl_;
  if (!m.started || m.stopped) return 0;
  m.stopped = true;
  m.ready = false;
  m.health.reset();
  std::uint64_t abandoned = 0;
  if (m.runtime) {
    m.runtime->stop_accepting();
    bool drained = m.runtime->drain(
        drain, [plane = m.plane.get()](transport::shard& s) { return plane->idle(s); });
    // What is still in flight fails as its AS sessions close in stop(): count those failures.
    auto failed_before = m.metrics.uplinks_total(actors::uplink_outcome::failed);
    m.runtime->stop();
    if (!drained)
      abandoned = m.metrics.uplinks_total(actors::uplink_outcome::failed) - failed_before;
  }
  if (m.system) {
    caf::anon_send_exit(m.supervisor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(m.admin_worker, caf::exit_reason::user_shutdown);
    m.supervisor = nullptr;
    m.admin_worker = nullptr;
    // The fuse actors end with the supervisor; the data plane holds their handles, so it goes
    // before the actor system does.
    m.system->await_all_actors_done();
    m.plane.reset();
    m.system.reset();
  }
  m.forwarders.clear();
  // The store before the runtime: its downlink checks still waiting are answered (posted to
  // stopped shards, which drop them) while the shards still exist.
  m.admin.reset();
  m.db.reset();
  m.plane.reset();
  m.runtime.reset();
  return abandoned;
}

std::uint16_t router::ingress_port() const {
  return impl_->ingress_port;
}
std::uint16_t router::public_port() const {
  return impl_->public_port;
}
std::uint16_t router::admin_port() const {
  return impl_->admin_port;
}

}  // namespace tr::app
