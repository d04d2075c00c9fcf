#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/data_plane.hpp"
#include "actors/downlink_verifier.hpp"
#include "actors/metrics.hpp"
#include "app/ns_forwarder.hpp"
#include "logging/log.hpp"
#include "transport/http_listener.hpp"
#include "transport/tls_context.hpp"

namespace tr::app {

/// The JSON posted to the NS for an accepted downlink (README "Behaviour worth knowing",
/// downlinks): connection, asId, DevEUI, FPort, Payload, the optional FCntDn, Confirmed,
/// FlushDownlinkQueue, ValidityTime and CorrelationID when the AS sent them, and Time.
std::string downlink_json(const actors::downlink_verdict& verdict);

/// The public listener's service: `POST /thingpark/lrc/rest/downlink` from an AS. Each downlink
/// is verified (actors::downlink_verifier, against the calling shard's routes; in cluster mode
/// the shared store's replay and rate check runs off the shard and the answer comes back to it),
/// then POSTed as JSON to the NS from the request's shard; the AS gets 200 "Request queued by
/// LRC" once the NS accepted it, or 503 when there is no NS URL or the NS failed (then the
/// token is given back unless the NS may have queued it). Refusals are counted by outcome and
/// logged at most every 10 s. Other paths get 404, other methods 405.
///
/// serve() runs on shard threads; the NS forwarders are per shard and used on their shard only.
class downlink_service {
 public:
  struct options {
    std::optional<ns_target> ns;  ///< ns.downlink_url; none: every downlink gets 503
    std::chrono::milliseconds ns_timeout{10'000};  ///< as.request_timeout_ms
    std::size_t ns_http1_pipeline = 1;  ///< ns.http1_pipeline
  };

  /// `shards` is the runtime's shard count; `tls` (as.ca_file) is used toward an https NS.
  downlink_service(actors::data_plane& plane, actors::metrics_registry& metrics,
                   actors::downlink_verifier& verifier, transport::tls_context tls,
                   std::size_t shards, options opts);

  /// The listener's limits: a downlink carries its parameters in the query; bodies ≤ 64 KiB.
  static transport::server_options limits();

  /// Serves one request (the listener's http_service).
  void serve(const transport::request_origin& origin, transport::http_server_connection& connection,
             const transport::request& request);

  /// Lets go of the NS sessions' state; after the runtime has stopped.
  void stop();

 private:
  /// Sends an accepted downlink to the NS and answers the AS (on the request's shard).
  void deliver(const transport::request_origin& origin, actors::downlink_verdict verdict);
  /// A refused downlink, logged at most every 10 s (with how many were not).
  void log_refused(const transport::request_origin& origin,
                   const actors::downlink_verdict& verdict);

  actors::data_plane& plane_;
  actors::metrics_registry& metrics_;
  actors::downlink_verifier& verifier_;
  transport::tls_context tls_;
  options options_;
  /// The NS session of shard `home` that carries the downlinks of device `dev_eui`.
  ns_forwarder& lane_for(transport::shard& home, std::string_view dev_eui);

  /// By shard, each used on its shard: the sessions toward the NS, each opened on first use.
  std::vector<std::vector<std::shared_ptr<ns_forwarder>>> lanes_;
  std::mutex log_mutex_;
  logging::rate_limit log_limit_{std::chrono::seconds{10}};
};

}  // namespace tr::app
