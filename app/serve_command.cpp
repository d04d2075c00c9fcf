#include "app/serve_command.hpp"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include <sys/stat.h>

#include "app/cli.hpp"
#include "app/config.hpp"
#include "app/router.hpp"

namespace tr::app {

namespace {

/// Keeps the generated admin token where the operator finds it again: `admin.token` beside the
/// database, readable by the owner only.
void keep_admin_token(const config& cfg, const std::string& token) {
  auto folder = std::filesystem::path{cfg.store.path}.parent_path();
  auto file = folder / "admin.token";
  {
    std::ofstream out{file, std::ios::trunc};
    out << token << "\n";
  }
  ::chmod(file.c_str(), 0600);
  std::printf("admin token (shown once, also in %s): %s\n", file.c_str(), token.c_str());
}

}  // namespace

int run_serve_command(std::span<char* const> args) {
  command_options options(args, {"--config"});
  if (!options.problem().empty()) {
    std::fprintf(stderr, "tunnel-router: serve: %s\n", options.problem().c_str());
    return 2;
  }
  std::optional<std::filesystem::path> file;
  if (auto given = options.get("--config")) file = *given;
  std::shared_ptr<const config> cfg;
  try {
    cfg = load_config_snapshot(file);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tunnel-router: %s\n", e.what());
    return 2;
  }

  // Block the stop signals before any thread starts, so every thread inherits the mask and the
  // main thread alone receives them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  router r{cfg};
  try {
    if (auto token = r.start()) keep_admin_token(*cfg, *token);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tunnel-router: %s\n", e.what());
    return 1;
  }
  std::printf("tunnel-router listening: ingress %s:%u, public %s:%u, admin %s:%u\n",
              cfg->ingress.listen.host.c_str(), r.ingress_port(),
              cfg->public_listener.listen.host.c_str(), r.public_port(),
              cfg->admin.listen.host.c_str(), r.admin_port());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::printf("tunnel-router: %s received, draining\n", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  std::fflush(stdout);
  if (auto abandoned = r.stop(std::chrono::milliseconds{cfg->runtime.drain_timeout_ms}))
    std::printf(
        "tunnel-router: stopped; the drain deadline passed with %llu uplinks in flight, "
        "cut off (counted as failed)\n",
        static_cast<unsigned long long>(abandoned));
  else
    std::printf("tunnel-router: stopped\n");
  std::fflush(stdout);
  return 0;
}

}  // namespace tr::app
