#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "logging/log.hpp"

namespace tr::app {

// The router's configuration: parsed once at start into these plain structs, immutable after,
// handed around as std::shared_ptr<const config>. The keys are those of the README's configuration table plus the
// router's own (defaults and their reasons: app/config_defaults.hpp).
//
// Sources, later ones winning: the embedded defaults; a file, INI, JSON or XML by its extension
// (`[section] key = value`; `{"section": {"key": value}}`; `<anyroot><section><key>value</key>
// </section></anyroot>`); environment variables `TUNNEL_ROUTER_<SECTION>_<KEY>` (upper case).
// An unknown section or key, in the file or in the environment, is an error naming it, as is a
// bad value (naming key and value). The variables in reserved_environment_variables are not
// configuration keys and are left to their readers.

/// A host and port to listen on. Port 0 asks the system for a free port.
struct endpoint {
  std::string host;  ///< name, IPv4 or IPv6 (without brackets)
  std::uint16_t port = 0;
  friend bool operator==(const endpoint&, const endpoint&) = default;
};

/// `host:port`, IPv6 hosts in brackets.
std::string to_string(const endpoint& address);

struct store_config {
  std::string path;  ///< SQLite database file
  std::string url;   ///< PostgreSQL URI (cluster mode); empty: SQLite at `path`
};

struct ingress_config {
  endpoint listen;             ///< NS-side listener
  std::size_t max_body_bytes;  ///< largest accepted request body
  std::uint32_t max_connection_age_s;  ///< GOAWAY to connections older than this; 0: never
  std::size_t max_connections;  ///< open at once; more are closed at accept
};

struct public_config {
  endpoint listen;       ///< AS-side listener for downlinks
  std::string tls_cert;  ///< PEM file; empty (with tls_key): plain HTTP
  std::string tls_key;   ///< PEM file
  std::size_t max_connections;  ///< open at once; more are closed at accept
};

struct admin_config {
  endpoint listen;             ///< admin API, metrics, health, console
  std::string token;           ///< bootstrap admin bearer token; empty: generated once
  std::size_t max_body_bytes;  ///< largest accepted request body
  std::size_t max_connections;  ///< open at once; more are closed at accept
  std::size_t max_connections_per_address;  ///< open at once from one client address
  bool metrics_token_required;  ///< /metrics asks for a bearer token like the API
};

struct ns_config {
  std::string downlink_url;  ///< where accepted downlinks go; empty: refused with 503
  std::uint32_t http1_pipeline;  ///< downlinks sent ahead of their answers on one HTTP/1.1
                                 ///< connection to the NS; 1: one at a time
};

struct as_config {
  std::string ca_file;               ///< extra PEM CA bundle; empty: system store only
  bool allow_http;                   ///< accept http:// connection URLs
  std::uint32_t request_timeout_ms;  ///< uplink POST deadline
  std::string deny_networks;         ///< CIDR list (comma or blank separated) never connected to
  std::uint32_t handshake_timeout_ms;  ///< TCP connect plus TLS handshake toward an AS
  std::uint32_t idle_timeout_ms;       ///< a session to an AS idle this long closes; 0: never
  std::uint32_t http1_connections;     ///< per shard, to an AS that speaks only HTTP/1.1
};

struct runtime_config {
  std::uint32_t shards;            ///< I/O shards; 0: one per core
  std::uint32_t drain_timeout_ms;  ///< SIGTERM: how long in-flight requests may still finish
  /// SIGTERM: how long the listeners still take new connections, `/readyz` answering 503,
  /// before the drain (a load balancer stops sending meanwhile)
  std::uint32_t shutdown_delay_ms;
  std::uint32_t header_timeout_ms;  ///< listeners: TLS handshake and first request's headers
  std::uint32_t idle_timeout_ms;    ///< listeners: no request progress, none open
};

struct fuse_config {
  std::uint32_t failure_threshold;   ///< consecutive failures that open the fuse
  std::uint32_t backoff_initial_ms;  ///< first blacklist period
  std::uint32_t backoff_max_ms;      ///< longest blacklist period
  std::uint32_t min_concurrency;     ///< floor of the adaptive in-flight limit
  std::uint32_t max_concurrency;     ///< ceiling of the adaptive in-flight limit
  std::uint32_t latency_target_ms;   ///< latency above which the limit shrinks
};

struct downlink_config {
  std::uint32_t rate_per_s;  ///< sustained downlinks per second and connection
  std::uint32_t burst;       ///< token bucket size
};

struct log_config {
  logging::format format;  ///< text (people) or json (one object a line, for collectors)
  logging::level level;    ///< lines below this level are dropped
};

/// The whole configuration.
struct config {
  store_config store;
  ingress_config ingress;
  public_config public_listener;  ///< section `public`
  admin_config admin;
  ns_config ns;
  as_config as;
  runtime_config runtime;
  fuse_config fuse;
  downlink_config downlink;
  log_config log;
};

/// A configuration that cannot be loaded; the message names the key (and value) at fault.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Environment variables as name → value.
using environment = std::map<std::string, std::string, std::less<>>;

/// Variables with the TUNNEL_ROUTER_ prefix that are not configuration keys.
inline constexpr std::string_view reserved_environment_variables[] = {
    "TUNNEL_ROUTER_DATA_KEY",  // the store's data key (store/database.hpp)
};

/// The embedded defaults.
config default_config();

/// The variables of this process.
environment process_environment();

/// Defaults, then `file` if given, then the overrides of `env`; throws config_error.
config load_config(const std::optional<std::filesystem::path>& file, const environment& env);

/// As above, with the process environment.
config load_config(const std::optional<std::filesystem::path>& file);

/// An immutable snapshot to share (actors receive these).
std::shared_ptr<const config> make_snapshot(config value);

/// Loads and snapshots in one go; throws config_error.
std::shared_ptr<const config> load_config_snapshot(const std::optional<std::filesystem::path>& file,
                                                   const environment& env = process_environment());

/// The name of the environment variable overriding `section.key`.
std::string environment_variable_of(std::string_view section, std::string_view key);

}  // namespace tr::app
