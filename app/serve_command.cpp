#include "app/serve_command.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "app/cli.hpp"
#include "app/config.hpp"
#include "app/router.hpp"
#include "logging/log.hpp"

namespace tr::app {

namespace {

/// Keeps the generated admin token where the operator finds it again: `admin.token` beside the
/// database, readable by the owner only.
void keep_admin_token(const config& cfg, const std::string& token) {
  auto folder = std::filesystem::path{cfg.store.path}.parent_path();
  auto file = folder / "admin.token";
  // Created 0600, never readable by others even for a moment; an existing file is made 0600
  // before its content is replaced.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  bool kept = fd >= 0 && ::fchmod(fd, 0600) == 0;
  std::string text = token + "\n";
  for (std::size_t done = 0; kept && done < text.size();) {
    auto wrote = ::write(fd, text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    kept = wrote > 0;
    if (kept) done += static_cast<std::size_t>(wrote);
  }
  if (fd >= 0) ::close(fd);
  if (!kept)
    logging::warning("cannot write the admin token file",
                     {{"file", file.c_str()}, {"reason", std::strerror(errno)}});
  if (logging::current_format() == logging::format::json) {
    // JSON lines go to a log collector: the token stays in the file, unless it could not be
    // kept there (else it would be lost).
    if (kept)
      logging::write(logging::level::warning, "admin token generated: read it in the file",
                     {{"file", file.c_str()}});
    else
      logging::write(logging::level::warning, "admin token generated (shown once)",
                     {{"file", file.c_str()}, {"token", token}});
  } else
    std::printf("admin token (shown once, also in %s): %s\n", file.c_str(), token.c_str());
}

/// A line about the router's life: as before on stdout in text form (scripts wait for
/// "tunnel-router listening"), a log line in JSON form.
void announce(const std::string& text, std::string_view message,
              std::initializer_list<logging::field> fields) {
  if (logging::current_format() == logging::format::json) {
    logging::info(message, fields);
    return;
  }
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
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
  logging::configure(cfg->log.format, cfg->log.level);

  // Block the stop signals before any thread starts, so every thread inherits the mask and the
  // main thread alone receives them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  // SIGHUP (a reload or log rotation by habit) and SIGUSR1/2 would end the process at once
  // without a drain: they are taken and logged instead.
  sigset_t waited = stop_signals;
  for (int ignored : {SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&waited, ignored);
  pthread_sigmask(SIG_BLOCK, &waited, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  router r{cfg};
  try {
    // The token is kept and printed as soon as it is stored: a start that fails after that
    // (a port taken) must not lose it, since later starts do not generate one again.
    r.start([&](const std::string& token) { keep_admin_token(*cfg, token); });
  } catch (const stopped_during_start& e) {
    // Asked to stop before anything was served: done at once, without waiting for the load
    // still running on the control thread (a large store takes seconds; its queries hold no
    // write). Exit 0, as for any SIGTERM.
    std::fprintf(stderr, "tunnel-router: %s\n", e.what());
    std::fflush(nullptr);
    std::_Exit(0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tunnel-router: %s\n", e.what());
    return 1;
  }
  auto at = [](const endpoint& listen, std::uint16_t port) {
    return to_string(endpoint{listen.host, port});
  };
  auto ingress = at(cfg->ingress.listen, r.ingress_port());
  auto public_at = at(cfg->public_listener.listen, r.public_port());
  auto admin = at(cfg->admin.listen, r.admin_port());
  announce(
      "tunnel-router listening: ingress " + ingress + ", public " + public_at + ", admin " + admin,
      "listening", {{"ingress", ingress}, {"public", public_at}, {"admin", admin}});

  int signal = 0;
  for (;;) {
    sigwait(&waited, &signal);
    if (signal == SIGTERM || signal == SIGINT) break;
    logging::warning(
        "signal ignored: the configuration is read at start only (restart to apply "
        "a change), logs go to stderr (nothing to reopen)",
        {{"signal", signal == SIGHUP    ? "SIGHUP"
                    : signal == SIGUSR1 ? "SIGUSR1"
                                        : "SIGUSR2"}});
  }
  std::string name = signal == SIGTERM ? "SIGTERM" : "SIGINT";
  if (cfg->runtime.shutdown_delay_ms > 0) {
    // Not ready, still serving: whoever balances the load stops sending before the listeners
    // close. A second signal cuts the delay short.
    r.unready();
    auto delay = std::to_string(cfg->runtime.shutdown_delay_ms);
    announce("tunnel-router: " + name + " received, not ready, draining in " + delay + " ms",
             "unready", {{"signal", name}, {"delay_ms", delay}});
    timespec wait{static_cast<time_t>(cfg->runtime.shutdown_delay_ms / 1000),
                  static_cast<long>(cfg->runtime.shutdown_delay_ms % 1000) * 1'000'000L};
    while (sigtimedwait(&stop_signals, nullptr, &wait) < 0 && errno == EINTR) {
    }
  }
  announce("tunnel-router: " + name + " received, draining", "draining", {{"signal", name}});
  if (auto abandoned = r.stop(std::chrono::milliseconds{cfg->runtime.drain_timeout_ms})) {
    auto count = std::to_string(abandoned);
    announce("tunnel-router: stopped; the drain deadline passed with " + count +
                 " uplinks in flight, cut off (counted as failed)",
             "stopped", {{"cut_off", count}});
  } else {
    announce("tunnel-router: stopped", "stopped", {});
  }
  return 0;
}

}  // namespace tr::app
