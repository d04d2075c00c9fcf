#include "actors/report_pool.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codecs/report_parser.hpp"

using namespace tr::actors;

namespace {

std::string uplink_of(const std::string& dev_eui) {
  return R"({"DevEUI_uplink":{"DevEUI":")" + dev_eui +
         R"(","FPort":1,"FCntUp":2,"payload_hex":"00"}})";
}

struct report_pool_test : ::testing::Test {
  tr::codecs::report_parser parser;

  void parse(report_pool& pool, const std::string& dev_eui) {
    ASSERT_TRUE(parser.parse_json(uplink_of(dev_eui), pool.writable()).ok());
  }
};

}  // namespace

TEST_F(report_pool_test, a_report_no_one_else_holds_is_parsed_into_again) {
  report_pool pool;
  parse(pool, "0000000000000001");
  auto* first = pool.current().get();
  parse(pool, "0000000000000002");
  EXPECT_EQ(pool.current().get(), first);
  EXPECT_EQ(pool.made(), 1u);
  EXPECT_EQ(pool.current()->fields().dev_eui, "0000000000000002");
}

TEST_F(report_pool_test, a_report_held_elsewhere_is_never_written_and_comes_back_once_let_go) {
  report_pool pool;
  parse(pool, "0000000000000001");
  shared_report held = pool.current();  // what a post to another shard keeps
  parse(pool, "0000000000000002");
  EXPECT_NE(pool.current().get(), held.get());
  EXPECT_EQ(held->fields().dev_eui, "0000000000000001");
  EXPECT_EQ(held->source(), uplink_of("0000000000000001"));
  EXPECT_EQ(pool.lent(), 1u);

  auto* lent = held.get();
  held = pool.current();  // the second one goes out too; the first comes back
  parse(pool, "0000000000000003");
  EXPECT_EQ(pool.current().get(), lent);
  EXPECT_EQ(pool.made(), 2u);
  EXPECT_EQ(held->fields().dev_eui, "0000000000000002");
}

TEST_F(report_pool_test, steady_lending_stops_making_reports) {
  report_pool pool;
  std::vector<shared_report> in_flight;  // another shard that lets go three reports later
  for (int i = 0; i < 1000; ++i) {
    parse(pool, "00000000000000" + std::to_string(10 + i % 90));
    in_flight.push_back(pool.current());
    if (in_flight.size() > 3) in_flight.erase(in_flight.begin());
  }
  EXPECT_LE(pool.made(), 5u);
}

TEST_F(report_pool_test, lent_reports_kept_are_bounded_when_holders_never_let_go) {
  report_pool pool{4};
  std::vector<shared_report> stuck;
  for (int i = 0; i < 20; ++i) {
    parse(pool, "0000000000000001");
    stuck.push_back(pool.current());
  }
  EXPECT_EQ(pool.made(), 20u);
  EXPECT_EQ(pool.lent(), 4u);
  for (auto& r : stuck) EXPECT_EQ(r->fields().dev_eui, "0000000000000001");
  stuck.clear();  // the holders let go: the kept ones come back, the others are freed
  parse(pool, "0000000000000002");
  EXPECT_EQ(pool.made(), 20u);
}
