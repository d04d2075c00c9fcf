#pragma once

#include <cstddef>

#include "actors/data_plane.hpp"
#include "actors/metrics.hpp"
#include "transport/http_listener.hpp"

namespace tr::app {

/// The uplink ingress: the NS's `POST /v1/reports` (one report) and `POST /v1/reports:batch`
/// (newline-separated reports), handed to the data plane's ingress on the shard that read them
/// and answered there. A large batch is read a slice at a time (about 64 KiB of lines per loop
/// turn), the shard's other connections served in between; its answer is the same as in one go.
/// Other paths get 404, other methods 405. Shard threads only (serve); the object outlives the
/// runtime's shards.
class ingress_service {
 public:
  ingress_service(actors::data_plane& plane, actors::metrics_registry& metrics);

  /// The listener's limits: a batch may carry `max_body_bytes`, a single report at most 64 KiB
  /// of them, any other path no body; a body over its limit counts as a `too_large` report.
  transport::server_options limits(std::size_t max_body_bytes);

  /// Serves one request (the listener's http_service).
  void serve(const transport::request_origin& origin, transport::http_server_connection& connection,
             const transport::request& request);

 private:
  actors::data_plane& plane_;
  actors::metrics_registry& metrics_;
};

}  // namespace tr::app
