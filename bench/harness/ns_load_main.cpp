// tr-ns-load: the NS load generator of the harness (see load_generator.hpp).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bench/harness/load_generator.hpp"

namespace {

void usage() {
  std::fputs(
      "usage: tr-ns-load --port P [--host H] [--rate N | --max] [--seconds S] [--warmup W] "
      "[--connections C]\n"
      "                  [--streams M] [--shards T] [--batch B] [--devices D] [--first-dev-eui "
      "HEX] [--query ?connection=ID]\n"
      "                  [--quiet] [--print-devices]\n"
      "  open loop at N requests/s, or closed loop (--max) keeping C x M requests in flight; "
      "--batch\n"
      "  posts B reports per request to /v1/reports:batch. Progress on stderr, a JSON summary on "
      "stdout.\n"
      "  --warmup: the first W seconds of the S are sent but not measured (no latency recorded "
      "here,\n"
      "  send time 0 in the reports, which the AS simulator leaves out).\n"
      "  --print-devices: print the devices' DevEUIs, one a line, and exit.\n",
      stderr);
}

}  // namespace

int main(int argc, char** argv) {
  tr::harness::load_options options;
  bool quiet = false, print_devices = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--host")
      options.host = value();
    else if (arg == "--port")
      options.port = static_cast<std::uint16_t>(std::stoi(value()));
    else if (arg == "--rate")
      options.rate = std::stod(value());
    else if (arg == "--max")
      options.rate = 0;
    else if (arg == "--seconds")
      options.seconds = std::stod(value());
    else if (arg == "--warmup")
      options.warmup_seconds = std::stod(value());
    else if (arg == "--connections")
      options.connections = std::stoul(value());
    else if (arg == "--streams")
      options.streams = std::stoul(value());
    else if (arg == "--shards")
      options.shards = std::stoul(value());
    else if (arg == "--batch")
      options.batch = std::stoul(value());
    else if (arg == "--devices")
      options.reports.devices = std::stoul(value());
    else if (arg == "--first-dev-eui")
      options.reports.first_dev_eui = std::stoull(value(), nullptr, 16);
    else if (arg == "--query")
      options.query = value();
    else if (arg == "--quiet")
      quiet = true;
    else if (arg == "--print-devices")
      print_devices = true;
    else {
      usage();
      return 2;
    }
  }
  if (print_devices) {
    tr::harness::report_factory factory{options.reports};
    for (std::size_t i = 0; i < factory.devices(); ++i)
      std::printf("%s\n", factory.dev_eui(i).c_str());
    return 0;
  }
  if (options.port == 0) {
    usage();
    return 2;
  }
  if (options.batch > 0 && options.path == "/v1/reports") options.path = "/v1/reports:batch";
  tr::harness::load_generator generator{options};
  std::uint64_t last_sent = 0;
  auto result = generator.run([&](const tr::harness::load_totals& totals, double elapsed) {
    if (quiet) return;
    auto line =
        tr::harness::progress_line(totals, elapsed, static_cast<double>(totals.sent - last_sent));
    last_sent = totals.sent;
    std::fprintf(stderr, "\r%s", line.c_str());
  });
  if (!quiet) std::fputs("\n", stderr);
  std::printf("%s\n", result.to_json().c_str());
  return 0;
}
