#include "app/ns_forwarder.hpp"

#include <algorithm>
#include <charconv>

#include "api/detail/uri.hpp"

namespace tr::app {

using transport::client_connection;

std::string parse_ns_target(const std::string& url, ns_target& out) {
  auto parsed = api::detail::parse_uri(url);
  if (!parsed.value) return parsed.error;
  auto& uri = *parsed.value;
  if (uri.scheme == "https")
    out.tls = true, out.port = 443;
  else if (uri.scheme == "http")
    out.tls = false, out.port = 80;
  else
    return "scheme must be http or https";
  if (uri.host.empty()) return "no host";
  out.host = std::string{uri.host};
  bool ipv6 = uri.kind == api::detail::host_kind::ipv6;
  out.authority = ipv6 ? "[" + out.host + "]" : out.host;
  if (uri.port && !uri.port->empty()) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(uri.port->data(), uri.port->data() + uri.port->size(), v);
    if (ec != std::errc{} || v == 0 || v > 65535) return "bad port";
    out.port = static_cast<std::uint16_t>(v);
    out.authority.append(":").append(*uri.port);
  }
  out.path = uri.path.empty() ? "/" : std::string{uri.path};
  if (uri.query) out.path.append("?").append(*uri.query);
  return {};
}

ns_forwarder::ns_forwarder(transport::shard& home, ns_target target, transport::tls_context tls,
                           std::chrono::milliseconds timeout,
                           std::chrono::milliseconds idle_timeout, std::size_t http1_sessions,
                           std::size_t http1_pipeline)
    : home_(home), target_(std::move(target)), tls_(std::move(tls)), timeout_(timeout) {
  options_.tls = &tls_;
  options_.idle_timeout = idle_timeout;
  options_.http2_sessions = 1;
  options_.http1_sessions = http1_sessions;
  options_.client.http1_pipeline = http1_pipeline;
}

ns_forwarder::~ns_forwarder() {
  if (pool_) pool_->detach();
}

void ns_forwarder::post(std::string body, done_fn done) {
  if (jobs_.size() >= max_jobs) {
    done(not_sent);
    return;
  }
  auto id = next_id_++;
  jobs_.push_back(job{id, std::move(body), std::move(done), {}, {}});
  jobs_.back().timer = home_.schedule(timeout_, [w = weak_from_this(), id] {
    if (auto self = w.lock()) self->expire(id);
  });
  pump();
}

void ns_forwarder::pump() {
  if (!pool_) {
    transport::upstream_user& user = *this;
    pool_ = std::make_shared<transport::upstream_pool>(
        home_, transport::upstream_target{target_.host, target_.port, target_.tls}, options_,
        user);
  }
  transport::header headers[] = {{"content-type", "application/json"}};
  for (auto& j : jobs_) {
    if (j.ticket) continue;
    transport::client_request request;
    request.authority = target_.authority;
    request.path = target_.path;
    request.headers = headers;
    request.body = transport::as_bytes(j.body);
    auto put = pool_->submit(request, j.id);
    if (put.what == transport::upstream::verdict::full) break;  // the rest wait here
    j.ticket = put.ticket;
  }
}

void ns_forwarder::on_answer(std::uint64_t cookie, const transport::error& err,
                             const transport::response& res, bool sent) {
  auto it = std::find_if(jobs_.begin(), jobs_.end(), [&](const job& j) { return j.id == cookie; });
  if (it != jobs_.end()) it->ticket = {};
  finish(cookie, !err ? res.status : (!sent || err.retryable()) ? not_sent : 0);
}

void ns_forwarder::expire(std::uint64_t id) {
  auto it = std::find_if(jobs_.begin(), jobs_.end(), [id](const job& j) { return j.id == id; });
  if (it == jobs_.end()) return;
  it->timer = {};
  // Taken by the pool: cancelling answers it from inside (0 if it was sent, else not_sent).
  if (it->ticket) return pool_->cancel(it->ticket);
  finish(id, not_sent);  // still in the line here
}

void ns_forwarder::finish(std::uint64_t id, int status) {
  auto it = std::find_if(jobs_.begin(), jobs_.end(), [id](const job& j) { return j.id == id; });
  if (it == jobs_.end()) return;
  auto done = std::move(it->done);
  if (it->timer) home_.cancel(it->timer);
  jobs_.erase(it);
  done(status);
  pump();
}

}  // namespace tr::app
