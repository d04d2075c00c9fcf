#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/model.hpp"

namespace tr::store {

/// What a committed write changed.
enum class change_kind {
  connection_created,  ///< `connection` holds the new connection
  connection_updated,  ///< `connection` holds the new value
  connection_deleted,  ///< `id` names it; its device routes are gone with it
  key_regenerated,     ///< `connection` holds the value with the new key
  device_routed,       ///< `route` holds the device's new route
  device_unrouted,     ///< `id` names the DevEUI whose route was deleted
  devices_imported,    ///< `routes` holds every route the bulk import wrote
};

/// One committed change. Snapshots are immutable and shared by every subscriber.
struct change_event {
  change_kind kind;
  std::string id;  ///< connection id or DevEUI
  std::shared_ptr<const tr::store::connection> connection;
  std::shared_ptr<const device_route> route;
  std::shared_ptr<const std::vector<device_route>> routes;
  /// devices_imported only: `routes` is the whole routing table (a full reload), so devices
  /// absent from it have no route any more.
  bool complete = false;
};

/// A subscriber's callback. It runs after the commit, in commit order, on the writing thread
/// (SQLite) or on the PostgreSQL store's listening thread (cluster mode), and must be quick (hand
/// the event on, e.g. to an actor). It may read the store but not write to it (such a write fails
/// with error_code::reentrant_write).
using change_callback = std::function<void(const change_event&)>;

class change_feed;

/// Keeps a subscription alive; unsubscribes when destroyed or reset.
class subscription {
 public:
  subscription() = default;
  subscription(subscription&&) noexcept = default;
  subscription& operator=(subscription&& other) noexcept;
  subscription(const subscription&) = delete;
  subscription& operator=(const subscription&) = delete;
  ~subscription();

  /// Stops the callback. A publish already under way on another thread may still call it once.
  void reset();

 private:
  friend class change_feed;
  struct state;
  subscription(std::weak_ptr<state> feed, std::uint64_t id) : feed_(std::move(feed)), id_(id) {}
  std::weak_ptr<state> feed_;
  std::uint64_t id_ = 0;
};

/// A thread-safe list of subscribers. Publishing copies nothing but a pointer to the current
/// list (copy-on-write), so callbacks may subscribe or unsubscribe while being called.
class change_feed {
 public:
  change_feed();

  /// Registers a callback; it is called until the returned subscription goes away.
  [[nodiscard]] subscription subscribe(change_callback callback);

  /// Calls every subscriber with the event. An exception from a callback is swallowed.
  void publish(const change_event& event) const;

 private:
  std::shared_ptr<subscription::state> state_;
};

}  // namespace tr::store
