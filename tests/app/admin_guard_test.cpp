// The admin listener's guard against token guessing: the per-address throttle, and its log
// lines, which stay few however many addresses fail. The lines are read from stderr, which the
// test points at a file while the guard runs.
#include "app/admin_guard.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "tests/support/captured_stderr.hpp"

using namespace tr;
using tr::test::stderr_of;
using namespace std::chrono_literals;

namespace {

transport::peer_address address(std::uint32_t n) {
  transport::peer_address out;
  out.bytes[10] = out.bytes[11] = 0xff;  // IPv4-mapped 10.x.y.z
  out.bytes[12] = 10;
  out.bytes[13] = static_cast<std::uint8_t>(n >> 16);
  out.bytes[14] = static_cast<std::uint8_t>(n >> 8);
  out.bytes[15] = static_cast<std::uint8_t>(n);
  return out;
}

std::size_t lines(const std::string& text) {
  std::size_t n = 0;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

}  // namespace

TEST(admin_guard, throttles_an_address_after_its_failures_and_lets_others_be) {
  app::admin_guard guard{{.max_failures = 3, .window = 60s}};
  auto now = app::admin_guard::clock::now();
  stderr_of([&] {
    for (int i = 0; i < 3; ++i) guard.failed(address(1), now);
  });
  EXPECT_TRUE(guard.throttled(address(1), now));
  EXPECT_FALSE(guard.throttled(address(2), now));
  EXPECT_FALSE(guard.throttled(address(1), now + 61s));
}

TEST(admin_guard, many_failing_addresses_write_few_lines) {
  app::admin_guard guard{{.max_failures = 10, .window = 60s, .max_addresses = 64}};
  auto now = app::admin_guard::clock::now();
  auto text = stderr_of([&] {
    // 2,000 addresses in the same second: 64 tracked, the rest beyond the table.
    for (std::uint32_t n = 0; n < 2000; ++n) guard.failed(address(n), now);
  });
  EXPECT_EQ(guard.failures(), 2000u);
  // One first-failure line in that second, one line for those beyond the table.
  EXPECT_LE(lines(text), 2u) << text;
  EXPECT_NE(text.find("admin: failed bearer token"), std::string::npos) << text;
  EXPECT_NE(text.find("too many addresses failing"), std::string::npos) << text;
}
