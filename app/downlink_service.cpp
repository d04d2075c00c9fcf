#include "app/downlink_service.hpp"

#include "actors/detail/json_text.hpp"
#include "actors/routing_table.hpp"

namespace tr::app {

namespace {

constexpr std::string_view downlink_path = "/thingpark/lrc/rest/downlink";
constexpr std::string_view queued_by_lrc = "<html><body>Request queued by LRC</body></html>";
/// Sessions toward a plain-HTTP NS per shard. Such a session speaks HTTP/1.1 and carries one
/// downlink at a time: several let the NS answer several at once, and their answers and the
/// AS's are read and written in fewer system calls. An https NS gets one session per shard:
/// HTTP/2 (by ALPN) multiplexes, and more sessions would only split its batches.
constexpr std::size_t plain_ns_lanes = 8;

}  // namespace

std::string downlink_json(const actors::downlink_verdict& v) {
  using actors::detail::append_json_string;
  const auto& f = v.fields;
  std::string out;
  out.reserve(256 + f.payload.size());
  out += "{\"connection\":";
  append_json_string(out, v.connection->id);
  out += ",\"asId\":";
  append_json_string(out, f.as_id);
  out += ",\"DevEUI\":";
  append_json_string(out, f.dev_eui);
  out.append(",\"FPort\":").append(f.fport).append(",\"Payload\":");
  append_json_string(out, f.payload);
  if (!f.fcnt_dn.empty()) out.append(",\"FCntDn\":").append(f.fcnt_dn);
  if (!f.confirmed.empty())
    out.append(",\"Confirmed\":").append(f.confirmed == "1" ? "true" : "false");
  if (!f.flush_queue.empty())
    out.append(",\"FlushDownlinkQueue\":").append(f.flush_queue == "1" ? "true" : "false");
  if (!f.validity_time.empty()) {
    out += ",\"ValidityTime\":";
    append_json_string(out, f.validity_time);
  }
  if (!f.correlation_id.empty()) {
    out += ",\"CorrelationID\":";
    append_json_string(out, f.correlation_id);
  }
  out += ",\"Time\":";
  append_json_string(out, f.time);
  out += "}";
  return out;
}

downlink_service::downlink_service(actors::data_plane& plane, actors::metrics_registry& metrics,
                                   actors::downlink_verifier& verifier, transport::tls_context tls,
                                   std::size_t shards, options opts)
    : plane_(plane),
      metrics_(metrics),
      verifier_(verifier),
      tls_(std::move(tls)),
      options_(std::move(opts)),
      lanes_(shards) {}

transport::server_options downlink_service::limits() {
  transport::server_options limits;
  limits.max_body_size = 64 << 10;
  return limits;
}

void downlink_service::stop() {
  lanes_.clear();
}

ns_forwarder& downlink_service::lane_for(transport::shard& home, std::string_view dev_eui) {
  auto& lanes = lanes_[home.index()];
  if (lanes.empty()) lanes.resize(options_.ns->tls ? 1 : plain_ns_lanes);
  // By device: one device's downlinks take one session, so the NS gets them in the order
  // they were accepted; different devices spread over the sessions.
  auto device = actors::routing_table::parse_dev_eui(dev_eui).value_or(0);
  auto& lane = lanes[(device * 0x9E3779B97F4A7C15ULL >> 32) % lanes.size()];
  if (!lane)
    lane = std::make_shared<ns_forwarder>(home, *options_.ns, tls_, options_.ns_timeout,
                                          std::chrono::seconds{60}, 1, options_.ns_http1_pipeline);
  return *lane;
}

void downlink_service::log_refused(const transport::request_origin& origin,
                                   const actors::downlink_verdict& verdict) {
  std::uint64_t held = 0;
  {
    std::lock_guard lock{log_mutex_};
    if (!log_limit_.allow(std::chrono::steady_clock::now())) return;
    held = log_limit_.suppressed();
  }
  std::string peer = transport::to_string(origin.peer), status = std::to_string(verdict.status),
              held_text = std::to_string(held);
  logging::warning("downlink refused", {{"peer", peer},
                                        {"outcome", actors::name_of(verdict.outcome)},
                                        {"status", status},
                                        {"reason", verdict.reason},
                                        {"held_back", held_text}});
}

void downlink_service::serve(const transport::request_origin& origin,
                             transport::http_server_connection& connection,
                             const transport::request& request) {
  if (request.path != downlink_path)
    return transport::respond_now(connection, origin.stream, 404, "text/plain", "not found");
  if (request.method != "POST")
    return transport::respond_method_not_allowed(connection, origin.stream, "POST", "text/plain",
                                                 "use POST");
  auto verdict =
      verifier_.verify(request.query, plane_.local().routes, std::chrono::system_clock::now());
  if (verdict.outcome != actors::downlink_outcome::accepted) {
    metrics_.count(verdict.outcome);
    log_refused(origin, verdict);
    return transport::respond_now(connection, origin.stream, verdict.status, "text/plain",
                                  verdict.reason);
  }
  if (!verdict.cluster_check) return deliver(origin, std::move(verdict));
  // Cluster mode: the shared store's check runs off this shard; the answer comes back to it.
  verifier_.check_cluster(std::move(verdict), [this, origin](actors::downlink_verdict checked) {
    if (checked.outcome != actors::downlink_outcome::accepted) {
      metrics_.count(checked.outcome);
      log_refused(origin, checked);
      return transport::respond_later(origin, checked.status, {{"content-type", "text/plain"}},
                                      std::move(checked.reason));
    }
    auto shared = std::make_shared<actors::downlink_verdict>(std::move(checked));
    bool posted = origin.home->post(
        [this, origin, shared](transport::shard&) { deliver(origin, std::move(*shared)); });
    if (!posted) verifier_.release(*shared);  // the shard has stopped: nothing was delivered
  });
}

void downlink_service::deliver(const transport::request_origin& origin,
                               actors::downlink_verdict verdict) {
  if (!options_.ns) {
    verifier_.release(verdict);
    metrics_.count(actors::downlink_outcome::ns_unconfigured);
    verdict.outcome = actors::downlink_outcome::ns_unconfigured;
    verdict.status = 503;
    verdict.reason = "no NS downlink URL configured (ns.downlink_url)";
    log_refused(origin, verdict);
    return transport::respond_later(origin, 503, {{"content-type", "text/plain"}},
                                    "no NS downlink URL configured");
  }
  auto& lane = lane_for(*origin.home, verdict.fields.dev_eui);
  auto* registry = &metrics_;
  auto* verifying = &verifier_;
  auto json = downlink_json(verdict);
  // The service outlives the shards' callbacks: the runtime stops before it does.
  lane.post(
      std::move(json),
      [this, origin, registry, verifying, verdict = std::move(verdict)](int status) mutable {
        if (status >= 200 && status < 300) {
          registry->count(actors::downlink_outcome::accepted);
          transport::respond_later(origin, 200, {{"content-type", "text/html"}},
                                   std::string{queued_by_lrc});
        } else {
          registry->count(actors::downlink_outcome::ns_failed);
          // The NS refused it or never got it: the AS may send it again. Sent without an answer,
          // the NS may have queued it, so the token stays spent (a resend would be a duplicate).
          if (status != 0) verifying->release(verdict);
          verdict.outcome = actors::downlink_outcome::ns_failed;
          verdict.status = 503;
          verdict.reason = "NS " + options_.ns->authority +
                           (status > 0    ? " answered " + std::to_string(status)
                            : status == 0 ? ": sent, no answer"
                                          : ": not reached");
          log_refused(origin, verdict);
          transport::respond_later(origin, 503, {{"content-type", "text/plain"}}, "NS unavailable");
        }
      });
}

}  // namespace tr::app
