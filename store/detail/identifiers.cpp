#include "store/detail/identifiers.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "store/detail/crypto.hpp"

namespace tr::store::detail {

namespace {

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::optional<std::string> normalize_hex(std::string_view text, std::size_t size, bool upper) {
  if (text.size() != size) return std::nullopt;
  std::string out{text};
  for (char& c : out) {
    if (!is_hex(c)) return std::nullopt;
    if (upper && c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string new_id() {
  return to_hex(random_bytes(8));
}

std::string new_key() {
  return to_hex(random_bytes(16));
}

std::optional<std::string> normalize_key(std::string_view key) {
  return normalize_hex(key, 32, false);
}

std::optional<std::string> normalize_dev_eui(std::string_view dev_eui) {
  return normalize_hex(dev_eui, 16, true);
}

bool is_id(std::string_view id) noexcept {
  if (id.size() != 16) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string now_iso8601() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto seconds = floor<std::chrono::seconds>(now);
  auto millis = duration_cast<milliseconds>(now - seconds).count();
  std::time_t t = system_clock::to_time_t(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

}  // namespace tr::store::detail
