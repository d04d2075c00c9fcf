#include "app/router.hpp"

#include <sys/resource.h>
#include <caf/all.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <unistd.h>

#include "actors/data_plane.hpp"
#include "actors/downlink_verifier.hpp"
#include "actors/metrics.hpp"
#include "actors/supervisor.hpp"
#include "app/admin_service.hpp"
#include "app/downlink_service.hpp"
#include "app/ingress_service.hpp"
#include "app/live_view.hpp"
#include "app/ns_forwarder.hpp"
#include "logging/log.hpp"
#include "store/database.hpp"
#include "tr/version.hpp"
#include "transport/destination_policy.hpp"
#include "transport/http_listener.hpp"
#include "transport/runtime/runtime.hpp"

namespace tr::app {

namespace {

/// True when SIGTERM or SIGINT is pending: `serve` blocks them until it waits for them.
bool stop_requested() {
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) != 0) return false;
  return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

/// A single node started with `admin.token` set: the token it generated earlier and kept in
/// `admin.token` beside the database no longer works, so the file goes (and the log says so).
void forget_replaced_token_file(const config& cfg) {
  auto file = std::filesystem::path{cfg.store.path}.parent_path() / "admin.token";
  std::ifstream in{file};
  std::string kept;
  if (!in || !std::getline(in, kept) || kept == cfg.admin.token) return;
  std::error_code failure;
  std::filesystem::remove(file, failure);
  logging::warning("the configured admin.token replaces the one kept in the file: file removed",
                   {{"file", file.string()}});
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
  std::optional<transport::tls_context> as_tls;
  std::unique_ptr<ingress_service> ingress;
  std::unique_ptr<downlink_service> downlinks;
  std::unique_ptr<admin_service> admin;
  std::unique_ptr<caf::actor_system_config> caf_config;
  std::unique_ptr<caf::actor_system> system;
  caf::actor supervisor;
  std::shared_ptr<transport::destination_policy> destinations;
  std::uint16_t ingress_port = 0, public_port = 0, admin_port = 0;
  bool started = false;
  bool stopped = false;
};

router::router(std::shared_ptr<const config> configuration) : impl_(std::make_unique<impl>()) {
  impl_->cfg = std::move(configuration);
}

router::~router() {
  stop(std::chrono::milliseconds{0});
}

std::optional<std::string> router::start(const std::function<void(const std::string&)>& generated) {
  auto& m = *impl_;
  const auto& cfg = *m.cfg;
  m.started = true;

  bool cluster = !cfg.store.url.empty();
  // Cluster mode keeps nothing on local disk: the admin token comes from configuration too.
  if (cluster && cfg.admin.token.empty())
    throw std::runtime_error(
        "store.url (cluster mode) needs admin.token (TUNNEL_ROUTER_ADMIN_TOKEN), the same on "
        "every replica");
  auto opened = store::database::open(
      store::open_options{.path = cfg.store.path, .url = cfg.store.url, .exclusive = true});
  if (!opened)
    throw std::runtime_error((cluster ? "store.url: " : "store.path: ") +
                             opened.error_value().message);
  m.db = std::move(*opened);
  auto bootstrap = m.db->bootstrap_admin(cfg.admin.token);
  std::optional<std::string> printed;
  if (bootstrap) {
    printed = *bootstrap;
    if (printed && generated) generated(*printed);
  } else if (cfg.admin.token.empty()) {
    throw std::runtime_error("admin token: " + bootstrap.error_value().message);
  } else {
    // A full disk, say: the stored hash may be stale, but the router can serve meanwhile.
    logging::warning("admin.token could not be stored; serving with the stored admin token",
                     {{"reason", bootstrap.error_value().message}});
  }
  // Only once the configured token is stored: else the file's token is still the one that works.
  if (bootstrap && !cluster && !cfg.admin.token.empty()) forget_replaced_token_file(cfg);
  {
    std::vector<transport::network> deny;
    std::string problem;
    if (!transport::parse_network_list(cfg.as.deny_networks, problem, &deny))
      throw std::runtime_error("as.deny_networks: " + problem);
    m.destinations = std::make_shared<transport::destination_policy>(std::move(deny));
  }

  m.as_tls = client_tls(cfg);
  downlink_service::options downlink_service_options;
  downlink_service_options.ns_timeout = std::chrono::milliseconds{cfg.as.request_timeout_ms};
  downlink_service_options.ns_http1_pipeline = cfg.ns.http1_pipeline;
  if (!cfg.ns.downlink_url.empty()) {
    ns_target target;
    if (auto problem = parse_ns_target(cfg.ns.downlink_url, target); !problem.empty())
      throw std::runtime_error("ns.downlink_url: " + problem);
    downlink_service_options.ns = target;
  }

  transport::runtime_options runtime_options;
  runtime_options.shards = cfg.runtime.shards;
  m.runtime = std::make_unique<transport::runtime>(runtime_options);

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
  environment.http1_pool_size = cfg.as.http1_connections;
  environment.allow_address = [policy = m.destinations](const transport::socket_address& a) {
    auto refused = policy->refusal(a);
    // Asked on a shard's thread, again at every reconnect: one line a minute per shard (the
    // connection's own failure line says it too, with the policy as its reason).
    thread_local logging::rate_limit lines;
    if (refused && lines.allow(logging::rate_limit::clock::now())) {
      auto address = a.to_string();
      auto held = std::to_string(lines.suppressed());
      logging::warning("not connecting: the destination policy refuses the address",
                       {{"address", address}, {"reason", *refused}, {"suppressed", held}});
    }
    return !refused;
  };
  actors::connection_defaults defaults;
  defaults.allow_http = cfg.as.allow_http;
  defaults.request_timeout = std::chrono::milliseconds{cfg.as.request_timeout_ms};
  m.plane = std::make_unique<actors::data_plane>(*m.runtime, m.metrics, environment, defaults,
                                                 *m.verifier);

  m.ingress = std::make_unique<ingress_service>(*m.plane, m.metrics);
  m.downlinks = std::make_unique<downlink_service>(*m.plane, m.metrics, *m.verifier, *m.as_tls,
                                                   m.runtime->size(), downlink_service_options);
  admin_service::options admin_options;
  admin_options.metrics_token_required = cfg.admin.metrics_token_required;
  admin_options.token = cfg.admin.token;
  admin_options.api.allow_http = cfg.as.allow_http;
  admin_options.api.max_body_bytes = cfg.admin.max_body_bytes;
  admin_options.api.max_import_bytes =
      std::max(admin_options.api.max_import_bytes, cfg.admin.max_body_bytes);
  m.live =
      std::make_unique<app::live_view>(*m.plane, m.metrics, app::instance_name(), m.db->cluster());
  admin_options.api.live = m.live.get();
  admin_options.api.check_destination = [policy = m.destinations](std::string_view host,
                                                                  std::uint16_t port) {
    return policy->refusal(host, port);
  };
  m.admin = std::make_unique<admin_service>(*m.db, m.metrics, *m.runtime, admin_options);

  m.runtime->start();

  m.caf_config = std::make_unique<caf::actor_system_config>();
  m.caf_config->set("scheduler.max-threads", 1);
  m.caf_config->set("scheduler.policy", caf::atom("sharing"));
  m.caf_config->set("logger.console", caf::atom("none"));
  m.system = std::make_unique<caf::actor_system>(*m.caf_config);
  m.supervisor = actors::spawn_supervisor(*m.system, *m.plane, *m.db);
  // Ready means the stored configuration is in the data plane: wait for the supervisor's load.
  // A failing load says so at once (data_plane::fail_load); a slow one (a large store on a busy
  // node: 100,000 connections took 18.7 s on a 2-core machine at load ~18) is waited for, with a
  // line every 10 s, up to a bound meant to catch a stuck start, not a slow one.
  // SIGTERM or SIGINT (blocked by `serve`, which waits for them once started) ends the wait.
  constexpr auto load_step = std::chrono::seconds{1};
  constexpr auto load_limit = std::chrono::minutes{10};
  for (auto waited = std::chrono::seconds{0}; !m.plane->wait_loaded(load_step);) {
    auto failure = m.plane->load_failure();
    if (!failure.empty()) throw std::runtime_error("store: " + failure);
    if (stop_requested())
      throw stopped_during_start("stopped by a signal while the configuration was loading");
    waited += load_step;
    if (waited >= load_limit)
      throw std::runtime_error("store: the configuration did not load within 10 min");
    if (waited.count() % 10 == 0)
      logging::info("store: still loading the configuration",
                    {{"waited_s", std::to_string(waited.count())}});
  }
  if (auto* shared = m.db->cluster())
    m.health = std::make_unique<app::health_publisher>(
        *shared, [live = m.live.get()] { return live->all_own_figures(); },
        std::chrono::seconds{5});
  m.admin->start_worker(*m.system);

  // Connection caps well under the descriptor limit; what is left serves AS sessions, the NS,
  // the store and the admin listener, which keeps its own cap so that it stays reachable.
  auto descriptors = raise_descriptor_limit();
  std::size_t ingress_cap = cfg.ingress.max_connections;
  std::size_t public_cap = cfg.public_listener.max_connections;
  auto room = descriptors > 256 ? (descriptors - cfg.admin.max_connections) / 2 : 64;
  if (ingress_cap + public_cap > room) {
    ingress_cap = std::max<std::size_t>(1, ingress_cap * room / (ingress_cap + public_cap));
    public_cap = std::max<std::size_t>(1, room - ingress_cap);
    auto allowed = std::to_string(descriptors);
    auto ingress_max = std::to_string(ingress_cap);
    auto public_max = std::to_string(public_cap);
    logging::warning("too few descriptors allowed for the listeners' caps: caps lowered",
                     {{"descriptors", allowed},
                      {"ingress_max_connections", ingress_max},
                      {"public_max_connections", public_max}});
  }
  auto ingress_counters = std::make_shared<transport::listener_counters>();
  auto public_counters = std::make_shared<transport::listener_counters>();
  m.admin->show_listener("ingress", ingress_counters);
  m.admin->show_listener("public", public_counters);
  m.admin->show_listener("admin", m.admin->counters());

  auto listen = [&](const char* what, const endpoint& at, transport::server_options limits,
                    std::optional<transport::tls_context> tls, std::size_t cap,
                    std::shared_ptr<transport::listener_counters> counters,
                    transport::http_service service, std::chrono::milliseconds max_age = {},
                    bool follow_load = false, std::size_t per_address_cap = 0) {
    transport::http_listener_options options;
    options.max_connection_age = max_age;
    options.follow_load = follow_load;
    options.host = at.host;
    options.port = at.port;
    options.limits = limits;
    options.tls = std::move(tls);
    options.name = what;
    options.max_connections = cap;
    options.max_connections_per_address = per_address_cap;
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
  auto* ingress = m.ingress.get();
  // An NS reconnects by itself: its connections follow the load, unless the operator wants
  // them never ended (max age 0).
  m.ingress_port = listen(
      "ingress", cfg.ingress.listen, ingress->limits(cfg.ingress.max_body_bytes), std::nullopt,
      ingress_cap, ingress_counters,
      [ingress](auto& o, auto& c, auto& r) { ingress->serve(o, c, r); },
      std::chrono::seconds{cfg.ingress.max_connection_age_s}, cfg.ingress.max_connection_age_s > 0);
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
  auto* downlinks = m.downlinks.get();
  m.public_port = listen("public", cfg.public_listener.listen, downlink_service::limits(),
                         public_tls, public_cap, public_counters,
                         [downlinks](auto& o, auto& c, auto& r) { downlinks->serve(o, c, r); });
  auto* admin = m.admin.get();
  m.admin_port = listen(
      "admin", cfg.admin.listen, admin->limits(), std::nullopt, cfg.admin.max_connections,
      admin->counters(), [admin](auto& o, auto& c, auto& r) { admin->serve(o, c, r); }, {}, false,
      cfg.admin.max_connections_per_address);
  admin->set_ready(true);
  return printed;
}

void router::unready() {
  if (impl_->admin) impl_->admin->set_ready(false);
}

std::uint64_t router::stop(std::chrono::milliseconds drain) {
  auto& m = *impl_;
  if (!m.started || m.stopped) return 0;
  m.stopped = true;
  if (m.admin) m.admin->set_ready(false);
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
    if (m.admin) m.admin->stop_worker();
    m.supervisor = nullptr;
    // The fuse actors end with the supervisor; the data plane holds their handles, so it goes
    // before the actor system does.
    m.system->await_all_actors_done();
    m.plane.reset();
    m.system.reset();
  }
  if (m.downlinks) m.downlinks->stop();
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
