#include "tests/store/store_fixture.hpp"

#include <map>
#include <set>

namespace tr::store::testing {
namespace {

class device_routes : public backend_test {
 protected:
  void SetUp() override {
    store_test::SetUp();
    first_ = db().create_connection(sample_connection("first"))->id;
    second_ = db().create_connection(sample_connection("second"))->id;
  }
  std::string first_;
  std::string second_;
};

TEST_P(device_routes, routes_a_device_to_its_connections) {
  auto routed = db().put_device_route("20635F0108000496", {second_, first_});
  ASSERT_TRUE(routed) << routed.error_value().message;
  auto read = db().get_device_route("20635F0108000496");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->connection_ids,
            (std::vector<std::string>{std::min(first_, second_), std::max(first_, second_)}));
}

TEST_P(device_routes, normalizes_the_dev_eui_to_upper_case) {
  auto routed = db().put_device_route("20635f01080004ab", {first_});
  ASSERT_TRUE(routed);
  EXPECT_EQ(routed->dev_eui, "20635F01080004AB");
  EXPECT_TRUE(db().get_device_route("20635F01080004AB"));
  EXPECT_TRUE(db().get_device_route("20635f01080004ab"));
}

TEST_P(device_routes, refuses_a_dev_eui_that_is_not_16_hex_digits) {
  for (auto bad : {"20635F010800049", "20635F01080004967", "20635F010800049G", ""}) {
    auto routed = db().put_device_route(bad, {first_});
    ASSERT_FALSE(routed) << bad;
    EXPECT_EQ(routed.error_value().code, error_code::invalid_argument) << bad;
  }
}

TEST_P(device_routes, putting_a_route_replaces_the_previous_one) {
  ASSERT_TRUE(db().put_device_route("0000000000000001", {first_, second_}));
  ASSERT_TRUE(db().put_device_route("0000000000000001", {second_}));
  EXPECT_EQ(db().get_device_route("0000000000000001")->connection_ids,
            std::vector<std::string>{second_});
}

TEST_P(device_routes, a_route_to_an_unknown_connection_is_refused_and_nothing_changes) {
  ASSERT_TRUE(db().put_device_route("0000000000000001", {first_}));
  auto routed = db().put_device_route("0000000000000001", {second_, "0123456789abcdef"});
  ASSERT_FALSE(routed);
  EXPECT_EQ(routed.error_value().code, error_code::unknown_connection);
  EXPECT_EQ(db().get_device_route("0000000000000001")->connection_ids,
            std::vector<std::string>{first_});
}

TEST_P(device_routes, an_empty_list_deletes_the_route) {
  ASSERT_TRUE(db().put_device_route("0000000000000001", {first_}));
  ASSERT_TRUE(db().put_device_route("0000000000000001", {}));
  EXPECT_EQ(db().get_device_route("0000000000000001").error_value().code, error_code::not_found);
}

TEST_P(device_routes, deletes_a_route_and_reports_a_missing_one) {
  ASSERT_TRUE(db().put_device_route("0000000000000001", {first_}));
  EXPECT_TRUE(db().delete_device_route("0000000000000001"));
  auto again = db().delete_device_route("0000000000000001");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error_value().code, error_code::not_found);
}

TEST_P(device_routes, imports_many_routes_in_one_transaction) {
  std::vector<device_route> routes;
  for (int i = 0; i < 1000; ++i) {
    char dev_eui[17];
    std::snprintf(dev_eui, sizeof dev_eui, "%016x", i);
    routes.push_back({dev_eui, {i % 2 ? first_ : second_}});
  }
  auto imported = db().import_device_routes(routes);
  ASSERT_TRUE(imported) << imported.error_value().message;
  EXPECT_EQ(*imported, 1000u);
  auto all = db().list_device_routes();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1000u);
  EXPECT_EQ(all->at(10).dev_eui, "000000000000000A");
  EXPECT_EQ(all->at(10).connection_ids, std::vector<std::string>{second_});
}

TEST_P(device_routes, an_import_with_one_bad_entry_writes_nothing) {
  std::vector<device_route> routes{{"0000000000000001", {first_}},
                                   {"0000000000000002", {"0123456789abcdef"}}};
  auto imported = db().import_device_routes(routes);
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error_value().code, error_code::unknown_connection);
  EXPECT_NE(imported.error_value().message.find("0000000000000002"), std::string::npos);
  EXPECT_TRUE(db().list_device_routes()->empty());

  routes[1] = {"not hex", {first_}};
  imported = db().import_device_routes(routes);
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error_value().code, error_code::invalid_argument);
  EXPECT_NE(imported.error_value().message.find("entry 2"), std::string::npos);
}

TEST_P(device_routes, a_later_import_entry_for_the_same_device_wins) {
  auto imported =
      db().import_device_routes({{"0000000000000001", {first_}}, {"0000000000000001", {second_}}});
  ASSERT_TRUE(imported);
  EXPECT_EQ(db().get_device_route("0000000000000001")->connection_ids,
            std::vector<std::string>{second_});
}

TEST_P(device_routes, scanning_hands_every_connection_of_every_device_in_batches) {
  ASSERT_TRUE(db().put_device_route("0000000000000001", {first_, second_}));
  ASSERT_TRUE(db().put_device_route("0000000000000002", {first_}));
  ASSERT_TRUE(db().put_device_route("0000000000000003", {second_}));
  std::map<std::string, std::set<std::string>> seen;
  std::size_t batches = 0;
  auto scanned = db().scan_device_routes(2, [&](std::vector<device_route> batch) {
    ++batches;
    EXPECT_LE(batch.size(), 2u);
    for (auto& route : batch)
      for (auto& id : route.connection_ids) seen[route.dev_eui].insert(id);
  });
  ASSERT_TRUE(scanned) << scanned.error_value().message;
  EXPECT_GE(batches, 2u);
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen["0000000000000001"], (std::set<std::string>{first_, second_}));
  EXPECT_EQ(seen["0000000000000002"], (std::set<std::string>{first_}));
  EXPECT_EQ(seen["0000000000000003"], (std::set<std::string>{second_}));
}

INSTANTIATE_STORE_BACKENDS(device_routes);

}  // namespace
}  // namespace tr::store::testing

