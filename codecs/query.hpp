#pragma once

#include <string>
#include <string_view>

#include "codecs/error.hpp"

namespace tr::codecs {

/// Appends `text` percent-encoded: every byte outside the RFC 3986 unreserved set
/// (A-Z a-z 0-9 - . _ ~) becomes %XX with upper-case hex.
void percent_encode(std::string_view text, std::string& out);

/// Appends `text` percent-decoded. `+` stays a literal plus, never a space. A `%` not followed
/// by two hex digits is an error (then `out` holds a partial result).
error percent_decode(std::string_view text, std::string& out);

/// Takes the next `name=value` parameter (raw, still encoded) off the front of `rest`; a
/// parameter without `=` has an empty value. Returns false when `rest` is empty.
bool next_query_param(std::string_view& rest, std::string_view& name, std::string_view& value);

/// The parameters of an uplink query, as decoded text (views the caller keeps alive).
struct uplink_query {
  std::string_view dev_eui;  ///< LrnDevEui
  std::string_view fport;    ///< LrnFPort
  std::string_view infos;    ///< LrnInfos
  std::string_view as_id;    ///< AS_ID
  std::string_view time;     ///< Time: the send time, e.g. 2021-04-07T08:49:51.551+00:00
};

/// Appends the wire form, in canonical order and percent-encoded, without Token:
/// `LrnDevEui=..&LrnFPort=..&LrnInfos=..&AS_ID=..&Time=..`.
void append_uplink_query(const uplink_query& query, std::string& out);

/// Appends the uplink target: `url`, then `?` (or `&` when the URL already has a query), the
/// wire query and `&Token=<token>`. A fragment (`#...`) of the URL is dropped: it never goes on
/// the wire.
void append_uplink_url(std::string_view url, const uplink_query& query, std::string_view token,
                       std::string& out);

/// Reads an uplink query given by a user: the five parameters in any order, percent-encoded
/// or not, an optional leading `?`; a Token parameter is ignored. Unknown, repeated or missing
/// parameters are errors. The decoded values are stored in `storage` (cleared first) and
/// viewed by `out`.
error parse_uplink_query(std::string_view query, uplink_query& out, std::string& storage);

/// A downlink query split at its Token parameter.
struct downlink_query_parts {
  std::string_view signed_part;  ///< the raw query up to, not including, `&Token=`
  std::string_view token;        ///< the Token value; empty when the query has none
};

/// Splits a raw downlink query (optional leading `?`). Token, when present, must be the last
/// parameter and appear once: parameters after it would not be covered by the token.
error split_downlink_query(std::string_view query, downlink_query_parts& out);

}  // namespace tr::codecs
