// The NS load generator: its pacing, counted at a real server, and the reports it makes.
#include <gtest/gtest.h>

#include <set>

#include "bench/harness/as_simulator.hpp"
#include "bench/harness/load_generator.hpp"
#include "codecs/report_parser.hpp"
#include "tests/support/temp_dir.hpp"

using namespace tr::harness;

TEST(load_generator, keeps_a_low_open_loop_rate_within_five_percent) {
  as_simulator::options server;
  server.tls = false;  // h2c by prior knowledge, like the router's ingress
  as_simulator as{server};
  load_options options;
  options.port = as.port();
  options.rate = 200;
  options.seconds = 2;
  options.connections = 2;
  load_generator generator{options};
  auto result = generator.run();
  std::uint64_t arrived = 0;
  for (auto& s : as.stats()) arrived += s.arrived;
  EXPECT_NEAR(static_cast<double>(arrived), 400.0, 20.0);
  EXPECT_EQ(result.totals.accepted, arrived);
  EXPECT_EQ(result.totals.errors, 0u);
  EXPECT_EQ(result.totals.skipped, 0u);
  EXPECT_EQ(result.accepted_latency->count(), arrived);
}

TEST(load_generator, closed_loop_keeps_its_streams_busy_and_reports_json) {
  as_simulator::options server;
  server.tls = false;
  as_simulator as{server};
  load_options options;
  options.port = as.port();
  options.seconds = 0.3;
  options.connections = 2;
  options.streams = 4;
  load_generator generator{options};
  auto result = generator.run();
  EXPECT_GT(result.totals.accepted, 50u);
  EXPECT_NE(result.to_json().find("\"mode\":\"closed\""), std::string::npos);
}

TEST(report_factory, makes_valid_reports_of_every_type_with_one_to_ten_base_stations) {
  report_factory factory{{}};
  tr::codecs::report_parser parser;
  tr::codecs::report report;
  std::set<tr::codecs::report_type> types;
  std::set<std::string> devices;
  std::set<std::size_t> stations;
  std::string body;
  for (std::uint64_t n = 0; n < 2000; ++n) {
    factory.make(n, 123456789, body);
    auto parsed = parser.parse_json(body, report);
    ASSERT_TRUE(parsed.ok()) << parsed.message() << "\n" << body;
    types.insert(report.type());
    devices.insert(std::string{report.fields().dev_eui});
    if (report.type() == tr::codecs::report_type::uplink) {
      std::size_t count = 0;
      for (std::size_t at = body.find("\"Chain\""); at != std::string::npos;
           at = body.find("\"Chain\"", at + 1))
        ++count;
      stations.insert(count);
    }
    EXPECT_NE(body.find("\"harness_ts\":123456789"), std::string::npos);
  }
  EXPECT_EQ(types.size(), 4u);
  EXPECT_EQ(devices.size(), 1000u);
  EXPECT_EQ(*stations.begin(), 1u);
  EXPECT_EQ(*stations.rbegin(), 10u);
}

TEST(load_generator, leaves_the_warm_up_out_of_its_latency_and_of_the_as_transit) {
  as_simulator::options server;
  server.tls = false;
  as_simulator as{server};
  load_options options;
  options.port = as.port();
  options.rate = 200;
  options.seconds = 2;
  options.warmup_seconds = 1;
  options.connections = 2;
  load_generator generator{options};
  auto result = generator.run();
  std::uint64_t arrived = 0, timed = 0;
  for (auto& s : as.stats()) {
    arrived += s.arrived;
    timed += s.transit_count;
  }
  EXPECT_NEAR(static_cast<double>(arrived), 400.0, 20.0);  // the warm-up is sent too
  EXPECT_EQ(result.totals.accepted, arrived);
  // About half was sent in the warm-up: measured neither at the generator nor at the AS.
  EXPECT_NEAR(static_cast<double>(result.accepted_latency->count()), 200.0, 20.0);
  EXPECT_EQ(timed, result.accepted_latency->count());
}
