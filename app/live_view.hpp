#pragma once

#include <chrono>
#include <string>

#include "actors/data_plane.hpp"
#include "actors/metrics.hpp"
#include "api/live_connections.hpp"

namespace tr::app {

/// The admin API's view of this process's data plane: each connection's health from its
/// figures, and test uplinks sent by its owner.
///
/// Single node: a status is this instance's own summary and `replicas` names just this
/// instance. Cluster mode plugs in here: each replica publishes its summary
/// (api::connection_status) through the store at most every 5 s and only when it changed, and
/// status() merges the live replicas' summaries with its own and lists them in `replicas`.
class live_view final : public api::live_connections {
 public:
  /// `instance` names this router in `replicas`; a test uplink is waited for at most
  /// `request_timeout` and a second.
  live_view(actors::data_plane& plane, actors::metrics_registry& metrics, std::string instance,
            std::chrono::milliseconds request_timeout);

  std::optional<api::connection_status> status(std::string_view id) override;
  std::optional<api::test_uplink_result> send_test(std::string_view id) override;

 private:
  actors::data_plane& plane_;
  actors::metrics_registry& metrics_;
  std::string instance_;
  std::chrono::milliseconds request_timeout_;
};

/// This host's name, to name the instance.
std::string instance_name();

}  // namespace tr::app
