// tr-cluster-bench: measurements of cluster mode on a PostgreSQL store.
//   tr-cluster-bench propagation --url URI [--writes N]
//     two stores on one database (as two replicas have): N device-route writes on the first,
//     each timed until the second publishes it; prints JSON with p50/p99/max in ms.
//   tr-cluster-bench populate --url URI [--connections C] [--routes R]
//     fills an empty store with C connections and R device routes (for the start-up run).
// The data key comes from TUNNEL_ROUTER_DATA_KEY.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

std::string option(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 2; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}

std::unique_ptr<tr::store::database> open_or_die(const std::string& url) {
  auto opened = tr::store::database::open(tr::store::open_options{{}, {}, url});
  if (!opened) {
    std::fprintf(stderr, "tr-cluster-bench: %s\n", opened.error_value().message.c_str());
    std::exit(1);
  }
  return std::move(*opened);
}

std::string dev_eui(std::size_t n) {
  char text[17];
  std::snprintf(text, sizeof text, "%016zX", n);
  return text;
}

int propagation(const std::string& url, int writes) {
  auto a = open_or_die(url);
  auto b = open_or_die(url);
  tr::store::connection draft;
  draft.name = "bench";
  draft.url = "https://as.example.com/up";
  draft.as_id = "BENCH";
  auto made = a->create_connection(draft);
  if (!made) return 1;
  std::mutex mutex;
  std::condition_variable arrived;
  std::string last;
  auto subscription = b->changes().subscribe([&](const tr::store::change_event& e) {
    if (e.kind != tr::store::change_kind::device_routed) return;
    std::lock_guard guard{mutex};
    last = e.id;
    arrived.notify_all();
  });
  std::vector<double> ms;
  for (int i = 0; i < writes; ++i) {
    auto eui = dev_eui(0xB0000000ull + static_cast<std::size_t>(i));
    auto t0 = clock_type::now();
    if (!a->put_device_route(eui, {made->id})) return 1;
    std::unique_lock lock{mutex};
    if (!arrived.wait_for(lock, std::chrono::seconds{5}, [&] { return last == eui; })) {
      std::fprintf(stderr, "tr-cluster-bench: write %d not seen within 5 s\n", i);
      return 1;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[static_cast<std::size_t>(q * (ms.size() - 1))]; };
  std::printf(
      "{\"writes\": %d, \"propagation_ms\": {\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f}, "
      "\"note\": \"write on store A (commit + NOTIFY) until store B published it\"}\n",
      writes, at(0.5), at(0.99), ms.back());
  return 0;
}

int populate(const std::string& url, std::size_t connections, std::size_t routes) {
  auto db = open_or_die(url);
  std::vector<std::string> ids;
  while (ids.size() < connections) {
    std::vector<tr::store::connection> drafts;
    for (std::size_t i = 0; i < 1000 && ids.size() + drafts.size() < connections; ++i) {
      tr::store::connection draft;
      draft.name = "AS " + std::to_string(ids.size() + i);
      draft.url = "https://as" + std::to_string((ids.size() + i) % 100) + ".example.com/up";
      draft.as_id = "AS_" + std::to_string(ids.size() + i);
      drafts.push_back(std::move(draft));
    }
    auto made = db->create_connections(std::move(drafts));
    if (!made) return 1;
    for (auto& one : *made) ids.push_back(one.id);
  }
  for (std::size_t done = 0; done < routes;) {
    std::vector<tr::store::device_route> batch;
    for (std::size_t i = 0; i < 50'000 && done < routes; ++i, ++done)
      batch.push_back({dev_eui(done + 1), {ids[done % ids.size()]}});
    if (!db->import_device_routes(std::move(batch))) return 1;
  }
  std::printf("{\"connections\": %zu, \"routes\": %zu}\n", connections, routes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string what = argc > 1 ? argv[1] : "";
  auto url = option(argc, argv, "--url", "");
  if (url.empty() || (what != "propagation" && what != "populate")) {
    std::fprintf(stderr, "usage: tr-cluster-bench propagation|populate --url URI [...]\n");
    return 2;
  }
  if (what == "propagation") return propagation(url, std::stoi(option(argc, argv, "--writes", "1000")));
  return populate(url, std::stoul(option(argc, argv, "--connections", "100000")),
                  std::stoul(option(argc, argv, "--routes", "1000000")));
}
