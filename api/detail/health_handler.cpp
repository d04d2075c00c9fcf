// The health endpoints of the admin API: a connection's status and its test uplink. The figures
// come from the running data plane (admin_api::options::live); the domain rules are the
// connection's own.

#include "api/detail/handlers.hpp"
#include "api/detail/json_out.hpp"
#include "api/domains.hpp"

namespace tr::api::detail {

namespace {

/// The stored connection and how much of it the caller sees (hidden: the answer refusing it).
struct seen_connection {
  std::optional<store::connection> value;
  visibility seen = visibility::hidden;
  api_answer refusal;
};

seen_connection find_visible(const call& c, std::string_view id) {
  auto found = c.db.get_connection(id);
  if (!found) {
    auto code = found.error_value().code;
    if (code == store::error_code::not_found || code == store::error_code::invalid_argument)
      return {std::nullopt, visibility::hidden,
              error_answer(404, "no connection " + std::string{id})};
    return {std::nullopt, visibility::hidden, store_failure(found.error_value())};
  }
  auto seen = visibility_of(c.caller, *found);
  if (seen == visibility::hidden)
    return {std::nullopt, seen, error_answer(404, "no connection " + std::string{id})};
  return {std::move(*found), seen, {}};
}

void write_counts(json_out& out, const outcome_counts& counts) {
  out.begin_object()
      .key("delivered")
      .number(static_cast<std::int64_t>(counts.delivered))
      .key("failed")
      .number(static_cast<std::int64_t>(counts.failed))
      .key("timeout")
      .number(static_cast<std::int64_t>(counts.timeout))
      .key("shed")
      .number(static_cast<std::int64_t>(counts.shed))
      .key("paused")
      .number(static_cast<std::int64_t>(counts.paused))
      .end_object();
}

void optional_decimal(json_out& out, const std::optional<double>& value) {
  if (value)
    out.decimal(*value);
  else
    out.null();
}

api_answer not_running(std::string_view id) {
  return error_answer(503, "connection " + std::string{id} +
                               " does not run on this instance (its configuration may be "
                               "refused, or the data plane is not up)");
}

/// The answer to a test uplink: what was sent and what came back.
api_answer test_answer(const test_uplink_result& result) {
  json_out out;
  out.begin_object();
  out.key("request").string(result.request);
  out.key("status");
  if (result.status != 0)
    out.number(result.status);
  else
    out.null();
  out.key("latencyMs").decimal(result.latency_ms);
  out.key("body").string(result.body);
  out.key("error");
  if (result.error.empty())
    out.null();
  else
    out.string(result.error);
  out.end_object();
  return json_answer(200, out.take());
}

}  // namespace

api_answer connection_status(const call& c, std::string_view id) {
  auto found = find_visible(c, id);
  if (!found.value) return found.refusal;
  if (!c.options.live) return not_running(id);
  auto status = c.options.live->status(found.value->id);
  if (!status) return not_running(id);
  bool full = found.seen == visibility::full;
  json_out out;
  out.begin_object();
  out.key("state").string(status->state);
  out.key("reason").string(status->reason);
  out.key("limit").number(status->limit);
  out.key("inFlight").number(status->in_flight);
  out.key("lastMinute");
  write_counts(out, status->last_minute);
  out.key("last15Minutes");
  write_counts(out, status->last_15_minutes);
  out.key("latencyMs").begin_object().key("p50");
  optional_decimal(out, status->p50_ms);
  out.key("p99");
  optional_decimal(out, status->p99_ms);
  out.end_object();
  out.key("lastDeliveryAt");
  if (status->last_delivery_at.empty())
    out.null();
  else
    out.string(status->last_delivery_at);
  out.key("failures").begin_array();
  for (const auto& f : status->failures) {
    out.begin_object().key("at").string(f.at).key("kind").string(f.kind).key("status");
    if (f.status != 0)
      out.number(f.status);
    else
      out.null();
    out.key("message").string(f.message);
    // A cross-domain connection's AS answers are withheld, like its url and headers.
    out.key("body").string(full ? f.body : std::string{});
    out.end_object();
  }
  out.end_array();
  out.key("replicas").strings(status->replicas);
  if (!status->problem.empty()) {
    // Its text may quote the url, which a cross-domain reader does not see.
    out.key("problem").string(full ? status->problem
                                   : std::string{"its configuration cannot run here"});
  }
  out.end_object();
  return json_answer(200, out.take());
}

api_answer test_connection(const call& c, std::string_view id) {
  auto found = find_visible(c, id);
  if (!found.value) return found.refusal;
  if (!may_modify(c.caller, *found.value))
    return error_answer(403, modify_refusal(c.caller, *found.value));
  if (!c.options.live) return not_running(id);
  // The AS may take up to the request timeout: answered later, the worker serves others meanwhile.
  api_answer pending;
  pending.later = [live = c.options.live,
                   connection = found.value->id](std::function<void(api_answer)> deliver) {
    bool running = live->send_test(
        connection, [deliver](test_uplink_result result) { deliver(test_answer(result)); });
    if (!running) deliver(not_running(connection));
  };
  return pending;
}

}  // namespace tr::api::detail
