#include "actors/supervisor.hpp"

#include <caf/all.hpp>

#include <cstdio>
#include <map>

#include "actors/fuse_actor.hpp"
#include "logging/log.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tr::store::change_event)

namespace tr::actors {

namespace {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;

/// A fuse actor the supervisor watches: which connection, and the link to restart it with.
struct watched_fuse {
  std::string connection;
  std::weak_ptr<fuse_actor_link> link;
};

/// Runs `fn`; an exception fails that one step (logged), never the supervisor, whose death
/// would take every fuse actor with it.
template <class F>
void guarded(const char* step, F&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    logging::error("supervisor: a step failed", {{"step", step}, {"reason", e.what()}});
  }
}

struct supervisor_state {
  store::subscription subscription;
  std::map<caf::actor_addr, watched_fuse> fuses;
  static inline const char* name = "supervisor";
};

caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self, data_plane* plane,
                         store::database* db) {
  caf::actor me = caf::actor_cast<caf::actor>(self);
  // Set before any owner exists: owners report crashes from their shards through it.
  plane->on_restart_request(
      [me](const std::string& id) { caf::anon_send(me, restart_atom::value, id); });
  // Every connection's fuse is an actor linked to this one; a fuse that fails is restarted
  // here, alone, with the same link (its owner keeps running and gets the fresh fuse's state).
  plane->on_fuse_spawn([self](const std::string& id, const fuse::params& params,
                              std::uint64_t seed) -> std::shared_ptr<fuse_link> {
    auto link = std::make_shared<fuse_actor_link>(params, seed);
    auto made = spawn_fuse_actor(self, link, id);
    self->state.fuses[made.address()] = {id, link};
    return link;
  });
  self->set_exit_handler([self, plane](caf::exit_msg& msg) {
    auto it = self->state.fuses.find(msg.source);
    if (it == self->state.fuses.end()) {
      self->quit(msg.reason);  // the router shuts down: the linked fuse actors go with this one
      return;
    }
    auto watched = std::move(it->second);
    self->state.fuses.erase(it);
    auto link = watched.link.lock();
    if (!link || msg.reason == caf::exit_reason::normal ||
        msg.reason == caf::exit_reason::user_shutdown)
      return;  // its connection was removed
    plane->metrics().connection(watched.connection)->fuse_restarts.fetch_add(
        1, std::memory_order_relaxed);
    logging::warning("fuse actor restarted", {{"connection", watched.connection}});
    auto made = spawn_fuse_actor(self, link, watched.connection);
    self->state.fuses[made.address()] = std::move(watched);
  });
  // Subscribe first, then list: a change committed in between arrives as a message after the
  // load and is applied again, which is harmless; the other order would lose it. The feed calls
  // back on the writer's thread or the store's listener, so each event is forwarded as a message
  // and the data plane's control state is only ever touched by this actor.
  self->state.subscription = db->changes().subscribe(
      [me](const store::change_event& event) { caf::anon_send(me, event); });
  // Routes come in batches straight into the shards' tables: a million of them are never held
  // twice, nor sorted.
  auto connections = db->list_connections();
  if (connections) {
    plane->load_connections(*connections);
    connections->clear();
    auto scanned = db->scan_device_routes(50'000, [plane](std::vector<store::device_route> batch) {
      plane->load_routes(std::move(batch));
    });
    if (scanned) {
      plane->finish_load();
    } else {
      logging::error("supervisor: cannot load the device routes from the store",
                     {{"reason", scanned.error_value().message}});
      plane->fail_load("cannot load the device routes: " + scanned.error_value().message);
    }
  } else {
    logging::error("supervisor: cannot load the configuration from the store",
                   {{"reason", connections.error_value().message}});
    plane->fail_load("cannot load the connections: " + connections.error_value().message);
  }
  self->delayed_send(self, std::chrono::seconds{1}, tick_atom::value);
  return {
      [plane](const store::change_event& event) {
        guarded("applying a change", [&] { plane->apply(event); });
      },
      [plane](restart_atom, const std::string& id) {
        guarded("restarting a connection", [&] { plane->restart(id); });
      },
      [self, plane, db](tick_atom) {
        guarded("sharing the fuse ceilings", [&] {
          if (auto* shared = db->cluster()) plane->set_replicas(shared->live_count());
        });
        guarded("rebalancing", [&] { plane->rebalance(); });
        self->delayed_send(self, std::chrono::seconds{1}, tick_atom::value);
      },
  };
}

}  // namespace

caf::actor spawn_supervisor(caf::actor_system& system, data_plane& plane, store::database& db) {
  return system.spawn(supervisor, &plane, &db);
}

}  // namespace tr::actors
