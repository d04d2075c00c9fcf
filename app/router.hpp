#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "app/config.hpp"

namespace tr::app {

/// The whole router in one process: the store, the I/O runtime (one shard per core), the data
/// plane (connection owners, routing replicas, ingress, downlink verification and delivery),
/// the control plane (a CAF actor system with the supervisor and the admin worker) and the
/// three listeners (ingress, public, admin).
///
/// Start-up problems (store cannot open, a port is taken, a TLS file is bad) throw
/// std::runtime_error with a one-line reason. `stop()` is graceful: listeners close, /readyz
/// turns 503, in-flight requests finish within `drain`, then everything stops.
/// What start() throws when SIGTERM or SIGINT arrived while it waited for the stored
/// configuration to load: nothing was served yet.
struct stopped_during_start : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class router {
 public:
  explicit router(std::shared_ptr<const config> configuration);
  ~router();
  router(const router&) = delete;
  router& operator=(const router&) = delete;

  /// Opens the store, starts the runtime, the supervisor and the listeners. Returns the admin
  /// token generated at the first start (to print once), if any. `generated`, if given, gets
  /// that token as soon as it is stored, before anything else can fail: later starts never
  /// generate one again, so a first start that fails must not lose it.
  std::optional<std::string> start(const std::function<void(const std::string&)>& generated = {});

  /// `/readyz` answers 503 from now on; everything else goes on (the start of a stop whose
  /// load balancer needs time to notice).
  void unready();

  /// Graceful stop (idempotent). Returns the uplinks still in flight when `drain` ran out (cut
  /// off then: their sessions close and they count as failed); 0 when everything finished.
  std::uint64_t stop(std::chrono::milliseconds drain = std::chrono::seconds{10});

  std::uint16_t ingress_port() const;
  std::uint16_t public_port() const;
  std::uint16_t admin_port() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tr::app
