// tr-as-sim: the simulated application server of the load harness (see as_simulator.hpp).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>

#include "bench/harness/as_simulator.hpp"

namespace {

void usage() {
  std::fputs(
      "usage: tr-as-sim [--host H] [--port P] [--shards N] [--pki DIR] [--plain] [--http1-only]\n"
      "                 [--endpoint PATH,KEY,SCHEDULE]... [--endpoints-file FILE] [--print-every SECONDS]\n"
      "                 [--print-requests]\n"
      "  --print-requests: print each request (query, content type, token verdict, body)\n"
      "  KEY: the connection's 32-hex key ('-': count arrivals only)\n"
      "  SCHEDULE: phases 'fast', 'delay=MS', 'error=RATE', 'stop', each optionally 'SECONDS+...',\n"
      "            joined by ';', e.g. 'fast;5+delay=800' or '2+stop;6+fast'\n"
      "  the file has one PATH,KEY,SCHEDULE per line. GET /stats, POST /control?path=P&schedule=S,\n"
      "  POST /reset on the same port.\n",
      stderr);
}

}  // namespace

int main(int argc, char** argv) {
  tr::harness::as_simulator::options options;
  double print_every = 0;
  auto add_endpoint = [&](std::string_view text) {
    auto endpoint = tr::harness::parse_endpoint(text);
    if (!endpoint) {
      std::fprintf(stderr, "tr-as-sim: bad endpoint '%.*s'\n", static_cast<int>(text.size()), text.data());
      std::exit(2);
    }
    options.endpoints.push_back(*endpoint);
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--host") options.host = value();
    else if (arg == "--port") options.port = static_cast<std::uint16_t>(std::stoi(value()));
    else if (arg == "--shards") options.shards = std::stoul(value());
    else if (arg == "--pki") options.pki_dir = value();
    else if (arg == "--plain") options.tls = false;
    else if (arg == "--http1-only") options.alpn = {"http/1.1"};
    else if (arg == "--print-requests") options.print_requests = true;
    else if (arg == "--endpoint") add_endpoint(value());
    else if (arg == "--print-every") print_every = std::stod(value());
    else if (arg == "--endpoints-file") {
      std::ifstream file{value()};
      std::string line;
      while (std::getline(file, line))
        if (!line.empty() && line[0] != '#') add_endpoint(line);
    } else {
      usage();
      return 2;
    }
  }
  if (options.tls && options.pki_dir.empty()) options.pki_dir = "as-sim-pki";

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<tr::harness::as_simulator> simulator;
  try {
    simulator = std::make_unique<tr::harness::as_simulator>(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tr-as-sim: %s\n", e.what());
    return 1;
  }
  std::printf("tr-as-sim listening: %s:%u ca_file=%s refused_port=%u\n", options.host.c_str(), simulator->port(),
              simulator->ca_file().c_str(), simulator->refused_port());
  std::fflush(stdout);

  if (print_every > 0) {
    std::thread([&] {
      for (;;) {
        std::this_thread::sleep_for(std::chrono::duration<double>(print_every));
        std::printf("%s\n", simulator->stats_json().c_str());
        std::fflush(stdout);
      }
    }).detach();
  }
  int signal = 0;
  sigwait(&stop_signals, &signal);
  simulator->stop();
  std::printf("%s\n", simulator->stats_json().c_str());
  std::fflush(stdout);
  std::_Exit(0);  // the printer thread may still be asleep
}
