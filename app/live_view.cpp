#include "app/live_view.hpp"

#include <unistd.h>

#include <array>
#include <memory>
#include <mutex>

namespace tr::app {

namespace {

constexpr std::array<std::string_view, 3> fuse_state_names = {"closed", "throttling", "open"};

/// Delivers a test uplink's result once. Shared by the closures that carry it to the owner and
/// back: when the last of them goes without having delivered (the owner was destroyed with the
/// test in flight, or its shard stopped before running it), it says so.
class test_answer {
 public:
  explicit test_answer(std::function<void(api::test_uplink_result)> done)
      : done_(std::move(done)) {}
  test_answer(const test_answer&) = delete;
  test_answer& operator=(const test_answer&) = delete;
  ~test_answer() {
    api::test_uplink_result lost;
    lost.error = "the connection was replaced or stopped while the test ran: try again";
    give(std::move(lost));
  }

  void give(api::test_uplink_result result) {
    std::function<void(api::test_uplink_result)> done;
    {
      std::lock_guard lock{mutex_};
      done.swap(done_);
    }
    if (done) done(std::move(result));
  }
  /// Never delivers (the test was not sent).
  void withdraw() {
    std::lock_guard lock{mutex_};
    done_ = nullptr;
  }

 private:
  std::mutex mutex_;
  std::function<void(api::test_uplink_result)> done_;
};

}  // namespace

std::string instance_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

live_view::live_view(actors::data_plane& plane, actors::metrics_registry& metrics,
                     std::string instance, store::cluster_store* cluster)
    : plane_(plane),
      metrics_(metrics),
      instance_(cluster ? cluster->instance_id() : std::move(instance)),
      cluster_(cluster) {}

std::optional<health_figures> live_view::own_figures(std::string_view id) const {
  auto figures = metrics_.find(id);
  if (!figures) return std::nullopt;
  health_figures out;
  auto state = figures->fuse_state.load(std::memory_order_relaxed);
  out.status.state = figures->paused.load(std::memory_order_relaxed)
                         ? "paused"
                         : std::string{fuse_state_names[std::min<std::size_t>(state, 2)]};
  out.status.reason = out.status.state == "paused"
                          ? "paused by the operator"
                          : figures->fuse_reason.load(std::memory_order_relaxed);
  out.status.limit = figures->limit.load(std::memory_order_relaxed);
  out.status.in_flight = std::max(0, figures->in_flight.load(std::memory_order_relaxed));
  figures->health.summarize(actors::connection_health::clock::now(), out.status, &out.latencies);
  out.status.replicas = {instance_};
  out.status.problem = figures->problem();
  return out;
}

std::vector<std::pair<std::string, health_figures>> live_view::all_own_figures() const {
  std::vector<std::pair<std::string, health_figures>> out;
  for (auto& id : metrics_.connection_ids())
    if (auto figures = own_figures(id)) out.emplace_back(id, std::move(*figures));
  return out;
}

std::optional<api::connection_status> live_view::status(std::string_view id) {
  auto merged = own_figures(id);
  if (!merged) return std::nullopt;
  if (cluster_) {
    auto published = cluster_->health_of(id);
    if (published)
      for (const auto& other : *published)
        if (auto figures = decode_health(other.summary))
          merge_health(*merged, *figures, other.instance_id);
  }
  return std::move(merged->status);
}

bool live_view::send_test(std::string_view id, std::function<void(api::test_uplink_result)> done) {
  auto answer = std::make_shared<test_answer>(std::move(done));
  bool posted = plane_.with_owner(id, [answer](actors::connection_owner& owner) {
    owner.send_test([answer](api::test_uplink_result result) { answer->give(std::move(result)); });
  });
  if (!posted) answer->withdraw();
  return posted;
}

}  // namespace tr::app
