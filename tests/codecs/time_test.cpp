#include "codecs/time.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tr::codecs {
namespace {

using namespace std::chrono;

time_point at(sys_days day, milliseconds in_day) {
  return time_point(day) + in_day;
}

TEST(format_time, writes_utc_with_milliseconds_and_offset) {
  std::string out;
  append_time(at(2021y / April / 7, hours(8) + minutes(49) + seconds(51) + milliseconds(551)), out);
  EXPECT_EQ(out, "2021-04-07T08:49:51.551+00:00");
}

TEST(format_time, truncates_below_milliseconds_and_pads_with_zeros) {
  std::string out;
  append_time(time_point(sys_days(2000y / January / 1)) + microseconds(5999), out);
  EXPECT_EQ(out, "2000-01-01T00:00:00.005+00:00");
}

TEST(format_time, truncates_times_before_1970_toward_the_past) {
  std::string out;
  append_time(time_point(sys_days(1969y / December / 31)) + hours(23) + minutes(59) + seconds(59) +
                  microseconds(456780),
              out);
  EXPECT_EQ(out, "1969-12-31T23:59:59.456+00:00");
}

TEST(format_time, handles_the_last_day_of_a_leap_year) {
  std::string out;
  append_time(at(2024y / December / 31, hours(23) + minutes(59) + seconds(59) + milliseconds(999)),
              out);
  EXPECT_EQ(out, "2024-12-31T23:59:59.999+00:00");
}

TEST(parse_time, reads_what_format_time_writes) {
  time_point t = at(2021y / April / 7, hours(8) + minutes(49) + seconds(51) + milliseconds(551));
  std::string text;
  append_time(t, text);
  auto parsed = parse_time(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(*parsed, t);
}

TEST(parse_time, applies_a_positive_offset) {
  auto parsed = parse_time("2016-01-11T14:28:00.333+02:00");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, at(2016y / January / 11, hours(12) + minutes(28) + milliseconds(333)));
}

TEST(parse_time, applies_a_negative_offset) {
  auto parsed = parse_time("2016-01-11T22:30:00-05:30");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, at(2016y / January / 12, hours(4)));
}

TEST(parse_time, accepts_z_and_no_milliseconds) {
  auto parsed = parse_time("2016-01-11T14:28:00Z");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, at(2016y / January / 11, hours(14) + minutes(28)));
}

TEST(parse_time, keeps_fractions_finer_than_milliseconds) {
  auto parsed = parse_time("2016-01-11T14:28:00.123456789Z");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed - at(2016y / January / 11, hours(14) + minutes(28)), nanoseconds(123456789));
}

TEST(parse_time, accepts_the_29th_of_february_of_a_leap_year_only) {
  EXPECT_TRUE(parse_time("2024-02-29T00:00:00Z").ok());
  EXPECT_FALSE(parse_time("2023-02-29T00:00:00Z").ok());
}

TEST(parse_time, the_year_range_holds_for_the_instant_and_what_it_reads_reads_again) {
  // 2200-12-31T23:00:00-14:00 is 2201-01-01T13:00:00Z: written back in UTC, it would not read.
  EXPECT_FALSE(parse_time("2200-12-31T23:00:00-14:00").ok());
  EXPECT_FALSE(parse_time("1900-01-01T00:30:00+01:00").ok());
  for (auto text : {"2200-12-31T23:00:00+14:00", "1900-01-01T00:30:00-01:00",
                    "2200-12-31T23:59:59.999Z", "1900-01-01T00:00:00Z"}) {
    auto parsed = parse_time(text);
    ASSERT_TRUE(parsed.ok()) << text;
    std::string written;
    append_time(parsed.value(), written);
    EXPECT_TRUE(parse_time(written).ok()) << text << " written as " << written;
  }
}

}  // namespace
}  // namespace tr::codecs
