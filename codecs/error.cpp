#include "codecs/error.hpp"

#include <algorithm>
#include <cstring>

namespace tr::codecs {

error::error(errc code, std::string_view part1, std::string_view part2, std::string_view part3)
    : code_(code) {
  for (std::string_view part : {part1, part2, part3}) {
    std::size_t n = std::min(part.size(), capacity - size_);
    if (n == 0) continue;
    std::memcpy(text_ + size_, part.data(), n);
    size_ = static_cast<std::uint8_t>(size_ + n);
  }
}

std::string_view to_string(errc code) {
  switch (code) {
    case errc::none:
      return "none";
    case errc::empty_input:
      return "empty_input";
    case errc::unknown_format:
      return "unknown_format";
    case errc::document_too_large:
      return "document_too_large";
    case errc::document_too_complex:
      return "document_too_complex";
    case errc::malformed_json:
      return "malformed_json";
    case errc::malformed_xml:
      return "malformed_xml";
    case errc::wrong_root:
      return "wrong_root";
    case errc::unknown_report_type:
      return "unknown_report_type";
    case errc::invalid_field_name:
      return "invalid_field_name";
    case errc::wrong_type:
      return "wrong_type";
    case errc::missing_field:
      return "missing_field";
    case errc::duplicate_field:
      return "duplicate_field";
    case errc::field_too_large:
      return "field_too_large";
    case errc::invalid_dev_eui:
      return "invalid_dev_eui";
    case errc::invalid_number:
      return "invalid_number";
    case errc::invalid_hex:
      return "invalid_hex";
    case errc::invalid_key:
      return "invalid_key";
    case errc::invalid_percent_escape:
      return "invalid_percent_escape";
    case errc::invalid_query:
      return "invalid_query";
    case errc::invalid_time:
      return "invalid_time";
    case errc::crypto_failure:
      return "crypto_failure";
  }
  return "unknown";
}

}  // namespace tr::codecs
