#include <sqlite3.h>

#include "tests/store/store_fixture.hpp"

namespace tr::store::testing {
namespace {

using schema = store_test;

/// The text of a single-valued query on the raw file.
std::string raw_query(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* raw = nullptr;
  sqlite3_open(file.c_str(), &raw);
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW)
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
  return out;
}

TEST_F(schema, a_new_database_is_at_the_current_schema_version) {
  EXPECT_EQ(db().schema_version(), 3);
  db_.reset();
  EXPECT_EQ(raw_query(db_path(), "PRAGMA user_version"), "3");
}

TEST_F(schema, the_paused_flag_is_stored) {
  auto made = db().create_connection(sample_connection());
  ASSERT_TRUE(made);
  auto changed = *made;
  changed.paused = true;
  ASSERT_TRUE(db().update_connection(changed));
  reopen();
  EXPECT_TRUE(db().get_connection(made->id)->paused);
}

TEST_F(schema, a_new_database_uses_write_ahead_logging) {
  db_.reset();
  EXPECT_EQ(raw_query(db_path(), "PRAGMA journal_mode"), "wal");
}

TEST_F(schema, reopening_keeps_the_version_and_migrates_nothing) {
  ASSERT_TRUE(db().create_connection(sample_connection()));
  reopen();
  EXPECT_EQ(db().schema_version(), 3);
  EXPECT_EQ(db().list_connections()->size(), 1u);
}

TEST_F(schema, a_database_of_a_newer_schema_is_refused) {
  db_.reset();
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &raw), SQLITE_OK);
  sqlite3_exec(raw, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  auto opened = database::open(open_options{db_path(), test_data_key, {}});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error_value().code, error_code::schema_too_new);
  EXPECT_NE(opened.error_value().message.find("99"), std::string::npos);
}

TEST_F(schema, foreign_keys_are_enforced_for_device_routes) {
  auto routed = db().put_device_route("0000000000000001", {"0123456789abcdef"});
  ASSERT_FALSE(routed);
  EXPECT_EQ(routed.error_value().code, error_code::unknown_connection);
}

}  // namespace
}  // namespace tr::store::testing
