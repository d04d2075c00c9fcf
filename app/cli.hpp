#pragma once

namespace tr::app {

/// Runs the command line of contract.md (`serve`, `token`, `keygen`, `version`); returns the exit
/// code. Bad input prints one line naming the problem on stderr and returns 2.
int run_cli(int argc, char** argv);

}  // namespace tr::app
