#include "app/ingress_service.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>

namespace tr::app {

namespace {

/// The lines of a batch read in one loop turn (about 64 KiB: some hundreds of lines); a larger
/// batch goes on in the next turns, with the shard's other connections served in between.
constexpr std::size_t batch_slice_bytes = 64 << 10;

/// A batch read over several loop turns, with the request's body buffer it reads from.
struct kept_batch {
  transport::detail::byte_buffer body;
  actors::ingress::batch_progress progress;
};

/// Works through the next slice of a kept batch in the next loop turn, then answers it.
void continue_batch_later(actors::data_plane& plane, const transport::request_origin& origin,
                          std::unique_ptr<kept_batch> batch) {
  origin.home->post_next_turn(
      [&plane, origin, batch = std::move(batch)](transport::shard&) mutable {
        actors::ingress_answer answer;
        if (!plane.local().reports->continue_batch(batch->progress, batch_slice_bytes, answer))
          return continue_batch_later(plane, origin, std::move(batch));
        transport::respond_later(origin, answer.status, {{"content-type", "application/json"}},
                                 std::move(answer.body));
      });
}

}  // namespace

ingress_service::ingress_service(actors::data_plane& plane, actors::metrics_registry& metrics)
    : plane_(plane), metrics_(metrics) {}

transport::server_options ingress_service::limits(std::size_t max_body_bytes) {
  // The path decides the body a request may carry, from its head.
  transport::server_options limits;
  limits.max_body_size = max_body_bytes;
  limits.body_limit = [max_body_bytes](const transport::request& head) -> std::size_t {
    if (head.path == "/v1/reports:batch") return max_body_bytes;
    if (head.path == "/v1/reports") return std::min<std::size_t>(max_body_bytes, 64 << 10);
    // Any other path is answered 404 (405 for another method) whatever its body: a small one
    // is read for that, a larger one refused at once (413) without being read.
    return std::min<std::size_t>(max_body_bytes, 4096);
  };
  limits.on_refusal = [metrics = &metrics_](int status, std::string_view) {
    if (status == 413) metrics->count(actors::report_outcome::too_large);
  };
  return limits;
}

void ingress_service::serve(const transport::request_origin& origin,
                            transport::http_server_connection& connection,
                            const transport::request& request) {
  bool single = request.path == "/v1/reports";
  bool batch = request.path == "/v1/reports:batch";
  if (!single && !batch)
    return transport::respond_now(connection, origin.stream, 404, "application/json",
                                  R"({"error":"not found"})");
  if (request.method != "POST")
    return transport::respond_method_not_allowed(connection, origin.stream, "POST",
                                                 "application/json", R"({"error":"use POST"})");
  actors::ingress_answer answer;
  auto& state = plane_.local();
  auto body = transport::as_text(request.body);
  if (single) {
    state.reports->handle_report(request.query, body, answer);
  } else {
    auto batch = std::make_unique<kept_batch>();
    auto& reports = *state.reports;
    auto& progress = batch->progress;
    if (reports.begin_batch(request.query, body, progress, answer) &&
        !reports.continue_batch(progress, batch_slice_bytes, answer)) {
      // The engine's body buffer goes with the batch when it can (no copy of megabytes).
      bool own_body = request.body_storage != nullptr;
      if (reports.keep_batch(progress, !own_body)) {
        if (own_body) batch->body = std::move(*request.body_storage);
        return continue_batch_later(plane_, origin, std::move(batch));
      }
      while (!reports.continue_batch(progress, SIZE_MAX, answer)) {
      }
    }
  }
  transport::respond_now(connection, origin.stream, answer.status, "application/json", answer.body);
}

}  // namespace tr::app
