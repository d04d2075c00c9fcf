#include "transport/http_server_connection.hpp"

#include <cstring>

#include "transport/detail/h1_server.hpp"
#include "transport/detail/h2_server.hpp"

namespace tr::transport {

namespace {

constexpr std::string_view client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

}  // namespace

server_protocol_choice protocol_for_alpn(std::string_view alpn) {
  if (alpn == "h2") return server_protocol_choice::http2;
  if (alpn == "http/1.1") return server_protocol_choice::http1;
  return server_protocol_choice::detect;
}

http_server_connection::http_server_connection(const server_options& options,
                                               request_handler handler,
                                               server_protocol_choice protocol)
    : options_(options), handler_(std::move(handler)) {
  if (protocol != server_protocol_choice::detect) failure_ = start(protocol);
}

http_server_connection::~http_server_connection() = default;

error http_server_connection::start(server_protocol_choice protocol) {
  if (protocol == server_protocol_choice::http2) {
    protocol_ = std::make_unique<detail::h2_server>(options_, handler_, *this, output_);
    version_ = http_version::http2;
  } else {
    protocol_ = std::make_unique<detail::h1_server>(options_, handler_, *this, output_);
    version_ = http_version::http1;
  }
  if (shutdown_requested_) protocol_->shutdown();
  return {};
}

error http_server_connection::receive(std::span<const std::byte> bytes) {
  if (failure_) return failure_;
  if (closed_) return {};
  if (!protocol_) {
    // Detecting: compare with the HTTP/2 client preface as far as the bytes go.
    std::size_t compare = std::min(bytes.size(), client_preface.size() - preface_matched_);
    bool matches =
        std::memcmp(bytes.data(), client_preface.data() + preface_matched_, compare) == 0;
    if (matches && preface_matched_ + compare < client_preface.size()) {
      preface_matched_ += compare;
      return {};  // not enough bytes to decide yet
    }
    std::size_t seen = preface_matched_;
    start(matches ? server_protocol_choice::http2 : server_protocol_choice::http1);
    // Replay the part of the preface held back while deciding.
    if (seen > 0) {
      auto held = as_bytes(client_preface.substr(0, seen));
      if (auto err = protocol_->receive(held)) return failure_ = err;
    }
  }
  if (auto err = protocol_->receive(bytes)) failure_ = err;
  return failure_;
}

void http_server_connection::receive_eof() {
  if (protocol_) {
    protocol_->receive_eof();
  } else {
    closed_ = true;
  }
}

std::span<const std::byte> http_server_connection::pending_output() {
  if (protocol_ && !closed_) protocol_->fill_output();
  return output_.data();
}

void http_server_connection::consume_output(std::size_t count) {
  output_.consume(count);
  detail::release_if_large(output_, 1 << 20);
}

bool http_server_connection::wants_close() const {
  if (closed_) return true;
  if (!protocol_) return shutdown_requested_;
  return protocol_->finished();
}

error http_server_connection::respond(stream_id stream, int status, std::span<const header> headers,
                                      std::span<const std::byte> body) {
  if (!protocol_ || closed_) return {error_code::unknown_stream, "connection not serving"};
  return protocol_->respond(stream, status, headers, body);
}

void http_server_connection::cancel(stream_id stream) {
  if (protocol_) protocol_->cancel(stream);
}

void http_server_connection::shutdown() {
  shutdown_requested_ = true;
  if (protocol_) protocol_->shutdown();
}

void http_server_connection::close() {
  if (protocol_ && !closed_) {
    protocol_->shutdown();
    protocol_->fill_output();  // the GOAWAY goes out with what is already pending
  }
  closed_ = true;
}

http_version http_server_connection::version() const {
  return version_;
}

std::size_t http_server_connection::open_requests() const {
  return protocol_ ? protocol_->open_requests() : 0;
}

std::size_t http_server_connection::queued_output() const {
  return protocol_ && !closed_ ? protocol_->queued_output() : 0;
}

std::size_t http_server_connection::bulk_input() const {
  return protocol_ && !failure_ && !closed_ ? protocol_->bulk_input() : 0;
}

std::uint64_t http_server_connection::progress() const {
  return protocol_ ? protocol_->progress() : 0;
}

std::uint64_t http_server_connection::body_bytes() const {
  return protocol_ ? protocol_->body_bytes() : 0;
}

std::uint64_t http_server_connection::requests_seen() const {
  return protocol_ ? protocol_->requests_seen() : 0;
}

}  // namespace tr::transport
