// Spike only: minimal sans-I/O HTTP/2 sessions shared by both runtime shapes, so that the
// shapes differ only in how bytes, threads and hops are arranged.
//
// server_session: an h2c server that answers every request 202 at once and hands the request
//                 body to a callback (the "report").
// client_session: an h2c client that POSTs bodies to an upstream and counts its answers.
// Both take bytes in with feed() and leave bytes to write in output().
#pragma once

#include <nghttp2/nghttp2.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace spike {

/// Counters of one spike process, read at exit.
struct counters {
  std::atomic<uint64_t> ingress_requests{0};
  std::atomic<uint64_t> forwarded{0};
  std::atomic<uint64_t> upstream_ok{0};
  std::atomic<uint64_t> upstream_failed{0};
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> cross_shard{0};

  void print(const char* shape) const {
    std::printf("%s ingress=%llu forwarded=%llu upstream_ok=%llu upstream_failed=%llu dropped=%llu "
                "cross_shard=%llu\n",
                shape, (unsigned long long) ingress_requests.load(),
                (unsigned long long) forwarded.load(), (unsigned long long) upstream_ok.load(),
                (unsigned long long) upstream_failed.load(), (unsigned long long) dropped.load(),
                (unsigned long long) cross_shard.load());
    std::fflush(stdout);
  }
};

inline counters stats;

namespace detail {

inline nghttp2_nv make_nv(const char* name, const char* value, size_t value_len) {
  return nghttp2_nv{(uint8_t*) name, (uint8_t*) value, std::strlen(name), value_len,
                    NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
}

inline ssize_t read_string(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                           uint32_t* data_flags, nghttp2_data_source* source, void*) {
  auto* body = static_cast<std::string*>(source->ptr);
  // The body is consumed from its front; what is left stays in the string.
  size_t n = std::min(length, body->size());
  std::memcpy(buf, body->data(), n);
  body->erase(0, n);
  if (body->empty())
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t) n;
}

} // namespace detail

/// Appends everything nghttp2 wants to send to `out` (the buffer of mem_send is valid until the
/// next call, so it is copied right away).
inline bool drain(nghttp2_session* session, std::string& out) {
  for (;;) {
    const uint8_t* data = nullptr;
    auto n = nghttp2_session_mem_send(session, &data);
    if (n < 0)
      return false;
    if (n == 0)
      return true;
    out.append((const char*) data, (size_t) n);
  }
}

class server_session {
public:
  using report_handler = std::function<void(std::string&& body)>;

  explicit server_session(report_handler on_report) : on_report_(std::move(on_report)) {
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_session_server_new(&session_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 256}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, 1);
  }
  ~server_session() { nghttp2_session_del(session_); }
  server_session(const server_session&) = delete;
  server_session& operator=(const server_session&) = delete;

  /// Feeds received bytes; false when the session must be closed.
  bool feed(std::span<const char> bytes) {
    auto rv = nghttp2_session_mem_recv(session_, (const uint8_t*) bytes.data(), bytes.size());
    return rv >= 0;
  }
  /// Moves pending output into `out`.
  bool output(std::string& out) { return drain(session_, out); }
  bool alive() const {
    return nghttp2_session_want_read(session_) || nghttp2_session_want_write(session_);
  }

private:
  struct stream {
    std::string body;
  };

  static int on_begin_headers(nghttp2_session* s, const nghttp2_frame* frame, void*) {
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
      nghttp2_session_set_stream_user_data(s, frame->hd.stream_id, new stream);
    return 0;
  }
  static int on_data_chunk(nghttp2_session* s, uint8_t, int32_t id, const uint8_t* data,
                           size_t len, void*) {
    if (auto* st = static_cast<stream*>(nghttp2_session_get_stream_user_data(s, id)))
      st->body.append((const char*) data, len);
    return 0;
  }
  static int on_frame_recv(nghttp2_session* s, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<server_session*>(user);
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA)
        && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      auto id = frame->hd.stream_id;
      auto* st = static_cast<stream*>(nghttp2_session_get_stream_user_data(s, id));
      if (!st)
        return 0;
      stats.ingress_requests.fetch_add(1, std::memory_order_relaxed);
      self->on_report_(std::move(st->body));
      static const char status[] = "202";
      static const char ctype[] = "application/json";
      static const char clen[] = "12";
      nghttp2_nv hdrs[] = {detail::make_nv(":status", status, 3),
                           detail::make_nv("content-type", ctype, sizeof(ctype) - 1),
                           detail::make_nv("content-length", clen, 2)};
      st->body.assign("{\"routed\":1}");
      nghttp2_data_provider prd;
      prd.source.ptr = &st->body;
      prd.read_callback = detail::read_string;
      nghttp2_submit_response(s, id, hdrs, 3, &prd);
    }
    return 0;
  }
  static int on_stream_close(nghttp2_session* s, int32_t id, uint32_t, void*) {
    delete static_cast<stream*>(nghttp2_session_get_stream_user_data(s, id));
    return 0;
  }

  nghttp2_session* session_ = nullptr;
  report_handler on_report_;
};

class client_session {
public:
  client_session(std::string authority, size_t max_in_flight)
    : authority_(std::move(authority)), max_in_flight_(max_in_flight) {
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_session_client_new(&session_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~client_session() { nghttp2_session_del(session_); }
  client_session(const client_session&) = delete;
  client_session& operator=(const client_session&) = delete;

  /// Starts a POST of `body`; false (and the report dropped) when too many are in flight.
  bool submit(std::string&& body) {
    if (in_flight_ >= max_in_flight_) {
      stats.dropped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    auto* st = new stream{std::move(body), 0, {}};
    st->length = std::to_string(st->body.size());
    static const char method[] = "POST";
    static const char scheme[] = "http";
    static const char path[] = "/up";
    static const char ctype[] = "application/json";
    nghttp2_nv hdrs[] = {detail::make_nv(":method", method, 4),
                         detail::make_nv(":scheme", scheme, 4),
                         detail::make_nv(":authority", authority_.data(), authority_.size()),
                         detail::make_nv(":path", path, 3),
                         detail::make_nv("content-type", ctype, sizeof(ctype) - 1),
                         detail::make_nv("content-length", st->length.data(), st->length.size())};
    nghttp2_data_provider prd;
    prd.source.ptr = &st->body;
    prd.read_callback = detail::read_string;
    auto id = nghttp2_submit_request(session_, nullptr, hdrs, 6, &prd, st);
    if (id < 0) {
      delete st;
      stats.dropped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    ++in_flight_;
    stats.forwarded.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  bool feed(std::span<const char> bytes) {
    return nghttp2_session_mem_recv(session_, (const uint8_t*) bytes.data(), bytes.size()) >= 0;
  }
  bool output(std::string& out) { return drain(session_, out); }
  size_t in_flight() const { return in_flight_; }
  void set_max_in_flight(size_t n) { max_in_flight_ = n; }

private:
  struct stream {
    std::string body;
    int status;
    std::string length;
  };

  static int on_header(nghttp2_session* s, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void*) {
    if (frame->hd.type == NGHTTP2_HEADERS && namelen == 7 && std::memcmp(name, ":status", 7) == 0)
      if (auto* st = static_cast<stream*>(
            nghttp2_session_get_stream_user_data(s, frame->hd.stream_id)))
        st->status = valuelen == 3 ? (value[0] - '0') * 100 + (value[1] - '0') * 10
                                       + (value[2] - '0')
                                   : 0;
    return 0;
  }
  static int on_stream_close(nghttp2_session* s, int32_t id, uint32_t, void* user) {
    auto* self = static_cast<client_session*>(user);
    auto* st = static_cast<stream*>(nghttp2_session_get_stream_user_data(s, id));
    if (!st)
      return 0;
    if (st->status >= 200 && st->status < 300)
      stats.upstream_ok.fetch_add(1, std::memory_order_relaxed);
    else
      stats.upstream_failed.fetch_add(1, std::memory_order_relaxed);
    delete st;
    --self->in_flight_;
    return 0;
  }

  nghttp2_session* session_ = nullptr;
  std::string authority_;
  size_t max_in_flight_;
  size_t in_flight_ = 0;
};

} // namespace spike
