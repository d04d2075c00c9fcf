#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "actors/connection_config.hpp"
#include "codecs/error.hpp"
#include "codecs/report.hpp"
#include "codecs/time.hpp"
#include "codecs/token_signer.hpp"

namespace tr::actors {

/// Builds the uplink POST of docs/protocol.md §2 for one connection into the caller's reused
/// buffers: `target` becomes the request target (the URL's path and own query, then
/// `LrnDevEui, LrnFPort, LrnInfos, AS_ID, Time` percent-encoded and `Token`), `body` the report
/// in the connection's format. The header fields are the connection's (`config.headers`).
///
/// `LrnFPort` is the report's FPort, "0" when it has none (as in the token). `LrnInfos` is given
/// by the caller. `Time` is `now`, the send time. A DevEUI_uplink body carries
/// `LostUplinksAS` = `lost_uplinks` after FCntUp (codecs::encode_uplink); the token does not
/// cover it.
codecs::error build_uplink_request(const connection_config& config, codecs::token_signer& signer,
                                   const codecs::report& report, codecs::time_point now,
                                   std::string_view infos, std::string& target, std::string& body,
                                   std::uint32_t lost_uplinks = 0);

}  // namespace tr::actors
