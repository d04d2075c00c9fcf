#pragma once

// The embedded defaults of every configuration key (the README's "Configuration" table), in one place.
// `tunnel-router serve` without a file runs on exactly these.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tr::app::defaults {

// [store]
inline constexpr std::string_view store_path =
    "data/router.db";  ///< SQLite file; data.key beside it
/// PostgreSQL URI shared by every replica (cluster mode); empty: SQLite at store_path.
inline constexpr std::string_view store_url = "";

// [ingress] NS side, h2c and HTTP/1.1
inline constexpr std::string_view ingress_listen = "127.0.0.1:7080";
/// Largest request body: a report is 1-2 KB; 4 MiB lets a `reports:batch` carry ~2,000 reports.
inline constexpr std::size_t ingress_max_body_bytes = 4 * 1024 * 1024;
/// NS connections older than this (less up to 20 % jitter) get a GOAWAY and reconnect, so that
/// behind a load balancer they spread over replicas added since. 0: connections live forever.
inline constexpr std::uint32_t ingress_max_connection_age_s = 300;
/// An NS keeps a few long-lived connections; the caps of the three listeners stay well under
/// the descriptor limit (raised to its hard limit at start) so that admin stays reachable.
inline constexpr std::size_t ingress_max_connections = 1024;

// [public] AS side, downlinks
inline constexpr std::string_view public_listen = "127.0.0.1:7443";
inline constexpr std::string_view public_tls_cert = "";  ///< empty: plain HTTP, with a warning
inline constexpr std::string_view public_tls_key = "";
inline constexpr std::size_t public_max_connections = 4096;

// [admin] admin API, metrics, health, console
inline constexpr std::string_view admin_listen = "127.0.0.1:7090";
inline constexpr std::string_view admin_token =
    "";  ///< empty: generated at first start, printed once
/// Largest request body: a `devices:import` NDJSON line is ~70 bytes, so 16 MiB is ~200,000
/// devices.
inline constexpr std::size_t admin_max_body_bytes = 16 * 1024 * 1024;
inline constexpr std::size_t admin_max_connections = 64;
/// A quarter of the cap: one address (a script, a browser's six, a flood) cannot take it all,
/// so the probes and the operators of other addresses still get in.
inline constexpr std::size_t admin_max_connections_per_address = 16;
/// A configured admin.token shorter than this is refused at start.
inline constexpr std::size_t admin_token_min_length = 32;
inline constexpr bool admin_metrics_token_required = false;

// [ns]
inline constexpr std::string_view ns_downlink_url = "";  ///< empty: downlinks are refused with 503
/// Downlinks sent ahead of their answers on one HTTP/1.1 connection to an `http://` NS.
inline constexpr std::uint32_t ns_http1_pipeline = 8;

// [as] the application servers the router calls
inline constexpr std::string_view as_ca_file = "";  ///< empty: the system trust store only
inline constexpr bool as_allow_http = false;
/// An uplink POST not answered within this time is a failure (timeout) for the fuse.
inline constexpr std::uint32_t as_request_timeout_ms = 5000;
/// Never connected to, whatever a connection URL says (checked on the resolved address): link
/// local and cloud metadata, "this network", multicast. The router's own listeners are refused
/// besides.
inline constexpr std::string_view as_deny_networks =
    "169.254.0.0/16, fe80::/10, 0.0.0.0/8, 224.0.0.0/4, ff00::/8";
/// A session to an AS whose TCP connect and TLS handshake are not done within this is abandoned.
inline constexpr std::uint32_t as_handshake_timeout_ms = 5000;
/// A session to an AS that carried nothing for this long is closed; 0: never.
inline constexpr std::uint32_t as_idle_timeout_ms = 60'000;
/// HTTP/1.1 carries one request at a time per connection: an AS without h2 takes at most this
/// many uplinks in flight per shard (about this many per its latency per second).
inline constexpr std::uint32_t as_http1_connections = 8;

// [runtime]
inline constexpr std::uint32_t runtime_shards = 0;  ///< 0: one I/O shard per core
inline constexpr std::uint32_t runtime_drain_timeout_ms = 10'000;
/// Bare processes stop taking connections at once; behind a load balancer that learns of the
/// stop late (a Kubernetes Service), set a few seconds (the chart sets 5 s).
inline constexpr std::uint32_t runtime_shutdown_delay_ms = 0;
/// A client connection whose TLS handshake and first request's headers take longer is closed.
inline constexpr std::uint32_t runtime_header_timeout_ms = 10'000;
/// A client connection where no request makes progress for this long (none open) is closed.
inline constexpr std::uint32_t runtime_idle_timeout_ms = 30'000;

// [fuse] per connection (the rules: actors/fuse.hpp)
/// Consecutive failures (errors, timeouts; never our own sheds) that open the fuse.
inline constexpr std::uint32_t fuse_failure_threshold = 5;
/// First blacklist period of an open fuse; doubled (with jitter) after each failed probe.
inline constexpr std::uint32_t fuse_backoff_initial_ms = 2000;
/// Ceiling of the blacklist period.
inline constexpr std::uint32_t fuse_backoff_max_ms = 30000;
/// The adaptive in-flight limit never goes below this (throttling keeps one request going).
inline constexpr std::uint32_t fuse_min_concurrency = 1;
/// Nor above this; an AS with a lower SETTINGS_MAX_CONCURRENT_STREAMS lowers it further.
inline constexpr std::uint32_t fuse_max_concurrency = 512;
/// Latency above which the limit shrinks; well under the request timeout.
inline constexpr std::uint32_t fuse_latency_target_ms = 1000;

// [downlink] per connection token bucket on the AS side
inline constexpr std::uint32_t downlink_rate_per_s = 10;  ///< sustained downlinks per second
inline constexpr std::uint32_t downlink_burst = 20;       ///< bucket size

// [log] the router's log lines (logging/log.hpp), on stderr
inline constexpr std::string_view log_format = "text";  ///< text | json (JSON lines)
inline constexpr std::string_view log_level = "info";   ///< debug | info | warning | error

}  // namespace tr::app::defaults
