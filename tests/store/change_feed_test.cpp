#include <thread>

#include "tests/store/store_fixture.hpp"

namespace tr::store::testing {
namespace {

/// A store test that records every change event.
class change_events : public backend_test {
 protected:
  void SetUp() override {
    store_test::SetUp();
    subscription_ =
        db().changes().subscribe([this](const change_event& e) { events_.push_back(e); });
  }
  void TearDown() override { subscription_.reset(); }

  std::vector<change_event> events_;
  subscription subscription_;
};

TEST_P(change_events, a_created_connection_is_published_with_its_new_value) {
  auto made = db().create_connection(sample_connection());
  ASSERT_TRUE(made);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, change_kind::connection_created);
  EXPECT_EQ(events_[0].id, made->id);
  ASSERT_TRUE(events_[0].connection);
  EXPECT_EQ(*events_[0].connection, *made);
}

TEST_P(change_events, updates_key_regenerations_and_deletes_are_published_in_order) {
  auto made = db().create_connection(sample_connection());
  ASSERT_TRUE(made);
  auto changed = *made;
  changed.name = "renamed";
  ASSERT_TRUE(db().update_connection(changed));
  auto renewed = db().regenerate_key(made->id);
  ASSERT_TRUE(renewed);
  ASSERT_TRUE(db().delete_connection(made->id));
  ASSERT_EQ(events_.size(), 4u);
  EXPECT_EQ(events_[1].kind, change_kind::connection_updated);
  EXPECT_EQ(events_[1].connection->name, "renamed");
  EXPECT_EQ(events_[2].kind, change_kind::key_regenerated);
  EXPECT_EQ(events_[2].connection->key, renewed->key);
  EXPECT_EQ(events_[3].kind, change_kind::connection_deleted);
  EXPECT_EQ(events_[3].id, made->id);
  EXPECT_FALSE(events_[3].connection);
}

TEST_P(change_events, are_published_after_the_commit) {
  std::vector<bool> visible;
  auto reader = db().changes().subscribe([&](const change_event& e) {
    if (e.kind == change_kind::connection_created)
      visible.push_back(db().get_connection(e.id).has_value());
  });
  ASSERT_TRUE(db().create_connection(sample_connection()));
  EXPECT_EQ(visible, std::vector<bool>{true});
}

TEST_P(change_events, a_failed_write_publishes_nothing) {
  auto draft = sample_connection();
  draft.key = "bad";
  EXPECT_FALSE(db().create_connection(draft));
  EXPECT_FALSE(db().put_device_route("0000000000000001", {"0123456789abcdef"}));
  EXPECT_FALSE(db().delete_connection("0123456789abcdef"));
  EXPECT_FALSE(db().import_device_routes({{"0000000000000001", {"0123456789abcdef"}}}));
  EXPECT_TRUE(events_.empty());
}

TEST_P(change_events, device_route_changes_are_published) {
  auto id = db().create_connection(sample_connection())->id;
  events_.clear();
  ASSERT_TRUE(db().put_device_route("00000000000000aa", {id}));
  ASSERT_TRUE(db().delete_device_route("00000000000000AA"));
  ASSERT_TRUE(db().import_device_routes({{"0000000000000001", {id}}, {"0000000000000002", {id}}}));
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[0].kind, change_kind::device_routed);
  EXPECT_EQ(events_[0].route->dev_eui, "00000000000000AA");
  EXPECT_EQ(events_[0].route->connection_ids, std::vector<std::string>{id});
  EXPECT_EQ(events_[1].kind, change_kind::device_unrouted);
  EXPECT_EQ(events_[1].id, "00000000000000AA");
  EXPECT_EQ(events_[2].kind, change_kind::devices_imported);
  ASSERT_TRUE(events_[2].routes);
  EXPECT_EQ(events_[2].routes->size(), 2u);
}

TEST_P(change_events, a_subscriber_may_not_write_from_its_callback) {
  std::optional<error_code> refused;
  auto writer = db().changes().subscribe([&](const change_event& e) {
    if (e.kind != change_kind::connection_created) return;
    auto nested = db().create_connection(sample_connection("nested"));
    if (!nested) refused = nested.error_value().code;
  });
  ASSERT_TRUE(db().create_connection(sample_connection()));
  EXPECT_EQ(refused, error_code::reentrant_write);
  EXPECT_EQ(db().list_connections()->size(), 1u);
}

TEST_P(change_events, an_ended_subscription_receives_nothing_more) {
  subscription_.reset();
  ASSERT_TRUE(db().create_connection(sample_connection()));
  EXPECT_TRUE(events_.empty());
}

TEST_P(change_events, a_throwing_subscriber_does_not_stop_the_others) {
  auto thrower =
      db().changes().subscribe([](const change_event&) { throw std::runtime_error{"x"}; });
  std::size_t late = 0;
  auto counter = db().changes().subscribe([&](const change_event&) { ++late; });
  ASSERT_TRUE(db().create_connection(sample_connection()));
  EXPECT_EQ(events_.size(), 1u);
  EXPECT_EQ(late, 1u);
}

TEST(change_feed, subscribing_from_many_threads_at_once_is_safe) {
  change_feed feed;
  std::atomic<int> calls{0};
  std::vector<subscription> subscriptions(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      subscriptions[i] = feed.subscribe([&](const change_event&) { ++calls; });
      feed.publish({change_kind::connection_deleted, "x", nullptr, nullptr, nullptr});
    });
  for (auto& thread : threads) thread.join();
  calls = 0;
  feed.publish({change_kind::connection_deleted, "x", nullptr, nullptr, nullptr});
  EXPECT_EQ(calls.load(), 8);
}

INSTANTIATE_STORE_BACKENDS(change_events);

}  // namespace
}  // namespace tr::store::testing
