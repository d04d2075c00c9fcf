#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "codecs/error.hpp"

namespace tr::codecs {

/// Wall-clock instants, as the tunnel's Time parameters carry them.
using time_point = std::chrono::system_clock::time_point;

/// Length of a formatted time: "2021-04-07T08:49:51.551+00:00".
inline constexpr std::size_t time_text_size = 29;

/// Writes `t` in UTC as ISO 8601 with milliseconds (truncated) and offset, e.g.
/// "2021-04-07T08:49:51.551+00:00". Pure arithmetic: no locale, no allocation.
void format_time(time_point t, std::span<char, time_text_size> out);

/// Appends format_time(t) to `out`.
void append_time(time_point t, std::string& out);

/// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)`: a fraction of 1 to 9 digits,
/// years 1900..2200, calendar-checked dates. Anything else is errc::invalid_time.
result<time_point> parse_time(std::string_view text);

}  // namespace tr::codecs
