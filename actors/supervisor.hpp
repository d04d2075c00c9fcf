#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/data_plane.hpp"
#include "store/database.hpp"

namespace tr::actors {

/// The supervisor: a CAF actor on the control plane that owns the data plane's configuration.
/// At start it loads every connection and route from the store; then it receives every
/// committed change (the store's change feed forwards each event to it as a message) and
/// applies it to the data plane, which spawns, reconfigures or retires connection owners on
/// their shards and updates every shard's routing replica. One actor, so changes apply in
/// commit order. Every second it samples the shards' busy time and the connections' uplink
/// rates and lets the data plane move connections between shards: one off a shard that stays
/// busier than the others, or, while the load is light, up to 64 onto the shard their reports
/// arrive on (rebalance_policy in actors/placement.hpp); in cluster mode it also passes the number
/// of live replicas on, which divides each connection's fuse ceiling (data_plane::set_replicas).
///
/// Supervision: it spawns one fuse actor per connection (actors/fuse_actor.hpp), linked to
/// itself, and traps their exits: a fuse actor that fails is restarted alone, starting closed,
/// with the same link to its connection (`tunnel_router_fuse_restarts_total`). A connection
/// owner that fails (an exception on its shard) asks for its replacement through the data
/// plane; the supervisor replaces it alone, on the same shard, bound to the same fuse
/// (`tunnel_router_connection_restarts_total`). A connection whose configuration cannot run
/// (e.g. http:// without as.allow_http) gets no owner: its reports are still routed to it and
/// shed (counted), and its reason is logged and shown in its status.
///
/// The returned actor holds the store subscription; send it `caf::exit_reason::user_shutdown`
/// (with anon_send_exit) before the actor_system is destroyed.
caf::actor spawn_supervisor(caf::actor_system& system, data_plane& plane, store::database& db);

}  // namespace tr::actors
