#include "codecs/report_parser.hpp"

#include "codecs/detail/json_walker.hpp"
#include "codecs/detail/report_builder.hpp"
#include "codecs/detail/xml_reader.hpp"

namespace tr::codecs {

namespace {

thread_local std::uint64_t parsed_here = 0;

error check_size(std::string_view body) {
  if (body.size() > report_limits::max_document_bytes) {
    return error(errc::document_too_large, "body exceeds 65536 bytes");
  }
  return {};
}

}  // namespace

report_parser::report_parser() : json_(std::make_unique<detail::json_walker>()) {}
report_parser::~report_parser() = default;

std::uint64_t report_parser::parsed_on_this_thread() { return parsed_here; }

error report_parser::parse_json(std::string_view body, report& out) {
  ++parsed_here;
  if (auto e = check_size(body); !e.ok()) return e;
  detail::report_builder builder(out);
  std::string_view copy = builder.start(body);
  if (auto e = json_->walk_report(copy, builder); !e.ok()) return e;
  if (auto e = builder.finish(); !e.ok()) return e;
  builder.mark_compact_json();
  return {};
}

error report_parser::parse_xml(std::string_view body, report& out) {
  ++parsed_here;
  if (auto e = check_size(body); !e.ok()) return e;
  detail::report_builder builder(out);
  std::string_view copy = builder.start(body);
  if (auto e = detail::read_xml_report(copy, builder, *json_); !e.ok()) return e;
  return builder.finish();
}

error report_parser::parse(std::string_view body, report& out) {
  std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return error(errc::empty_input, "empty body");
  if (body[first] == '{' || body[first] == '[') return parse_json(body, out);
  if (body[first] == '<' || body.substr(first).starts_with("\xEF\xBB\xBF"))
    return parse_xml(body, out);
  return error(errc::unknown_format, "body is neither JSON nor XML");
}

}  // namespace tr::codecs
