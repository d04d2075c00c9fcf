#include "actors/routing_table.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using tr::actors::routing_table;

namespace {
std::vector<std::string> ids(std::initializer_list<const char*> list) {
  return {list.begin(), list.end()};
}
constexpr std::uint64_t device = 0x20635F0108000496ULL;
}  // namespace

TEST(routing_table, parses_dev_euis_in_any_case) {
  EXPECT_EQ(routing_table::parse_dev_eui("20635F0108000496"), device);
  EXPECT_EQ(routing_table::parse_dev_eui("20635f0108000496"), device);
  EXPECT_FALSE(routing_table::parse_dev_eui("20635F010800049"));
  EXPECT_FALSE(routing_table::parse_dev_eui("20635F010800049G"));
  EXPECT_FALSE(routing_table::parse_dev_eui(""));
}

TEST(routing_table, routes_a_device_to_its_connections) {
  routing_table t;
  auto list = ids({"a", "b"});
  t.set_routes(device, list);
  auto slots = t.lookup(device);
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(t.id_of(slots[0]), "a");
  EXPECT_EQ(t.id_of(slots[1]), "b");
}

TEST(routing_table, an_unknown_device_has_no_route) {
  routing_table t;
  EXPECT_TRUE(t.lookup(device).empty());
}

TEST(routing_table, duplicate_connections_in_a_route_count_once) {
  routing_table t;
  auto list = ids({"a", "a"});
  t.set_routes(device, list);
  EXPECT_EQ(t.lookup(device).size(), 1u);
}

TEST(routing_table, an_empty_route_list_removes_the_device) {
  routing_table t;
  auto list = ids({"a"});
  t.set_routes(device, list);
  t.set_routes(device, {});
  EXPECT_EQ(t.device_count(), 0u);
}

TEST(routing_table, removing_a_connection_removes_it_from_every_route_and_reuses_its_slot) {
  routing_table t;
  auto ab = ids({"a", "b"});
  auto a = ids({"a"});
  t.set_routes(device, ab);
  t.set_routes(device + 1, a);
  auto slot_a = *t.find("a");
  t.remove_connection("a");
  EXPECT_EQ(t.lookup(device).size(), 1u);
  EXPECT_EQ(t.id_of(t.lookup(device)[0]), "b");
  EXPECT_TRUE(t.lookup(device + 1).empty());
  EXPECT_FALSE(t.find("a"));
  EXPECT_EQ(t.intern("c"), slot_a);
}

TEST(routing_table, a_device_routed_to_many_connections_keeps_them_all_as_they_come_and_go) {
  routing_table t;
  std::vector<std::string> many;
  for (int i = 0; i < 20; ++i) many.push_back("c" + std::to_string(i));
  t.set_routes(device, many);
  ASSERT_EQ(t.lookup(device).size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(t.id_of(t.lookup(device)[i]), many[i]);
  for (int i = 0; i < 18; ++i) t.remove_connection(many[i]);
  auto left = t.lookup(device);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(t.id_of(left[0]), "c18");
  EXPECT_EQ(t.id_of(left[1]), "c19");
  t.set_routes(device, ids({"x", "y", "z", "w"}));
  ASSERT_EQ(t.lookup(device).size(), 4u);
  EXPECT_EQ(t.id_of(t.lookup(device)[3]), "w");
}

TEST(routing_table, clearing_the_devices_keeps_the_connections_slots) {
  routing_table t;
  t.set_routes(device, ids({"a"}));
  auto slot = t.find("a");
  t.clear_devices();
  EXPECT_TRUE(t.lookup(device).empty());
  EXPECT_EQ(t.device_count(), 0u);
  EXPECT_EQ(t.find("a"), slot);
}
