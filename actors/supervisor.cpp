#include "actors/supervisor.hpp"

#include <caf/all.hpp>

#include <cstdio>

#include "logging/log.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tr::store::change_event)

namespace tr::actors {

namespace {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;

struct supervisor_state {
  store::subscription subscription;
  static inline const char* name = "supervisor";
};

caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self, data_plane* plane,
                         store::database* db) {
  caf::actor me = caf::actor_cast<caf::actor>(self);
  // Set before any owner exists: owners report crashes from their shards through it.
  plane->on_restart_request(
      [me](const std::string& id) { caf::anon_send(me, restart_atom::value, id); });
  // Subscribe first, then list: a change committed in between arrives as a message after the
  // load and is applied again, which is harmless; the other order would lose it. The feed calls
  // back on the writer's thread, so each event is forwarded as a message and the data plane's
  // control state is only ever touched by this actor.
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
    if (scanned)
      plane->finish_load();
    else
      logging::error("supervisor: cannot load the device routes from the store");
  } else {
    logging::error("supervisor: cannot load the configuration from the store");
  }
  self->delayed_send(self, std::chrono::seconds{1}, tick_atom::value);
  return {
      [plane](const store::change_event& event) { plane->apply(event); },
      [plane](restart_atom, const std::string& id) { plane->restart(id); },
      [self, plane, db](tick_atom) {
        if (auto* shared = db->cluster()) plane->set_replicas(shared->live_count());
        plane->rebalance();
        self->delayed_send(self, std::chrono::seconds{1}, tick_atom::value);
      },
  };
}

}  // namespace

caf::actor spawn_supervisor(caf::actor_system& system, data_plane& plane, store::database& db) {
  return system.spawn(supervisor, &plane, &db);
}

}  // namespace tr::actors
