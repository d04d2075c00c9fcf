#include "app/cli.hpp"

#include <cstdio>
#include <span>
#include <string_view>

#include "app/demo_command.hpp"
#include "app/serve_command.hpp"
#include "app/token_command.hpp"
#include "tr/version.hpp"

namespace tr::app {

namespace {

constexpr int exit_usage = 2;

int usage_error(const char* message) {
  std::fprintf(stderr, "tunnel-router: %s (see 'tunnel-router help')\n", message);
  return exit_usage;
}

void print_help() {
  std::puts(
      "usage:\n"
      "  tunnel-router serve [--config FILE]\n"
      "  tunnel-router token uplink   --key KEY --body FILE --query QUERY\n"
      "  tunnel-router token downlink --key KEY --query QUERY\n"
      "  tunnel-router keygen\n"
      "  tunnel-router demo [--seconds N] [--rate R] [--connections C]\n"
      "  tunnel-router version");
}

}  // namespace

int run_cli(int argc, char** argv) {
  if (argc < 2) return usage_error("missing command");
  std::string_view command = argv[1];
  std::span<char* const> rest(argv + 2, static_cast<std::size_t>(argc - 2));
  if (command == "version") {
    std::printf("tunnel-router %s\n", version_string);
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    print_help();
    return 0;
  }
  if (command == "token") return run_token_command(rest);
  if (command == "keygen") return run_keygen_command(rest);
  if (command == "serve") return run_serve_command(rest);
  if (command == "demo") return run_demo_command(rest);
  return usage_error("unknown command");
}

}  // namespace tr::app
