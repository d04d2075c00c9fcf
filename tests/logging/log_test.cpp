#include "logging/log.hpp"

#include <gtest/gtest.h>

namespace tr::logging {
namespace {

const auto at = std::chrono::system_clock::time_point{std::chrono::milliseconds{1'765'000'000'123}};

TEST(log_line, in_text_names_the_level_above_info_and_quotes_values_with_blanks) {
  EXPECT_EQ(format_line(format::text, level::warning, "connection failing",
                        {{"connection", "AS 1"}, {"reason", "connect: refused"}, {"id", "c1"}}, at),
            R"(tunnel-router: warning: connection failing connection="AS 1" reason="connect: refused" id=c1)");
  EXPECT_EQ(format_line(format::text, level::info, "listening", {{"admin", "127.0.0.1:7090"}}, at),
            "tunnel-router: listening admin=127.0.0.1:7090");
  EXPECT_EQ(format_line(format::text, level::info, "x", {{"empty", ""}}, at),
            R"(tunnel-router: x empty="")");
}

TEST(log_line, in_json_is_one_object_with_time_level_message_and_escaped_fields) {
  EXPECT_EQ(format_line(format::json, level::error, "store \"down\"",
                        {{"reason", "line\nbreak\x01"}, {"path", "C:\\db"}}, at),
            R"({"time":"2025-12-06T05:46:40.123Z","level":"error","msg":"store \"down\"",)"
            R"("reason":"line\nbreak\u0001","path":"C:\\db"})");
}

TEST(log_settings, read_the_words_of_the_configuration_and_refuse_others) {
  EXPECT_EQ(parse_format("json"), format::json);
  EXPECT_EQ(parse_format("text"), format::text);
  EXPECT_FALSE(parse_format("JSON lines"));
  EXPECT_EQ(parse_level("warning"), level::warning);
  EXPECT_FALSE(parse_level("warn"));
}

TEST(log_settings, drop_lines_below_the_configured_level) {
  configure(format::text, level::warning);
  EXPECT_FALSE(enabled(level::info));
  EXPECT_TRUE(enabled(level::warning));
  EXPECT_TRUE(enabled(level::error));
  configure(format::text, level::info);
  EXPECT_TRUE(enabled(level::info));
  EXPECT_FALSE(enabled(level::debug));
}

TEST(log_rate_limit, lets_one_line_through_per_interval_and_counts_the_others) {
  rate_limit limit{std::chrono::seconds{60}};
  auto t0 = rate_limit::clock::time_point{} + std::chrono::hours{1};
  EXPECT_TRUE(limit.allow(t0));
  EXPECT_EQ(limit.suppressed(), 0u);
  EXPECT_FALSE(limit.allow(t0 + std::chrono::seconds{1}));
  EXPECT_FALSE(limit.allow(t0 + std::chrono::seconds{59}));
  EXPECT_TRUE(limit.allow(t0 + std::chrono::seconds{60}));
  EXPECT_EQ(limit.suppressed(), 2u);  // the next line that passes says how many were held
  EXPECT_FALSE(limit.allow(t0 + std::chrono::seconds{61}));
  EXPECT_TRUE(limit.allow(t0 + std::chrono::seconds{200}));
  EXPECT_EQ(limit.suppressed(), 1u);
}

}  // namespace
}  // namespace tr::logging
