#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "codecs/encoders.hpp"
#include "codecs/signing_key.hpp"
#include "store/model.hpp"

namespace tr::actors {

/// Options that apply to every connection (from the router's configuration).
struct connection_defaults {
  bool allow_http = false;                          ///< as.allow_http
  std::chrono::milliseconds request_timeout{5000};  ///< as.request_timeout_ms
  /// This replica's share of fuse.max_concurrency (the data plane divides the configured total
  /// among live replicas); 0: the fuse's own max_limit.
  std::uint32_t max_concurrency = 0;
};

/// What the data path needs of one connection, derived once per configuration change and
/// shared immutably (`std::shared_ptr<const connection_config>`) with the shard running it:
/// the AS's address split for connecting, the request line's fixed part, the header fields in
/// wire form, the body format and the key.
struct connection_config {
  std::string id;     ///< connection id (metric label, routing)
  std::string as_id;  ///< AS_ID sent in every uplink
  std::string name;   ///< the connection's name, for log lines
  codecs::body_format format = codecs::body_format::json;
  codecs::signing_key key;
  bool tls = true;   ///< https (else plain http, only with allow_http)
  std::string host;  ///< to resolve, for SNI and certificate verification
  std::uint16_t port = 443;
  std::string authority;    ///< :authority / Host: host[:port], without userinfo
  std::string path_prefix;  ///< path, the URL's own query if any, then "?" or "&"
  /// Header fields in wire order: content-type, authorization (from URL userinfo, which wins
  /// over a custom Authorization header), then the custom headers.
  std::vector<store::header> headers;
  std::chrono::milliseconds request_timeout{5000};
  std::uint32_t max_concurrency = 0;  ///< the fuse's in-flight ceiling here (0: its own)
  std::int64_t max_time_deviation_s = 60;
  bool paused = false;     ///< uplinks are counted as `paused`, not sent
  std::string updated_at;  ///< the store's version of this configuration
};

/// The result of deriving a configuration: a snapshot or the reason it cannot run.
struct connection_config_result {
  std::shared_ptr<const connection_config> config;
  std::string error;  ///< empty on success
};

/// Derives the data path's view of a stored connection. Fails (with a reason) for a URL that is
/// not absolute http(s), http without `allow_http`, or a key that is not 32 hex digits.
connection_config_result make_connection_config(const store::connection& source,
                                                const connection_defaults& defaults);

}  // namespace tr::actors
