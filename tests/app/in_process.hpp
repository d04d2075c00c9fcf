#pragma once
// Parts of the tests that run router pieces in the test process itself (services, supervision,
// the cluster tests): a store, a CAF configuration, a downlink Time.

#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>

#include "store/database.hpp"

namespace tr::test {

/// A SQLite store in `folder`, with a fixed data key.
inline std::unique_ptr<store::database> open_store(const std::string& folder) {
  store::open_options options;
  options.path = folder + "/store.db";
  options.data_key_hex = std::string(64, 'a');
  auto opened = store::database::open(options);
  if (!opened) throw std::runtime_error("cannot open the store");
  return std::move(*opened);
}

/// CAF as the router configures it: one scheduler thread, the sharing policy, no console log.
inline std::unique_ptr<caf::actor_system_config> make_caf_config() {
  auto made = std::make_unique<caf::actor_system_config>();
  made->set("scheduler.max-threads", 1);
  made->set("scheduler.policy", caf::atom("sharing"));
  made->set("logger.console", caf::atom("none"));
  return made;
}

/// Now as the wire carries a downlink's Time (percent-encoded ISO 8601 with an offset).
inline std::string wire_time() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d%%3A%02d%%3A%02d.000%%2B00%%3A00",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace tr::test
