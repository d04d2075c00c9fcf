#pragma once

#include <span>

namespace tr::app {

/// `tunnel-router store copy --from FILE --to URI [--force]`: copies a single node's SQLite store
/// (connections, device routes, users) into a PostgreSQL store for cluster mode, re-sealing the
/// keys under TUNNEL_ROUTER_DATA_KEY, and prints the counts. A non-empty target is refused
/// unless --force. Returns 0, 1 (store failure) or 2 (usage).
int run_store_command(std::span<char* const> args);

}  // namespace tr::app
