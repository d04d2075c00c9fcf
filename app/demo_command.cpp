#include "app/demo_command.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#if TR_WITH_HARNESS

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "app/cli.hpp"
#include "app/config.hpp"
#include "app/router.hpp"
#include "bench/harness/as_simulator.hpp"
#include "bench/harness/load_generator.hpp"
#include "bench/harness/loopback_http.hpp"
#include "codecs/signing_key.hpp"

namespace tr::app {

namespace {

std::atomic<bool> interrupted{false};

struct demo_options {
  double seconds = 60;
  double rate = 3000;
  std::size_t connections = 3;
  std::uint32_t slow_ms = 1500;
};

/// Per connection, from one /metrics page: delivered, shed, failed + timeout, fuse state.
struct connection_figures {
  double delivered = 0, shed = 0, failed = 0, fuse = 0;
};

std::map<std::string, connection_figures> read_metrics(std::uint16_t admin_port) {
  std::map<std::string, connection_figures> figures;
  auto page = harness::loopback_request(admin_port, "GET", "/metrics");
  std::istringstream lines{page.body};
  std::string line;
  while (std::getline(lines, line)) {
    auto at = line.find("connection=\"");
    if (at == std::string::npos || line[0] == '#') continue;
    auto end = line.find('"', at + 12);
    auto id = line.substr(at + 12, end - at - 12);
    double value = std::atof(line.c_str() + line.rfind(' ') + 1);
    auto& f = figures[id];
    if (line.starts_with("tunnel_router_fuse_state{")) f.fuse = value;
    else if (!line.starts_with("tunnel_router_uplinks_total{")) continue;
    else if (line.find("\"delivered\"") != std::string::npos) f.delivered = value;
    else if (line.find("\"shed\"") != std::string::npos) f.shed = value;
    else f.failed += value;
  }
  return figures;
}

std::string json_string_field(const std::string& json, const std::string& name) {
  auto at = json.find("\"" + name + "\"");
  if (at == std::string::npos) return {};
  auto open = json.find('"', json.find(':', at) + 1);
  auto close = json.find('"', open + 1);
  return json.substr(open + 1, close - open - 1);
}

const char* fuse_name(double state) {
  return state >= 2 ? "OPEN (blacklisted)" : state >= 1 ? "throttling" : "closed";
}

int run(const demo_options& opts) {
  char folder_template[] = "/tmp/tunnel-router-demo.XXXXXX";
  if (!::mkdtemp(folder_template)) {
    std::perror("tunnel-router: demo: temp folder");
    return 1;
  }
  std::string folder = folder_template;
  std::signal(SIGINT, [](int) { interrupted = true; });
  std::signal(SIGPIPE, SIG_IGN);

  // The AS: one simulated server, one endpoint (and key) per connection.
  harness::as_simulator::options as_options;
  as_options.pki_dir = folder + "/as-pki";
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < opts.connections; ++i) {
    auto key = codecs::signing_key::generate();
    keys.emplace_back(key->text());
    as_options.endpoints.push_back({"/as" + std::to_string(i + 1), keys.back(), "fast"});
  }
  harness::as_simulator as{as_options};

  // The router: embedded defaults, but its store in the temp folder and free loopback ports.
  auto cfg = load_config(std::nullopt, environment{});
  cfg.store.path = folder + "/data/router.db";
  cfg.ingress.listen = {"127.0.0.1", 0};
  cfg.public_listener.listen = {"127.0.0.1", 0};
  cfg.admin.listen = {"127.0.0.1", 0};
  cfg.as.ca_file = as.ca_file();
  std::filesystem::create_directories(folder + "/data");
  router r{std::make_shared<const config>(cfg)};
  auto token = r.start();
  std::string bearer = "Bearer " + token.value_or("");
  std::printf("tunnel-router demo: router on ingress 127.0.0.1:%u, admin 127.0.0.1:%u (store in %s)\n",
              r.ingress_port(), r.admin_port(), folder.c_str());
  std::printf("simulated AS on https://localhost:%u, simulated NS at %.0f reports/s for %.0f s\n\n", as.port(),
              opts.rate, opts.seconds);

  // Connections and routes, through the admin API as an operator would.
  std::vector<std::string> ids, names;
  for (std::size_t i = 0; i < opts.connections; ++i) {
    auto name = "as" + std::to_string(i + 1);
    auto made = harness::loopback_request(
        r.admin_port(), "POST", "/api/v1/connections",
        R"({"name":")" + name + R"(","url":"https://localhost:)" + std::to_string(as.port()) + "/" + name +
            R"(","contentType":")" + (i % 3 == 1 ? "XML" : i % 3 == 2 ? "JSON_UNTYPED" : "JSON") +
            R"(","asId":")" + name + R"(.demo","key":")" + keys[i] + R"("})",
        bearer);
    if (made.status != 201) {
      std::fprintf(stderr, "tunnel-router: demo: creating a connection failed (%d): %s\n", made.status,
                   made.body.c_str());
      return 1;
    }
    ids.push_back(json_string_field(made.body, "id"));
    names.push_back(name);
  }
  harness::load_options load;
  load.port = r.ingress_port();
  load.rate = opts.rate;
  load.seconds = opts.seconds;
  load.connections = 2;
  load.streams = 128;
  load.reports.devices = 600;
  harness::report_factory devices{load.reports};
  std::string routes;
  for (std::size_t d = 0; d < devices.devices(); ++d)
    routes += R"({"devEUI":")" + devices.dev_eui(d) + R"(","connections":[")" + ids[d % ids.size()] + "\"]}\n";
  auto imported = harness::loopback_request(r.admin_port(), "POST", "/api/v1/devices:import", routes, bearer,
                                            "application/x-ndjson");
  std::printf("created %zu connections (JSON, XML, JSON_UNTYPED), routed %zu devices: %s\n\n", ids.size(),
              devices.devices(), imported.body.c_str());

  harness::load_generator generator{load};
  std::thread ns{[&] { generator.run(); }};
  auto started = std::chrono::steady_clock::now();
  auto previous = read_metrics(r.admin_port());
  bool slowed = false;
  bool terminal = ::isatty(STDOUT_FILENO);
  for (int second = 1; !interrupted && second <= static_cast<int>(opts.seconds + 0.5); ++second) {
    std::this_thread::sleep_until(started + std::chrono::seconds{second});
    if (!slowed && second >= opts.seconds / 2) {
      as.set_schedule("/" + names.back(), "delay=" + std::to_string(opts.slow_ms));
      slowed = true;
      std::printf(">>> %s now answers after %u ms\n", names.back().c_str(), opts.slow_ms);
    }
    auto now = read_metrics(r.admin_port());
    auto sent = generator.totals();
    if (terminal) std::printf("\033[2K");
    std::printf("t=%3ds  NS sent %llu, accepted %llu\n", second, static_cast<unsigned long long>(sent.sent),
                static_cast<unsigned long long>(sent.accepted));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto& a = now[ids[i]];
      auto& b = previous[ids[i]];
      std::printf("   %-5s delivered %7.0f/s  shed %6.0f/s  failed %5.0f/s  fuse %s\n", names[i].c_str(),
                  a.delivered - b.delivered, a.shed - b.shed, a.failed - b.failed, fuse_name(a.fuse));
    }
    std::fflush(stdout);
    previous = std::move(now);
  }
  generator.stop();
  ns.join();
  auto stats = as.stats();
  std::printf("\nAS side:");
  for (auto& s : stats)
    if (s.path != "*")
      std::printf("  %s %llu verified, %llu bad tokens;", s.path.c_str(), static_cast<unsigned long long>(s.verified),
                  static_cast<unsigned long long>(s.bad_token));
  std::printf("\n");
  r.stop(std::chrono::seconds{2});
  as.stop();
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);
  return 0;
}

/// Reads option `name` into `out` if given: a number that `accepts`, described by `expected`;
/// otherwise sets `problem` naming the option and the value.
template <class Accepts>
bool read_number(const command_options& options, std::string_view name, Accepts accepts,
                 std::string_view expected, double& out, std::string& problem) {
  auto text = options.get(name);
  if (!text) return true;
  std::string value(*text);
  char* end = nullptr;
  double number = std::strtod(value.c_str(), &end);
  if (end != value.c_str() + value.size() || !std::isfinite(number) || !accepts(number)) {
    problem = std::string(name) + ": '" + value + "' is not " + std::string(expected);
    return false;
  }
  out = number;
  return true;
}

}  // namespace

int run_demo_command(std::span<char* const> args) {
  demo_options opts;
  command_options options(args, {"--seconds", "--rate", "--connections"});
  std::string problem = options.problem();
  double connections = static_cast<double>(opts.connections);
  if (problem.empty() &&
      read_number(
          options, "--seconds", [](double n) { return n >= 2; }, "a number of at least 2",
          opts.seconds, problem) &&
      read_number(
          options, "--rate", [](double n) { return n > 0; }, "a number above 0", opts.rate,
          problem) &&
      read_number(
          options, "--connections", [](double n) { return n >= 2 && n <= 20; },
          "a number from 2 to 20", connections, problem))
    opts.connections = static_cast<std::size_t>(connections);
  if (!problem.empty()) {
    std::fprintf(stderr, "tunnel-router: demo: %s\n", problem.c_str());
    return 2;
  }
  try {
    return run(opts);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tunnel-router: demo: %s\n", e.what());
    return 1;
  }
}

}  // namespace tr::app

#else

namespace tr::app {

int run_demo_command(std::span<char* const>) {
  std::fprintf(stderr, "tunnel-router: demo: this build has no load harness (configure with TR_BUILD_BENCH=ON)\n");
  return 2;
}

}  // namespace tr::app

#endif
