#pragma once

// Shared set-up of the store tests: a fresh folder per test and a store opened in it.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "store/store.hpp"

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

/// A connection draft with every field set.
inline connection sample_connection(std::string name = "AS one") {
  connection draft;
  draft.name = std::move(name);
  draft.domains = {"tenant-a.example.com", "tenant-b.example.com"};
  draft.url = "https://user:secret@as.example.com:8443/uplink?customer=7";
  draft.type = content_type::json_untyped;
  draft.as_id = "TWA_100002167.1111.AS";
  draft.headers = {{"X-Tenant", "a"}, {"Authorization", "Bearer abc"}};
  draft.additional_info = "line one\nline two";
  draft.max_time_deviation_s = 90;
  return draft;
}

/// A test with a fresh store at <folder>/data/router.db under a fixed data key.
class store_test : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  /// Closes the store (if open) and opens it again on the same file.
  void reopen(std::string data_key = test_data_key) {
    db_.reset();
    auto opened = database::open(open_options{db_path(), std::move(data_key)});
    ASSERT_TRUE(opened) << opened.error_value().message;
    db_ = std::move(*opened);
  }

  std::filesystem::path db_path() const { return folder_.path() / "data" / "router.db"; }

  database& db() { return *db_; }

  temp_folder folder_;
  std::unique_ptr<database> db_;
};

}  // namespace tr::store::testing
