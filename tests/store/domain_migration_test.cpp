// Schema step 3 on both backends: a database of version 1 or 2, with plain domain strings and
// is_admin flags, opened by this router keeps every connection, key and user, its strings
// turned into domains of group `default`.

#include <map>

#include "store/detail/crypto.hpp"
#include "store/detail/postgres.hpp"
#include "store/detail/postgres_schema.hpp"
#include "store/detail/schema.hpp"
#include "store/detail/sql_port.hpp"
#include "tests/store/store_fixture.hpp"

namespace tr::store::testing {
namespace {

constexpr std::string_view connection_id = "00000000000000c1";
constexpr std::string_view legacy_key = "0123456789abcdef0123456789abcdef";

/// A store of an older schema version, filled with raw rows as that version wrote them.
class legacy_store : public backend_test {
 protected:
  void SetUp() override {}

  /// Builds a database at `version` (1 or 2) holding one connection and two users.
  void build(int version) {
    if (which() == backend::postgresql) {
      postgres_.emplace();
      detail::pg_connection raw{postgres_->url()};
      ASSERT_TRUE(detail::migrate_postgres(raw, version));
      detail::pg_port port{raw};
      fill(port, "'\\x" + sealed_hex() + "'::bytea", "TRUE", "FALSE");
    } else {
      std::filesystem::create_directories(db_path().parent_path());
      detail::sqlite_db raw{db_path().string()};
      ASSERT_TRUE(detail::migrate(raw, version));
      detail::sqlite_port port{raw};
      fill(port, "X'" + sealed_hex() + "'", "1", "0");
    }
  }

  /// The legacy connection's key sealed as every version seals it.
  static std::string sealed_hex() {
    auto bytes = *detail::from_hex(test_data_key);
    detail::data_key key{std::span<const unsigned char, detail::data_key::size>{
        reinterpret_cast<const unsigned char*>(bytes.data()), detail::data_key::size}};
    return detail::to_hex(
        detail::sealer{key}.seal(legacy_key, "connection-key:" + std::string{connection_id}));
  }

  static void fill(detail::sql_port& db, const std::string& sealed, const std::string& yes,
                   const std::string& no) {
    db.run(
        "INSERT INTO connections (id, name, url, content_type, as_id, additional_info, "
        "max_time_deviation_s, sealed_key, created_at, updated_at) VALUES ('" +
        std::string{connection_id} +
        "', 'AS one', 'https://as.example.com/up', 'JSON', 'AS1', '', 60, " + sealed +
        ", '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z')");
    auto domain = [&](std::string_view position, std::string_view text) {
      db.run("INSERT INTO connection_domains (connection_id, position, domain) VALUES ($1, $2, $3)",
             {std::string{connection_id}, std::string{position}, std::string{text}});
    };
    domain("0", "tenant-a.example.com");
    domain("1", "EMEA/France");
    domain("2", "bad//path");
    auto user = [&](std::string_view id, std::string_view name, const std::string& admin) {
      db.run("INSERT INTO users (id, name, token_hash, is_admin, created_at) VALUES ($1, $2, $3, " +
                 admin + ", '2024-01-01T00:00:00.000Z')",
             {std::string{id}, std::string{name}, std::string(64, name.front())});
    };
    user("00000000000000a1", "admin", yes);
    user("00000000000000b1", "tenant", no);
    user("00000000000000b2", "customer-c", no);  // token hashes differ by first letter
    auto restriction = [&](std::string_view id, std::string_view position, std::string_view text) {
      db.run("INSERT INTO user_domains (user_id, position, domain) VALUES ($1, $2, $3)",
             {std::string{id}, std::string{position}, std::string{text}});
    };
    restriction("00000000000000a1", "0", "admin.example.com");
    restriction("00000000000000b1", "0", "tenant-a.example.com");
    restriction("00000000000000b2", "0", "tenant-c.example.com ");  // no path: a blank at its end
  }

  /// The users by id.
  std::map<std::string, user> users_by_id() {
    std::map<std::string, user> out;
    auto all = db().list_users();
    EXPECT_TRUE(all);
    if (all)
      for (auto& one : *all) out.emplace(one.id, one);
    return out;
  }
};

TEST_P(legacy_store, a_version_2_database_keeps_every_connection_user_and_domain_string) {
  build(2);
  reopen();
  ASSERT_TRUE(db_);
  EXPECT_EQ(db().schema_version(), detail::schema_version);  // the same on both backends

  auto found = db().get_connection(connection_id);
  ASSERT_TRUE(found) << found.error_value().message;
  EXPECT_EQ(found->key, legacy_key);
  EXPECT_EQ(found->domains, (std::vector<domain_ref>{{"default", "tenant-a.example.com"},
                                                     {"default", "EMEA/France"}}));

  auto groups = db().list_domain_groups();
  ASSERT_TRUE(groups);
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ(groups->front().name, "default");
  std::vector<std::string> names;
  auto domains = db().list_domains();
  ASSERT_TRUE(domains);
  for (const auto& one : *domains) {
    EXPECT_EQ(one.group, "default");
    EXPECT_EQ(one.active, one.name != "unmigrated") << one.name;
    names.push_back(one.name);
  }
  // The parent of a path is made with it; the admin's string is not a restriction.
  EXPECT_EQ(names, (std::vector<std::string>{"EMEA", "EMEA/France", "tenant-a.example.com",
                                             "unmigrated"}));

  auto users = users_by_id();
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users["00000000000000a1"].role, role::admin);
  EXPECT_TRUE(users["00000000000000a1"].domains.empty());
  EXPECT_EQ(users["00000000000000b1"].role, role::connections_manager);
  EXPECT_EQ(users["00000000000000b1"].domains,
            (std::vector<domain_ref>{{"default", "tenant-a.example.com"}}));
  // A user none of whose strings became a domain stays restricted, to a domain holding nothing
  // (without any domain it would see every connection).
  EXPECT_EQ(users["00000000000000b2"].role, role::connections_manager);
  EXPECT_EQ(users["00000000000000b2"].domains,
            (std::vector<domain_ref>{{"default", "unmigrated"}}));

  // What did not become a domain is kept verbatim, nothing lost.
  db_.reset();
  std::vector<std::vector<std::string>> kept;
  auto read_kept = [&](detail::sql_port& port) {
    for (auto& row : port.query("SELECT owner_kind, owner_id, text FROM unmigrated_domains ORDER "
                                "BY owner_kind, owner_id"))
      kept.push_back(row);
  };
  if (which() == backend::postgresql) {
    detail::pg_connection raw{postgres_->url()};
    detail::pg_port port{raw};
    read_kept(port);
  } else {
    detail::sqlite_db raw{db_path().string()};
    detail::sqlite_port port{raw};
    read_kept(port);
  }
  EXPECT_EQ(kept, (std::vector<std::vector<std::string>>{
                      {"connection", std::string{connection_id}, "bad//path"},
                      {"user", "00000000000000a1", "admin.example.com"},
                      {"user", "00000000000000b2", "tenant-c.example.com "}}));
}

TEST_P(legacy_store, a_version_1_database_gains_the_paused_flag_and_the_domains) {
  build(1);
  reopen();
  ASSERT_TRUE(db_);
  EXPECT_EQ(db().schema_version(), detail::schema_version);  // the same on both backends
  auto all = db().list_connections();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_FALSE(all->front().paused);
  EXPECT_EQ(all->front().domains.size(), 2u);
}

TEST_P(legacy_store, a_migrated_domain_is_refused_deletion_while_a_connection_uses_it) {
  build(2);
  reopen();
  ASSERT_TRUE(db_);
  auto refused = db().delete_domain({"default", "EMEA/France"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error_value().code, error_code::conflict);
  EXPECT_NE(refused.error_value().message.find(std::string{connection_id}), std::string::npos)
      << refused.error_value().message;
}

INSTANTIATE_STORE_BACKENDS(legacy_store);

}  // namespace
}  // namespace tr::store::testing
