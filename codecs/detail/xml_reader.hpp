#pragma once

#include <string_view>

#include "codecs/detail/json_walker.hpp"
#include "codecs/detail/report_builder.hpp"
#include "codecs/error.hpp"

namespace tr::codecs::detail {

/// Reads a report in the tunnel's XML encoding into `builder`. Strict and small: one root
/// element naming the report type (attributes such as xmlns are checked for syntax and
/// ignored), an optional XML declaration and comments, nested elements, text with the five
/// entity references and numeric character references, CDATA. DOCTYPE and processing
/// instructions are refused. An element with child elements becomes an object; adjacent
/// siblings with the same name, and every `Lrr`, become an array; a leaf becomes a string,
/// except CustomerData and DriverCfg whose JSON text becomes a subtree (text that is not valid
/// JSON stays a string). `xml` must be followed by json_padding readable bytes.
error read_xml_report(std::string_view xml, report_builder& builder, json_walker& json);

}  // namespace tr::codecs::detail
