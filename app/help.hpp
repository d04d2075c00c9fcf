#pragma once

#include <string_view>

namespace tr::app {

/// Prints the list of commands, a line each (`tunnel-router help`).
void print_overview();

/// Prints the help of one command: what it does, a sentence per option, an example. `command`
/// is `serve`, `token`, `token uplink`, `token downlink`, `keygen`, `version`, `demo`, `store`,
/// `store copy` or `help`.
/// False (nothing printed) for an unknown command.
bool print_command_help(std::string_view command);

}  // namespace tr::app
