// Counts heap allocations (this test binary replaces the global operator new) to check that the
// hot path, once warmed up, allocates nothing per report.
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <new>
#include <string>

#include "codecs/encoders.hpp"
#include "codecs/report_parser.hpp"
#include "codecs/time.hpp"
#include "codecs/token_signer.hpp"
#include "tests/codecs/sample_reports.hpp"

namespace {
thread_local std::size_t allocations = 0;
}

void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
// The other forms too (simdjson allocates with nothrow new), so that every allocation is
// counted and none is freed by a different allocator than the one that made it.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size) {
  return operator new(size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace tr::codecs {
namespace {

TEST(hot_path, parses_encodes_and_signs_a_report_without_allocating_once_warm) {
  report_parser parser;
  report r;
  std::string body;
  token_signer signer(signing_key::parse(samples::v1_key).value());
  std::array<char, token_size> token{};
  std::string target;
  char time_text[time_text_size];
  auto one_report = [&] {
    ASSERT_TRUE(parser.parse_json(samples::v1_uplink_json, r).ok());
    for (body_format format : {body_format::json, body_format::json_untyped, body_format::xml}) {
      body.clear();
      encode(r, format, body);
    }
    format_time(std::chrono::system_clock::now(), time_text);
    uplink_query query{r.fields().dev_eui, r.fields().fport, "TWA_1.1.AS-1-1", "TWA_1.1.AS",
                       std::string_view(time_text, time_text_size)};
    ASSERT_TRUE(signer.sign_uplink(r.fields(), query, token).ok());
    target.clear();
    append_uplink_url("https://as.example.com/uplink", query, {token.data(), token.size()}, target);
  };
  one_report();
  std::size_t before = allocations;
  for (int i = 0; i < 100; ++i) one_report();
  EXPECT_EQ(allocations - before, 0u);
}

TEST(hot_path, parses_xml_without_allocating_once_warm) {
  report_parser parser;
  report r;
  std::string xml;
  ASSERT_TRUE(parser.parse_json(samples::v1_uplink_json, r).ok());
  encode_xml(r, xml);
  report back;
  ASSERT_TRUE(parser.parse_xml(xml, back).ok());
  std::size_t before = allocations;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(parser.parse_xml(xml, back).ok());
  EXPECT_EQ(allocations - before, 0u);
}

}  // namespace
}  // namespace tr::codecs
