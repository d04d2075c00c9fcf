#include "app/help.hpp"

#include <cstdio>

namespace tr::app {

namespace {

/// One command's help: usage line, what it does, its options (a sentence each), an example.
struct command_help {
  std::string_view name;
  std::string_view summary;  ///< one line, for the overview
  std::string_view text;     ///< the rest of `help NAME`
};

constexpr command_help commands[] = {
    {"serve", "run the router",
     "usage: tunnel-router serve [--config FILE]\n"
     "\n"
     "Runs the router until SIGTERM or SIGINT: the NS listener (reports), the public listener\n"
     "(downlinks from ASes) and the admin listener (API, /metrics, /healthz, /readyz, console).\n"
     "Prints \"tunnel-router listening: ...\" once the listeners are up; at the first start it\n"
     "generates the admin token, prints it once and keeps it in admin.token beside the database.\n"
     "Exits 2 on a bad configuration (one line naming the key), 1 when it cannot start (a port\n"
     "taken, the store unreadable), 0 after draining on SIGTERM/SIGINT.\n"
     "\n"
     "options:\n"
     "  --config FILE  the configuration, INI, JSON or XML by its extension; without it the\n"
     "                 embedded defaults (SQLite in data/, loopback listeners). Every key can\n"
     "                 also be set by TUNNEL_ROUTER_<SECTION>_<KEY>.\n"
     "\n"
     "example:\n"
     "  TUNNEL_ROUTER_LOG_FORMAT=json tunnel-router serve --config deploy/router.ini\n"},
    {"token", "compute or check an uplink or downlink token",
     "usage: tunnel-router token uplink   --key KEY --body FILE --query QUERY [--check TOKEN]\n"
     "       tunnel-router token downlink --key KEY --query QUERY [--check TOKEN]\n"
     "\n"
     "The AS developer's debugging tool: computes the token the router sends with an uplink,\n"
     "or the one it expects with a downlink (a Token parameter in QUERY is left out). With\n"
     "--check it checks TOKEN instead: prints \"match\" (exit 0) or \"mismatch: expected\n"
     "TOKEN\" (exit 1).\n"
     "See 'tunnel-router help token uplink' and 'tunnel-router help token downlink'.\n"
     "\n"
     "example:\n"
     "  tunnel-router token downlink --key \"$KEY\" --query \"$QUERY\" --check \"$TOKEN_FROM_THE_AS\"\n"},
    {"token uplink", "",
     "usage: tunnel-router token uplink --key KEY --body FILE --query QUERY [--check TOKEN]\n"
     "\n"
     "Prints the 64-hex token of an uplink: SHA-256 over the report's fields and the query's\n"
     "parameters with the connection's key (a Token parameter in QUERY is ignored). With\n"
     "--check, checks TOKEN instead and prints \"match\" (exit 0) or \"mismatch: expected\n"
     "TOKEN\" (exit 1).\n"
     "\n"
     "options:\n"
     "  --key KEY      the connection's tunnel interface authentication key (32 hex digits).\n"
     "  --body FILE    the uplink body as the AS received it: JSON, JSON untyped or XML.\n"
     "  --query QUERY  the query string of the uplink: LrnDevEui, LrnFPort, LrnInfos, AS_ID and\n"
     "                 Time in any order, percent-encoded or not; a Token is ignored.\n"
     "  --check TOKEN  a token to check (as the AS received it) instead of printing one.\n"
     "\n"
     "example:\n"
     "  tunnel-router token uplink --key f3203a20a2e8dfaf6686b621f56d05e3 \\\n"
     "    --body examples/uplink.json \\\n"
     "    --query 'LrnDevEui=20635F0108000496&LrnFPort=17&LrnInfos=TWA_100002167.1111.AS-1-111974&AS_ID=TWA_100002167.1111.AS&Time=2021-04-07T08:49:51.551+00:00'\n"},
    {"token downlink", "",
     "usage: tunnel-router token downlink --key KEY --query QUERY [--check TOKEN]\n"
     "\n"
     "Prints the 64-hex token the router expects for a downlink: SHA-256 over the parameters in\n"
     "the given order, percent-decoded, the Token parameter left out, and the key. The\n"
     "parameters are checked as the router checks them (DevEUI, FPort, Payload, AS_ID and Time\n"
     "required; a Token 64 hex digits and last), with the router's error messages. With\n"
     "--check, checks TOKEN instead and prints \"match\" (exit 0) or \"mismatch: expected\n"
     "TOKEN\" (exit 1).\n"
     "\n"
     "options:\n"
     "  --key KEY      the connection's tunnel interface authentication key (32 hex digits).\n"
     "  --query QUERY  the query string of POST /thingpark/lrc/rest/downlink, Token last if any.\n"
     "  --check TOKEN  a token to check (as the AS sent it) instead of printing one.\n"
     "\n"
     "example:\n"
     "  tunnel-router token downlink --key f3203a20a2e8dfaf6686b621f56d05e3 \\\n"
     "    --query 'DevEUI=20635F0108000496&FPort=1&Payload=00&AS_ID=TWA_1.1.AS&Time=2026-01-01T00:00:00.000%2B00:00'\n"},
    {"keygen", "print a new tunnel interface authentication key",
     "usage: tunnel-router keygen\n"
     "\n"
     "Prints a new random key of 32 lower-case hex digits, to give a connection ('key' in\n"
     "POST /api/v1/connections) and its AS. No options.\n"
     "\n"
     "example:\n"
     "  KEY=$(tunnel-router keygen)\n"},
    {"demo", "the router with a simulated NS and ASes, live",
     "usage: tunnel-router demo [--seconds N] [--rate R] [--connections C]\n"
     "\n"
     "Starts the router in-process on free loopback ports with a simulated NS and simulated\n"
     "ASes, and prints per-connection rates and fuse states each second; halfway through, one\n"
     "AS turns slow and its fuse reacts while the others go on.\n"
     "\n"
     "options:\n"
     "  --seconds N      how long to run (at least 2; default 60).\n"
     "  --rate R         reports per second sent by the simulated NS (default 3000).\n"
     "  --connections C  how many simulated ASes, 2 to 20 (default 3).\n"
     "\n"
     "example:\n"
     "  tunnel-router demo --seconds 20 --rate 1000\n"},
    {"store", "", "usage: tunnel-router store copy --from FILE --to URI [--force]\n"
     "\n"
     "Store commands; 'copy' is the one there is (see 'tunnel-router help store copy').\n"},
    {"store copy", "copy a single node's store to PostgreSQL (cluster mode)",
     "usage: tunnel-router store copy --from FILE --to URI [--force]\n"
     "\n"
     "Copies the connections (ids kept, keys re-sealed under the cluster's data key), device\n"
     "routes, users, domain groups and domains of a single node's SQLite store into a\n"
     "PostgreSQL database, so that the node can grow into a cluster. Prints the counts copied.\n"
     "The data key of the source comes from data.key beside it (or TUNNEL_ROUTER_DATA_KEY);\n"
     "the target's from TUNNEL_ROUTER_DATA_KEY.\n"
     "\n"
     "options:\n"
     "  --from FILE  the SQLite database of the single node (store.path, e.g. data/router.db).\n"
     "  --to URI     the PostgreSQL database, a libpq URI (postgresql://user@host:5432/db).\n"
     "  --force      copy into a target that is not empty, replacing what it holds.\n"
     "\n"
     "example:\n"
     "  tunnel-router store copy --from data/router.db --to postgresql://router@db:5432/router\n"},
    {"version", "print the version",
     "usage: tunnel-router version\n"
     "\n"
     "Prints \"tunnel-router X.Y.Z\". No options.\n"
     "\n"
     "example:\n"
     "  tunnel-router version\n"},
    {"help", "this list, or the help of one command",
     "usage: tunnel-router help [COMMAND]\n"
     "\n"
     "Without COMMAND, lists the commands; with one, prints its help (the same as\n"
     "'tunnel-router COMMAND --help').\n"
     "\n"
     "example:\n"
     "  tunnel-router help token downlink\n"},
};

}  // namespace

void print_overview() {
  std::puts("usage: tunnel-router COMMAND [OPTIONS]\n\ncommands:");
  for (const auto& c : commands)
    if (!c.summary.empty())
      std::printf("  %-9.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                  static_cast<int>(c.summary.size()), c.summary.data());
  std::puts("\n'tunnel-router help COMMAND' or 'tunnel-router COMMAND --help' for its options.");
}

bool print_command_help(std::string_view command) {
  for (const auto& c : commands) {
    if (c.name != command) continue;
    std::fwrite(c.text.data(), 1, c.text.size(), stdout);
    return true;
  }
  return false;
}

}  // namespace tr::app
