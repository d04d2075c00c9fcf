#pragma once

#include <span>

namespace tr::app {

/// `tunnel-router token uplink --key KEY --body FILE --query QUERY` and
/// `tunnel-router token downlink --key KEY --query QUERY`: prints the 64-hex token. `args` are
/// the words after `token`. Bad input prints one line on stderr and returns 2.
int run_token_command(std::span<char* const> args);

/// `tunnel-router keygen`: prints a new tunnel interface authentication key.
int run_keygen_command(std::span<char* const> args);

}  // namespace tr::app
