// What only the shared PostgreSQL store does: schema under an advisory lock, the data key from
// the environment, and the changes of one replica published by the others.

#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "tests/store/store_fixture.hpp"
#include "store/detail/postgres_schema.hpp"
#include "tests/support/eventually.hpp"

namespace tr::store::testing {
namespace {

constexpr const char* other_data_key =
    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

class postgres_store : public ::testing::Test {
 protected:
  result<std::unique_ptr<database>> open(std::string key = test_data_key) {
    return database::open(open_options{{}, std::move(key), scope_.url()});
  }
  postgres_database_scope scope_;
};

using tr::test::eventually;

TEST_F(postgres_store, a_new_database_is_at_the_current_schema_version) {
  auto db = open();
  ASSERT_TRUE(db) << db.error_value().message;
  EXPECT_EQ((*db)->schema_version(), tr::store::detail::postgres_schema_version);
  EXPECT_TRUE((*db)->path().empty());
}

TEST_F(postgres_store, two_replicas_starting_at_once_on_an_empty_database_both_open) {
  std::vector<std::future<result<std::unique_ptr<database>>>> starting;
  for (int i = 0; i < 4; ++i)
    starting.push_back(std::async(std::launch::async, [this] { return open(); }));
  for (auto& one : starting) {
    auto db = one.get();
    ASSERT_TRUE(db) << db.error_value().message;
    EXPECT_EQ((*db)->schema_version(), tr::store::detail::postgres_schema_version);
  }
}

TEST_F(postgres_store, a_database_of_a_newer_schema_is_refused) {
  ASSERT_TRUE(open());
  postgres_admin("SELECT 1");  // the server answers
  {
    auto url = scope_.url();
    PGconn* raw = PQconnectdb(url.c_str());
    PQclear(PQexec(raw, "UPDATE schema_version SET version = 99"));
    PQfinish(raw);
  }
  auto again = open();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error_value().code, error_code::schema_too_new);
  EXPECT_NE(again.error_value().message.find("99"), std::string::npos);
}

TEST_F(postgres_store, opening_with_another_data_key_fails_clearly) {
  ASSERT_TRUE(open());
  auto other = open(other_data_key);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error_value().code, error_code::wrong_data_key);
}

TEST_F(postgres_store, without_a_data_key_the_variable_is_named) {
  ::unsetenv("TUNNEL_ROUTER_DATA_KEY");
  auto db = open("");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error_value().code, error_code::bad_data_key);
  EXPECT_NE(db.error_value().message.find("TUNNEL_ROUTER_DATA_KEY"), std::string::npos);
}

TEST_F(postgres_store, an_unreachable_server_is_unavailable) {
  auto db = database::open(open_options{{}, test_data_key, "postgresql://postgres@127.0.0.1:1/x"});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error_value().code, error_code::unavailable);
}

/// Two stores on one database, as two replicas have.
class two_replicas : public postgres_store {
 protected:
  void SetUp() override {
    auto a = open(), b = open();
    ASSERT_TRUE(a && b);
    a_ = std::move(*a);
    b_ = std::move(*b);
    define_sample_domains(*a_);
    subscription_ = b_->changes().subscribe([this](const change_event& e) {
      std::lock_guard guard{mutex_};
      seen_.push_back(e);
    });
  }
  std::vector<change_event> seen() {
    std::lock_guard guard{mutex_};
    return seen_;
  }
  std::unique_ptr<database> a_, b_;
  std::mutex mutex_;
  std::vector<change_event> seen_;
  subscription subscription_;
};

TEST_F(two_replicas, a_connection_created_on_one_is_published_by_the_other) {
  auto made = a_->create_connection(sample_connection());
  ASSERT_TRUE(made);
  ASSERT_TRUE(eventually([&] { return !seen().empty(); }));
  auto events = seen();
  EXPECT_EQ(events[0].kind, change_kind::connection_created);
  ASSERT_TRUE(events[0].connection);
  EXPECT_EQ(*events[0].connection, *made);
}

TEST_F(two_replicas, key_regenerations_routes_and_deletes_reach_the_other_in_order) {
  auto made = a_->create_connection(sample_connection());
  ASSERT_TRUE(made);
  auto renewed = a_->regenerate_key(made->id);
  ASSERT_TRUE(renewed);
  ASSERT_TRUE(a_->put_device_route("20635f0108000496", {made->id}));
  ASSERT_TRUE(a_->delete_connection(made->id));
  ASSERT_TRUE(eventually([&] { return seen().size() >= 4; }));
  auto events = seen();
  std::string kinds;
  for (auto& e : events) kinds += std::to_string(static_cast<int>(e.kind)) + ":" + e.id + " ";
  ASSERT_EQ(events.size(), 4u) << kinds;
  // The newest state when applied: the connection is gone by then.
  EXPECT_EQ(events[3].kind, change_kind::connection_deleted);
  EXPECT_EQ(events[3].id, made->id);
  // Routed or already unrouted, depending on when the listener ran: the device, third.
  EXPECT_TRUE(events[2].kind == change_kind::device_unrouted ||
              events[2].kind == change_kind::device_routed);
  EXPECT_EQ(events[2].id, "20635F0108000496");
  EXPECT_EQ(events[1].id, made->id);
}

TEST_F(two_replicas, a_replica_does_not_publish_its_own_writes_twice) {
  std::vector<change_event> own;
  std::mutex own_mutex;
  auto mine = a_->changes().subscribe([&](const change_event& e) {
    std::lock_guard guard{own_mutex};
    own.push_back(e);
  });
  ASSERT_TRUE(a_->create_connection(sample_connection()));
  ASSERT_TRUE(eventually([&] { return !seen().empty(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds{1500});  // past a periodic check
  std::lock_guard guard{own_mutex};
  EXPECT_EQ(own.size(), 1u);
  EXPECT_EQ(seen().size(), 1u);
}

TEST_F(two_replicas, a_bulk_creation_larger_than_a_batch_of_changes_reaches_the_other_whole) {
  // One write with more change rows than the listener reads at once (5,000), after a small one.
  ASSERT_TRUE(a_->create_connection(sample_connection()));
  std::vector<connection> drafts;
  for (int i = 0; i < 5100; ++i) drafts.push_back(sample_connection("bulk " + std::to_string(i)));
  auto made = a_->create_connections(std::move(drafts));
  ASSERT_TRUE(made) << made.error_value().message;
  std::set<std::string> ids;
  ASSERT_TRUE(eventually(
      [&] {
        ids.clear();
        for (auto& e : seen())
          if (e.connection) ids.insert(e.id);
        return ids.size() >= 5101;
      },
      std::chrono::seconds{30}))
      << ids.size() << " of 5101 connections reached the other replica";
  for (auto& c : *made) EXPECT_TRUE(ids.contains(c.id)) << c.id;
}

TEST_F(two_replicas, an_import_on_one_is_published_by_the_other) {
  auto made = a_->create_connection(sample_connection());
  ASSERT_TRUE(made);
  ASSERT_TRUE(a_->import_device_routes({{"0000000000000001", {made->id}},
                                        {"0000000000000002", {made->id}}}));
  ASSERT_TRUE(eventually([&] { return seen().size() >= 2; }));
  auto events = seen();
  EXPECT_EQ(events[1].kind, change_kind::devices_imported);
  ASSERT_TRUE(events[1].routes);
  EXPECT_EQ(events[1].routes->size(), 2u);
}

}  // namespace
}  // namespace tr::store::testing
