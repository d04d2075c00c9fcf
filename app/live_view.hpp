#pragma once

#include <chrono>
#include <string>

#include "actors/data_plane.hpp"
#include "actors/metrics.hpp"
#include "api/live_connections.hpp"
#include "app/cluster_health.hpp"
#include "store/cluster.hpp"

namespace tr::app {

/// The admin API's view of this process's data plane: each connection's health from its
/// figures, and test uplinks sent by its owner.
///
/// Single node: a status is this instance's own summary and `replicas` names just this
/// instance (its host name). Cluster mode (`cluster` given): status() merges this replica's
/// figures with those the other live replicas published (see app/cluster_health.hpp) and
/// `replicas` lists the instance ids merged (this replica's own figures alone when the published
/// ones cannot be read).
class live_view final : public api::live_connections {
 public:
  /// `instance` names this router in `replicas` on a single node.
  live_view(actors::data_plane& plane, actors::metrics_registry& metrics, std::string instance,
            store::cluster_store* cluster = nullptr);

  std::optional<api::connection_status> status(std::string_view id) override;
  /// This replica's own figures of connection `id` (nullopt when it does not run here).
  std::optional<health_figures> own_figures(std::string_view id) const;
  /// This replica's own figures of every connection running here.
  std::vector<std::pair<std::string, health_figures>> all_own_figures() const;
  /// The owner arms the request timeout for the test; should the owner go away first (the
  /// connection replaced or removed, the router stopping), `done` is told so.
  bool send_test(std::string_view id, std::function<void(api::test_uplink_result)> done) override;

 private:
  actors::data_plane& plane_;
  actors::metrics_registry& metrics_;
  std::string instance_;
  store::cluster_store* cluster_;
};

/// This host's name, to name the instance.
std::string instance_name();

}  // namespace tr::app
