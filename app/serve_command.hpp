#pragma once

#include <span>

namespace tr::app {

/// `tunnel-router serve [--config FILE]`: runs the router until SIGTERM or SIGINT, then stops
/// gracefully and returns 0. Bad configuration: one line on stderr, exit 2; a start-up failure
/// (port taken, store unreadable): one line on stderr, exit 1.
int run_serve_command(std::span<char* const> args);

}  // namespace tr::app
