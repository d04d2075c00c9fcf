#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "transport/detail/byte_buffer.hpp"
#include "transport/http_types.hpp"

namespace tr::transport::detail {

/// Writes "HTTP/1.1 200 OK\r\n", the header fields, content-length (and "connection: close"
/// when `close` is set) and the blank line.
void write_response_head(byte_buffer& out, int status, std::span<const header> headers,
                         std::size_t content_length, bool close);

/// Writes "POST /path HTTP/1.1\r\n", host, the header fields, content-length and the blank line.
void write_request_head(byte_buffer& out, const client_request& req);

/// True for the fields the engines write themselves (content-length, connection,
/// transfer-encoding, host, keep-alive, upgrade): a caller's copy of them is left out.
bool is_engine_header(std::string_view name);

}  // namespace tr::transport::detail
