#include "codecs/time.hpp"

#include <cstdint>

namespace tr::codecs {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil_date {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

constexpr civil_date civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

void put2(char* out, unsigned v) {
  out[0] = static_cast<char>('0' + v / 10);
  out[1] = static_cast<char>('0' + v % 10);
}

/// Reads exactly `n` digits at `pos`.
bool digits(std::string_view text, std::size_t pos, std::size_t n, unsigned& value) {
  if (pos + n > text.size()) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

bool is_leap(unsigned y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(unsigned y, unsigned m) {
  constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

error bad_time(std::string_view what) {
  return error(errc::invalid_time, "bad time: ", what);
}

}  // namespace

void format_time(time_point t, std::span<char, time_text_size> out) {
  using namespace std::chrono;
  const std::int64_t ms = floor<milliseconds>(t.time_since_epoch()).count();  // before 1970 too
  std::int64_t days = ms / 86'400'000;
  std::int64_t ms_of_day = ms % 86'400'000;
  if (ms_of_day < 0) {
    ms_of_day += 86'400'000;
    days -= 1;
  }
  const civil_date date = civil_from_days(days);
  const auto year = static_cast<unsigned>(date.year < 0 ? 0 : date.year > 9999 ? 9999 : date.year);
  const auto in_day = static_cast<unsigned>(ms_of_day);
  char* p = out.data();
  put2(p, year / 100);
  put2(p + 2, year % 100);
  p[4] = '-';
  put2(p + 5, date.month);
  p[7] = '-';
  put2(p + 8, date.day);
  p[10] = 'T';
  put2(p + 11, in_day / 3'600'000);
  p[13] = ':';
  put2(p + 14, in_day / 60'000 % 60);
  p[16] = ':';
  put2(p + 17, in_day / 1000 % 60);
  p[19] = '.';
  const unsigned millis = in_day % 1000;
  p[20] = static_cast<char>('0' + millis / 100);
  put2(p + 21, millis % 100);
  const char offset[] = "+00:00";
  for (int i = 0; i < 6; ++i) p[23 + i] = offset[i];
}

void append_time(time_point t, std::string& out) {
  char text[time_text_size];
  format_time(t, text);
  out.append(text, time_text_size);
}

result<time_point> parse_time(std::string_view text) {
  unsigned year, month, day, hour, minute, second;
  if (!digits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
      !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day) || text[10] != 'T' ||
      !digits(text, 11, 2, hour) || text[13] != ':' || !digits(text, 14, 2, minute) ||
      text[16] != ':' || !digits(text, 17, 2, second)) {
    return bad_time("expected YYYY-MM-DDTHH:MM:SS");
  }
  if (year < 1900 || year > 2200) return bad_time("year out of range 1900..2200");
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) {
    return bad_time("no such date");
  }
  if (hour > 23 || minute > 59 || second > 59) return bad_time("no such time of day");
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    std::size_t start = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    std::size_t n = pos - start;
    if (n == 0 || n > 9) return bad_time("fraction must have 1 to 9 digits");
    for (std::size_t i = 0; i < 9; ++i) {
      nanos = nanos * 10 + (i < n ? text[start + i] - '0' : 0);
    }
  }
  std::int64_t offset_seconds = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    unsigned oh, om;
    if (!digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, om)) {
      return bad_time("offset must be Z, +hh:mm or -hh:mm");
    }
    if (oh > 23 || om > 59) return bad_time("offset out of range");
    offset_seconds = (text[pos] == '-' ? -1 : 1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
    pos += 6;
  } else {
    return bad_time("offset must be Z, +hh:mm or -hh:mm");
  }
  if (pos != text.size()) return bad_time("trailing characters");
  const std::int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 +
                               minute * 60 + second - offset_seconds;
  // The range holds for the instant too (2200-12-31T23:00:00-14:00 is in 2201 UTC), so that
  // every time read here is written back (in UTC) as one that reads again.
  if (seconds < days_from_civil(1900, 1, 1) * 86400 ||
      seconds >= days_from_civil(2201, 1, 1) * 86400)
    return bad_time("year out of range 1900..2200");
  using namespace std::chrono;
  return time_point(duration_cast<system_clock::duration>(std::chrono::seconds(seconds) +
                                                          std::chrono::nanoseconds(nanos)));
}

}  // namespace tr::codecs
