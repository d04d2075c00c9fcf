#pragma once

#include <span>

namespace tr::app {

/// `tunnel-router demo [--seconds N] [--rate R] [--connections C]`: the router on its embedded
/// defaults (store in a temp folder, free loopback ports), a simulated NS and AS in-process,
/// connections made through the admin API, live per-connection throughput and fuse state; one
/// AS turns slow half way. Exit 0, or 2 on bad arguments.
int run_demo_command(std::span<char* const> args);

}  // namespace tr::app
