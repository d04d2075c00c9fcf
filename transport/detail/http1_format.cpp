#include "transport/detail/http1_format.hpp"

#include <algorithm>
#include <charconv>

namespace tr::transport::detail {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

void write_number(byte_buffer& out, std::size_t value) {
  char text[24];
  auto end = std::to_chars(text, text + sizeof text, value).ptr;
  out.append(std::string_view{text, static_cast<std::size_t>(end - text)});
}

void write_fields(byte_buffer& out, std::span<const header> headers) {
  for (const auto& field : headers) {
    if (is_engine_header(field.name)) continue;
    out.append(field.name);
    out.append(": ");
    out.append(field.value);
    out.append("\r\n");
  }
}

}  // namespace

bool is_engine_header(std::string_view name) {
  for (std::string_view own : {"content-length", "connection", "transfer-encoding", "host",
                               "keep-alive", "upgrade"}) {
    if (equals_ignoring_case(name, own)) return true;
  }
  return false;
}

void write_response_head(byte_buffer& out, int status, std::span<const header> headers,
                         std::size_t content_length, bool close) {
  if (status < 100 || status > 999) status = 500;
  out.append("HTTP/1.1 ");
  write_number(out, static_cast<std::size_t>(status));
  out.append(" ");
  out.append(reason_phrase(status));
  out.append("\r\n");
  write_fields(out, headers);
  out.append("content-length: ");
  write_number(out, content_length);
  out.append(close ? "\r\nconnection: close\r\n\r\n" : "\r\n\r\n");
}

void write_request_head(byte_buffer& out, const client_request& req) {
  out.append(req.method);
  out.append(" ");
  out.append(req.path.empty() ? std::string_view{"/"} : req.path);
  out.append(" HTTP/1.1\r\nhost: ");
  out.append(req.authority);
  out.append("\r\n");
  write_fields(out, req.headers);
  out.append("content-length: ");
  write_number(out, req.body.size());
  out.append("\r\n\r\n");
}

}  // namespace tr::transport::detail
