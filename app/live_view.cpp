#include "app/live_view.hpp"

#include <unistd.h>

#include <array>
#include <future>

namespace tr::app {

namespace {

constexpr std::array<std::string_view, 3> fuse_state_names = {"closed", "throttling", "open"};

}  // namespace

std::string instance_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

live_view::live_view(actors::data_plane& plane, actors::metrics_registry& metrics,
                     std::string instance, std::chrono::milliseconds request_timeout)
    : plane_(plane),
      metrics_(metrics),
      instance_(std::move(instance)),
      request_timeout_(request_timeout) {}

std::optional<api::connection_status> live_view::status(std::string_view id) {
  auto figures = metrics_.find(id);
  if (!figures) return std::nullopt;
  api::connection_status out;
  auto state = figures->fuse_state.load(std::memory_order_relaxed);
  out.state = figures->paused.load(std::memory_order_relaxed)
                  ? "paused"
                  : std::string{fuse_state_names[std::min<std::size_t>(state, 2)]};
  out.limit = figures->limit.load(std::memory_order_relaxed);
  out.in_flight = std::max(0, figures->in_flight.load(std::memory_order_relaxed));
  figures->health.summarize(actors::connection_health::clock::now(), out);
  // Cluster mode: merge the summaries the other live replicas published through the store here.
  out.replicas = {instance_};
  return out;
}

std::optional<api::test_uplink_result> live_view::send_test(std::string_view id) {
  auto promise = std::make_shared<std::promise<api::test_uplink_result>>();
  auto answer = promise->get_future();
  bool posted = plane_.with_owner(id, [promise](actors::connection_owner& owner) {
    owner.send_test([promise](api::test_uplink_result result) {
      promise->set_value(std::move(result));
    });
  });
  if (!posted) return std::nullopt;
  api::test_uplink_result failed;
  try {
    if (answer.wait_for(request_timeout_ + std::chrono::seconds{1}) == std::future_status::ready)
      return answer.get();
    failed.error = "no outcome within the request timeout";
  } catch (const std::future_error&) {
    failed.error = "the connection was replaced while the test ran: try again";
  }
  return failed;
}

}  // namespace tr::app
