// tr-downlink-urls: distinct, signed downlink URLs (docs/protocol.md §3) for a load tool such
// as `h2load -i FILE`, each valid once (the router refuses replays) within the time window.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "codecs/query.hpp"
#include "codecs/time.hpp"
#include "codecs/token_signer.hpp"
#include "bench/harness/report_factory.hpp"

int main(int argc, char** argv) {
  std::string key, as_id, base;
  std::size_t count = 1000;
  tr::harness::report_factory::options devices;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view arg = argv[i];
    std::string value = argv[i + 1];
    if (arg == "--key") key = value;
    else if (arg == "--as-id") as_id = value;
    else if (arg == "--base") base = value;
    else if (arg == "--count") count = std::stoul(value);
    else if (arg == "--devices") devices.devices = std::stoul(value);
    else if (arg == "--first-dev-eui") devices.first_dev_eui = std::stoull(value, nullptr, 16);
    else {
      std::fputs("usage: tr-downlink-urls --key KEY --as-id AS_ID --base http://HOST:PORT [--count N]\n"
                 "                        [--devices D] [--first-dev-eui HEX]\n", stderr);
      return 2;
    }
  }
  auto parsed = tr::codecs::signing_key::parse(key);
  if (!parsed || as_id.empty() || base.empty()) {
    std::fputs("tr-downlink-urls: --key (32 hex), --as-id and --base are required\n", stderr);
    return 2;
  }
  tr::harness::report_factory factory{devices};
  tr::codecs::token_signer signer{*parsed};
  auto now = std::chrono::system_clock::now();
  std::string query, time;
  char token[tr::codecs::token_size];
  for (std::size_t i = 0; i < count; ++i) {
    time.clear();
    tr::codecs::append_time(now - std::chrono::milliseconds{i % 5000}, time);
    char payload[17];
    std::snprintf(payload, sizeof payload, "%016zx", i);
    query = "DevEUI=" + factory.dev_eui(i) + "&FPort=" + std::to_string(1 + i % 200) + "&Payload=" + payload +
            "&AS_ID=";
    tr::codecs::percent_encode(as_id, query);
    query += "&Time=";
    tr::codecs::percent_encode(time, query);
    if (!signer.sign_downlink(query, std::span<char, tr::codecs::token_size>{token}).ok()) return 1;
    std::printf("%s/thingpark/lrc/rest/downlink?%s&Token=%.*s\n", base.c_str(), query.c_str(),
                static_cast<int>(tr::codecs::token_size), token);
  }
  return 0;
}
