#pragma once

// Shared set-up of the store tests: a fresh folder per test and a store opened in it.

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "store/store.hpp"
#include "tests/store/postgres_server.hpp"

namespace tr::store::testing {

inline constexpr const char* test_data_key =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// A new empty folder under the system temp folder, removed with its content at the end.
class temp_folder {
 public:
  temp_folder() {
    auto pattern = (std::filesystem::temp_directory_path() / "tr-store-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_folder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_folder(const temp_folder&) = delete;
  temp_folder& operator=(const temp_folder&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The whole content of a file, bytes as they are ("" if absent).
inline std::string file_bytes(const std::filesystem::path& file) {
  std::ifstream in{file, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// Defines the domains sample_connection() uses: `Region:EMEA`, `Region:EMEA/France` and
/// `Customer:Acme` (those already there are left as they are).
inline void define_sample_domains(database& db) {
  (void)db.create_domain_group({"Region", "Regions of the world", "#336699", {}});
  (void)db.create_domain_group({"Customer", "", "", {}});
  (void)db.create_domain({"Region", "EMEA", "", true, {}});
  (void)db.create_domain({"Region", "EMEA/France", "", true, {}});
  (void)db.create_domain({"Customer", "Acme", "", true, {}});
}

/// A connection draft with every field set (its domains: define_sample_domains()). Each draft
/// has an AS_ID of its own (`TWA_100002167.1111.AS-<n>`): the store refuses a second
/// connection with an AS_ID already taken.
inline connection sample_connection(std::string name = "AS one") {
  static std::atomic<int> drafts{0};
  connection draft;
  draft.name = std::move(name);
  draft.domains = {{"Region", "EMEA/France"}, {"Customer", "Acme"}};
  draft.url = "https://user:secret@as.example.com:8443/uplink?customer=7";
  draft.type = content_type::json_untyped;
  draft.as_id = "TWA_100002167.1111.AS-" + std::to_string(drafts++);
  draft.headers = {{"X-Tenant", "a"}, {"Authorization", "Bearer abc"}};
  draft.additional_info = "line one\nline two";
  draft.max_time_deviation_s = 90;
  return draft;
}

/// The store implementations every shared store test runs against.
enum class backend { sqlite, postgresql };

/// Printed as its name, so that test names read `.../sqlite`, `.../postgresql`.
inline void PrintTo(backend which, std::ostream* out) {
  *out << (which == backend::sqlite ? "sqlite" : "postgresql");
}

/// Test names: `sqlite`, `postgresql`.
inline std::string backend_name(const ::testing::TestParamInfo<backend>& info) {
  return info.param == backend::sqlite ? "sqlite" : "postgresql";
}

/// A test with a fresh store under a fixed data key: SQLite at <folder>/data/router.db, or a new
/// database on the test PostgreSQL (backend_test).
class store_test : public ::testing::Test {
 protected:
  void SetUp() override {
    reopen();
    if (db_) define_sample_domains(*db_);
  }

  /// Closes the store (if open) and opens it again on the same file or database.
  void reopen(std::string data_key = test_data_key) {
    db_.reset();
    open_options options{db_path(), std::move(data_key), {}};
    if (which() == backend::postgresql) {
      if (!postgres_) postgres_.emplace();
      options.url = postgres_->url();
    }
    auto opened = database::open(options);
    ASSERT_TRUE(opened) << opened.error_value().message;
    db_ = std::move(*opened);
  }

  /// The backend of this test (SQLite unless a backend_test says otherwise).
  virtual backend which() const { return backend::sqlite; }

  std::filesystem::path db_path() const { return folder_.path() / "data" / "router.db"; }

  database& db() { return *db_; }

  void TearDown() override { db_.reset(); }

  temp_folder folder_;
  std::optional<postgres_database_scope> postgres_;
  std::unique_ptr<database> db_;
};

/// A store test run once per backend: TEST_P, and INSTANTIATE_STORE_BACKENDS(suite) once.
class backend_test : public store_test, public ::testing::WithParamInterface<backend> {
 protected:
  backend which() const override { return GetParam(); }
};

#define INSTANTIATE_STORE_BACKENDS(suite)                                                \
  INSTANTIATE_TEST_SUITE_P(backends, suite,                                              \
                           ::testing::Values(::tr::store::testing::backend::sqlite,      \
                                             ::tr::store::testing::backend::postgresql), \
                           ::tr::store::testing::backend_name)

}  // namespace tr::store::testing
