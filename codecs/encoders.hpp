#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codecs/report.hpp"

namespace tr::codecs {

/// The body encodings a connection may choose (its "content type").
enum class body_format : std::uint8_t {
  json,          ///< numbers as numbers, CustomerID/DevEUI/payload_hex as strings
  json_untyped,  ///< every scalar a string; numbers keep their exact text
  xml,           ///< one element per field, in the lora namespace
};

/// The HTTP Content-Type of a body format: "application/json" or "application/xml".
std::string_view content_type(body_format format);

/// The encoders append to a caller-owned buffer; clear it (keeping its capacity) between
/// reports and encoding stops allocating once the buffer has grown to the largest body.
/// Output is compact (no whitespace between tokens).
///
/// JSON: `{"DevEUI_uplink":{...}}`, every value as parsed: numbers with their source text,
/// strings re-escaped (only `"`, `\` and control characters; other UTF-8 passes through).
///
/// JSON_UNTYPED: the same shape with every scalar a string: `-67` -> `"-67"`,
/// `1.50` -> `"1.50"`, `true` -> `"true"`, null -> `""` (as an empty XML element reads back).
///
/// XML: starts with the declaration `<?xml version="1.0" encoding="UTF-8"?>` (decision: it
/// states the encoding explicitly, every XML parser accepts it, and ThingPark's own XML
/// bodies carry it), then `<DevEUI_uplink xmlns="http://uri.actility.com/lora">` and one
/// element per field. Nested objects nest; an array under key K becomes one `<K>` per item
/// (an array item that is itself an array becomes a `<K>` holding one `<K>` per inner item;
/// an empty array emits nothing); null becomes `<K/>`. CustomerData and DriverCfg objects are
/// carried as their compact JSON text. Text escapes `< & > " '` as entities and CR as `&#13;`;
/// control characters XML 1.0 cannot carry become U+FFFD.
void encode_json(const report& source, std::string& out);

/// Appends the JSON_UNTYPED encoding of `source` to `out`.
void encode_json_untyped(const report& source, std::string& out);

/// Appends the XML encoding of `source` to `out`.
void encode_xml(const report& source, std::string& out);

/// Appends the encoding `format` of `source` to `out`.
void encode(const report& source, body_format format, std::string& out);

/// Appends the encoding `format` of `source`, and when it is a DevEUI_uplink, with the field
/// `LostUplinksAS` = `lost_uplinks` (what the router adds: uplinks of this device the AS did not
/// get since the last one it got). The field goes right after `FCntUp` (at the end of the report
/// when it has none), as a number in JSON, a string in JSON_UNTYPED and an element in XML; a
/// `LostUplinksAS` the NS sent is left out. Other report types are encoded as encode() does.
void encode_uplink(const report& source, body_format format, std::uint32_t lost_uplinks,
                   std::string& out);

/// Appends `text` as the inside of a JSON string: `"`, `\` and control characters escaped.
void append_json_escaped(std::string_view text, std::string& out);

}  // namespace tr::codecs
