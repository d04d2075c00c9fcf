#include <sqlite3.h>
#include <sys/stat.h>

#include "tests/store/store_fixture.hpp"

namespace tr::store::testing {
namespace {

using key_encryption = store_test;

constexpr const char* other_data_key =
    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

/// Runs one SQL statement on the raw file, outside the store.
void raw_exec(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
  char* message = nullptr;
  EXPECT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
      << (message ? message : "");
  sqlite3_free(message);
  sqlite3_close(raw);
}

TEST_F(key_encryption, never_writes_a_key_in_clear_to_the_database_files) {
  auto draft = sample_connection();
  draft.key = "f3203a20a2e8dfaf6686b621f56d05e3";
  auto made = db().create_connection(draft);
  ASSERT_TRUE(made);
  auto renewed = db().regenerate_key(made->id);
  ASSERT_TRUE(renewed);
  const std::string raw_key("\xf3\x20\x3a\x20\xa2\xe8\xdf\xaf\x66\x86\xb6\x21\xf5\x6d\x05\xe3", 16);
  for (const char* suffix : {"", "-wal"}) {
    auto bytes = file_bytes(db_path().string() + suffix);
    EXPECT_EQ(bytes.find(draft.key), std::string::npos) << suffix;
    EXPECT_EQ(bytes.find("F3203A20A2E8DFAF6686B621F56D05E3"), std::string::npos) << suffix;
    EXPECT_EQ(bytes.find(raw_key), std::string::npos) << suffix;
    EXPECT_EQ(bytes.find(renewed->key), std::string::npos) << suffix;
  }
  db_.reset();  // checkpoints the WAL into the main file
  EXPECT_EQ(file_bytes(db_path()).find(renewed->key), std::string::npos);
}

TEST_F(key_encryption, opening_with_another_data_key_fails_clearly) {
  ASSERT_TRUE(db().create_connection(sample_connection()));
  db_.reset();
  auto opened = database::open(open_options{db_path(), other_data_key, {}});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error_value().code, error_code::wrong_data_key);
  EXPECT_NE(opened.error_value().message.find("data key"), std::string::npos);
}

TEST_F(key_encryption, refuses_a_malformed_data_key) {
  db_.reset();
  auto opened = database::open(open_options{db_path(), "abc", {}});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error_value().code, error_code::bad_data_key);
}

TEST_F(key_encryption, a_sealed_key_moved_to_another_row_does_not_decrypt) {
  auto first = db().create_connection(sample_connection("first"));
  auto second = db().create_connection(sample_connection("second"));
  ASSERT_TRUE(first && second);
  db_.reset();
  raw_exec(db_path(),
           "UPDATE connections SET sealed_key = (SELECT sealed_key FROM connections "
           "WHERE id = '" +
               first->id + "') WHERE id = '" + second->id + "'");
  reopen();
  auto read = db().get_connection(second->id);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error_value().code, error_code::wrong_data_key);
  EXPECT_TRUE(db().get_connection(first->id));
}

TEST(data_key_file, is_created_with_mode_0600_at_first_start_and_reused_after) {
  ::unsetenv("TUNNEL_ROUTER_DATA_KEY");
  temp_folder folder;
  auto path = folder.path() / "router.db";
  std::string key;
  {
    auto opened = database::open(path);
    ASSERT_TRUE(opened) << opened.error_value().message;
    define_sample_domains(**opened);
    auto made = (*opened)->create_connection(sample_connection());
    ASSERT_TRUE(made);
    key = made->key;
  }
  auto key_file = folder.path() / "data.key";
  struct stat info {};
  ASSERT_EQ(::stat(key_file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  EXPECT_EQ(file_bytes(key_file).size(), 65u);
  auto opened = database::open(path);
  ASSERT_TRUE(opened) << opened.error_value().message;
  EXPECT_EQ((*opened)->list_connections()->at(0).key, key);
}

TEST(data_key_file, a_malformed_file_is_refused_naming_it) {
  ::unsetenv("TUNNEL_ROUTER_DATA_KEY");
  temp_folder folder;
  std::ofstream{folder.path() / "data.key"} << "not a key\n";
  auto opened = database::open(folder.path() / "router.db");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error_value().code, error_code::bad_data_key);
  EXPECT_NE(opened.error_value().message.find("data.key"), std::string::npos);
}

TEST(data_key_file, is_not_needed_when_the_environment_carries_the_key) {
  temp_folder folder;
  ::setenv("TUNNEL_ROUTER_DATA_KEY", other_data_key, 1);
  auto opened = database::open(folder.path() / "router.db");
  ::unsetenv("TUNNEL_ROUTER_DATA_KEY");
  ASSERT_TRUE(opened) << opened.error_value().message;
  EXPECT_FALSE(std::filesystem::exists(folder.path() / "data.key"));
  define_sample_domains(**opened);
  ASSERT_TRUE((*opened)->create_connection(sample_connection()));
  opened->reset();
  auto with_explicit = database::open(open_options{folder.path() / "router.db", other_data_key, {}});
  EXPECT_TRUE(with_explicit);
}

}  // namespace
}  // namespace tr::store::testing
