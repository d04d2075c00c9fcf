#include "actors/ingress.hpp"

#include <algorithm>
#include <cstring>

#include "actors/detail/json_text.hpp"
#include "codecs/query.hpp"

namespace tr::actors {

namespace {

/// The decoded `connection` parameter of an ingress query ("" when absent); false if malformed.
bool target_of(std::string_view query, std::string& out) {
  out.clear();
  std::string_view name, value;
  while (codecs::next_query_param(query, name, value)) {
    if (name != "connection") continue;
    out.clear();
    return codecs::percent_decode(value, out).ok() && !out.empty();
  }
  return true;
}

void error_body(ingress_answer& out, int status, std::string_view message) {
  out.status = status;
  out.body = "{\"error\":";
  detail::append_json_string(out.body, message);
  out.body += "}";
}

}  // namespace

ingress::ingress(const routing_table& routes, metrics_registry& metrics, dispatch_fn dispatch)
    : routes_(routes), metrics_(metrics), dispatch_(std::move(dispatch)) {}

int ingress::route_one(std::string_view target, std::string_view body, std::string& error,
                       int& status) {
  auto& parsed = reports_.writable();
  if (auto err = parser_.parse_json(body, parsed); !err.ok()) {
    metrics_.count(report_outcome::malformed);
    status = 400;
    error = err.message();
    return -1;
  }
  if (!target.empty()) {
    auto slot = routes_.find(target);
    if (!slot) {
      metrics_.count(report_outcome::unrouted);
      status = 404;
      error = "no connection ";
      error += target;
      return -1;
    }
    metrics_.count(report_outcome::routed);
    dispatch_(*slot, reports_.current());
    return 1;
  }
  auto dev_eui = routing_table::parse_dev_eui(parsed.fields().dev_eui);
  auto slots = dev_eui ? routes_.lookup(*dev_eui) : std::span<const routing_table::slot>{};
  if (slots.empty()) {
    metrics_.count(report_outcome::unrouted);
    status = 404;
    error = "no route for DevEUI ";
    error += parsed.fields().dev_eui;
    return -1;
  }
  metrics_.count(report_outcome::routed);
  for (auto slot : slots) dispatch_(slot, reports_.current());
  return static_cast<int>(slots.size());
}

void ingress::handle_report(std::string_view query, std::string_view body, ingress_answer& out) {
  if (!target_of(query, scratch_)) return error_body(out, 400, "bad connection parameter");
  std::string error;
  int status = 202;
  int routed = route_one(scratch_, body, error, status);
  if (routed < 0) return error_body(out, status, error);
  out.status = 202;
  out.body = "{\"routed\":" + std::to_string(routed) + "}";
}

void ingress::handle_batch(std::string_view query, std::string_view body, ingress_answer& out) {
  batch_progress batch;
  if (!begin_batch(query, body, batch, out)) return;
  while (!continue_batch(batch, body.size() + 1, out)) {
  }
}

bool ingress::begin_batch(std::string_view query, std::string_view body, batch_progress& batch,
                          ingress_answer& out) {
  if (!target_of(query, batch.target)) {
    error_body(out, 400, "bad connection parameter");
    return false;
  }
  std::size_t lines = !body.empty() && body.back() != '\n' ? 1 : 0;
  for (const char* at = body.data(); at != nullptr;) {
    auto left = static_cast<std::size_t>(body.data() + body.size() - at);
    at = static_cast<const char*>(std::memchr(at, '\n', left));
    if (at != nullptr) {
      ++lines;
      ++at;
    }
  }
  if (lines > max_batch_lines) {
    error_body(out, 413, "more than " + std::to_string(max_batch_lines) + " lines in one batch");
    return false;
  }
  batch.rest = body;
  return true;
}

bool ingress::continue_batch(batch_progress& batch, std::size_t max_bytes, ingress_answer& out) {
  std::string error;
  std::size_t start = batch.rest.size();
  while (!batch.rest.empty() && start - batch.rest.size() < max_bytes) {
    auto end = batch.rest.find('\n');
    auto line = batch.rest.substr(0, end);
    batch.rest.remove_prefix(end == std::string_view::npos ? batch.rest.size() : end + 1);
    ++batch.line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    int status = 202;
    if (route_one(batch.target, line, error, status) >= 0) {
      ++batch.accepted;
      continue;
    }
    if (++batch.rejected_count > max_listed_rejections) continue;
    if (!batch.rejected.empty()) batch.rejected += ',';
    batch.rejected += "{\"line\":" + std::to_string(batch.line_number) + ",\"error\":";
    detail::append_json_string(batch.rejected, error);
    batch.rejected += '}';
  }
  if (!batch.rest.empty()) return false;
  kept_bytes_ -= batch.kept;
  batch.kept = 0;
  out.status = 200;
  out.body = "{\"accepted\":" + std::to_string(batch.accepted) + ",\"rejected\":[" +
             batch.rejected + "],\"rejectedCount\":" + std::to_string(batch.rejected_count) + "}";
  return true;
}

bool ingress::keep_batch(batch_progress& batch, bool copy) {
  if (batch.kept != 0) return true;
  if (kept_bytes_ + batch.rest.size() > max_sliced_bytes) return false;
  if (copy) {
    batch.body.assign(batch.rest);
    batch.rest = batch.body;
  }
  batch.kept = batch.rest.size();
  kept_bytes_ += batch.kept;
  return true;
}

}  // namespace tr::actors
