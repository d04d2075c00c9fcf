// Store throughput on a real SQLite file (WAL, synchronous=FULL) in a temp folder:
// - BM_import_device_routes/N: one bulk import of N devices into a fresh store (target: 100,000
//   devices in under 5 s);
// - BM_load_connections/N: reading all N connections with their keys decrypted, what the router
//   does at start (target: 10,000 connections in under 1 s);
// - BM_open_and_load_connections/N: the same including opening the file;
// - BM_create_connection: one acknowledged (fsynced) single write.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "store/store.hpp"

namespace {

using namespace tr::store;

constexpr const char* bench_data_key =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// A fresh store in a new temp folder, removed at the end.
class scratch_store {
 public:
  scratch_store() {
    auto pattern = (std::filesystem::temp_directory_path() / "tr-store-bench-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    folder_ = pattern;
    db_ = open();
  }
  ~scratch_store() {
    db_.reset();
    std::filesystem::remove_all(folder_);
  }

  std::unique_ptr<database> open() const {
    auto opened = database::open(open_options{folder_ / "router.db", bench_data_key, {}});
    if (!opened) throw std::runtime_error(opened.error_value().message);
    return std::move(*opened);
  }

  database& db() { return *db_; }
  void close() { db_.reset(); }

 private:
  std::filesystem::path folder_;
  std::unique_ptr<database> db_;
};

connection sample(int i) {
  connection draft;
  draft.name = "connection " + std::to_string(i);
  draft.domains = {{"Tenant", "tenant-" + std::to_string(i % 50)}};
  draft.url = "https://as" + std::to_string(i) + ".example.com/uplink";
  draft.as_id = "TWA_100002167." + std::to_string(i) + ".AS";
  draft.headers = {{"X-Tenant", std::to_string(i % 50)}, {"Authorization", "Bearer abcdef"}};
  return draft;
}

std::vector<std::string> make_connections(database& db, int count) {
  // The 50 tenant domains the samples use (already there after the first call).
  (void)db.create_domain_group({"Tenant", "", "", {}});
  for (int i = 0; i < 50; ++i)
    (void)db.create_domain({"Tenant", "tenant-" + std::to_string(i), "", true, {}});
  std::vector<connection> drafts;
  for (int i = 0; i < count; ++i) drafts.push_back(sample(i));
  auto made = db.create_connections(std::move(drafts));
  if (!made) throw std::runtime_error(made.error_value().message);
  std::vector<std::string> ids;
  for (const auto& one : *made) ids.push_back(one.id);
  return ids;
}

void BM_import_device_routes(benchmark::State& state) {
  const auto devices = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto store = std::make_unique<scratch_store>();
    auto ids = make_connections(store->db(), 100);
    std::vector<device_route> routes;
    routes.reserve(devices);
    for (int i = 0; i < devices; ++i) {
      char dev_eui[17];
      std::snprintf(dev_eui, sizeof dev_eui, "%016llX",
                    0x20635F0100000000ull + static_cast<unsigned long long>(i));
      // Every tenth device goes to two connections.
      if (i % 10 == 0)
        routes.push_back({dev_eui, {ids[i % 100], ids[(i + 1) % 100]}});
      else
        routes.push_back({dev_eui, {ids[i % 100]}});
    }
    state.ResumeTiming();
    auto imported = store->db().import_device_routes(std::move(routes));
    if (!imported) state.SkipWithError(imported.error_value().message.c_str());
    state.PauseTiming();
    store.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * devices);
}
BENCHMARK(BM_import_device_routes)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond);

void BM_load_connections(benchmark::State& state) {
  const auto count = static_cast<int>(state.range(0));
  scratch_store store;
  make_connections(store.db(), count);
  for (auto _ : state) {
    auto all = store.db().list_connections();
    if (!all || all->size() != static_cast<std::size_t>(count)) state.SkipWithError("load failed");
    benchmark::DoNotOptimize(all);
  }
  state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(BM_load_connections)->Arg(100)->Arg(1'000)->Arg(10'000)->Unit(benchmark::kMillisecond);

void BM_open_and_load_connections(benchmark::State& state) {
  const auto count = static_cast<int>(state.range(0));
  scratch_store store;
  make_connections(store.db(), count);
  store.close();
  for (auto _ : state) {
    auto db = store.open();
    auto all = db->list_connections();
    if (!all || all->size() != static_cast<std::size_t>(count)) state.SkipWithError("load failed");
  }
  state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(BM_open_and_load_connections)->Arg(10'000)->Unit(benchmark::kMillisecond);

void BM_create_connection(benchmark::State& state) {
  scratch_store store;
  int i = 0;
  for (auto _ : state) {
    auto made = store.db().create_connection(sample(i++));
    if (!made) state.SkipWithError(made.error_value().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_create_connection)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
