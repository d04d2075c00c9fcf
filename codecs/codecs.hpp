#pragma once

// clang-format off
/// The codecs component (namespace tr::codecs): pure functions over bytes, no I/O, no actors.
///
///   report_parser  NS reports (JSON, JSON_UNTYPED, XML) -> report (a lossless tree + token fields)
///   encoders       report -> JSON | JSON_UNTYPED | XML, appended to a reused buffer
///   query          percent-encoding, the uplink query, the downlink query's signed part
///   time           ISO 8601 send times: format and parse
///   signing_key    key normalization and generation
///   token_signer   uplink and downlink tokens, constant-time comparison
///
/// Errors are values (codecs::error: an errc code and a one-line message); nothing here throws
/// on the data path. Hot-path objects (report_parser, report, token_signer, output buffers) are
/// meant to be created once per thread or actor and reused: then nothing allocates per report.
// clang-format on

#include "codecs/encoders.hpp"
#include "codecs/error.hpp"
#include "codecs/query.hpp"
#include "codecs/report.hpp"
#include "codecs/report_parser.hpp"
#include "codecs/signing_key.hpp"
#include "codecs/time.hpp"
#include "codecs/token_signer.hpp"
