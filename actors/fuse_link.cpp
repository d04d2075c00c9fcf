#include "actors/fuse_link.hpp"

#include <algorithm>

#include "actors/connection_owner.hpp"

namespace tr::actors {

void learn(fuse& learner, const std::vector<fuse_event>& batch) {
  for (const auto& e : batch) {
    switch (e.what) {
      case fuse_event::kind::answer: {
        auto latency = std::chrono::duration_cast<fuse::duration>(e.at - e.sent);
        // A probe counts as the probe only for the open period it was admitted in (the gate
        // admits one per period, after its end); otherwise, while open, it is ignored.
        bool probe = e.probe && e.epoch == learner.epoch() &&
                     learner.current_state() == fuse::state::open;
        if (probe) learner.take_probe();
        learner.record(e.signal, latency, e.at, probe, e.in_flight);
        break;
      }
      case fuse_event::kind::unanswered:
        learner.unanswered(e.at);
        break;
      case fuse_event::kind::timed_out:
        learner.timed_out(e.sent, e.at);
        break;
    }
  }
}

void fuse_link::bind(const std::shared_ptr<connection_owner>& owner) {
  fuse::snapshot s;
  {
    std::lock_guard lock{mutex_};
    owner_ = owner;
    s = latest_;
  }
  if (s.version != 0) post_to(owner, s);
}

void fuse_link::deliver(fuse::snapshot s) {
  std::shared_ptr<connection_owner> owner;
  {
    std::lock_guard lock{mutex_};
    s.version = latest_.version + 1;
    latest_ = s;
    owner = owner_.lock();
  }
  if (owner) post_to(owner, s);
}

fuse::params fuse_link::params() const {
  std::lock_guard lock{mutex_};
  return params_;
}

void fuse_link::set_ceiling(std::uint32_t max_limit) {
  fuse::params changed;
  {
    std::lock_guard lock{mutex_};
    max_limit = std::max(max_limit, params_.min_limit);
    if (max_limit == params_.max_limit) return;
    params_.max_limit = max_limit;
    changed = params_;
  }
  reconfigure(changed);
}

fuse::snapshot fuse_link::latest() const {
  std::lock_guard lock{mutex_};
  return latest_;
}

void fuse_link::post_to(const std::shared_ptr<connection_owner>& owner, const fuse::snapshot& s) {
  owner->home().post([w = std::weak_ptr<connection_owner>{owner}, s](transport::shard&) {
    if (auto o = w.lock()) o->apply_admission(s);
  });
}

void local_fuse_link::report(std::vector<fuse_event>&& batch) {
  fuse::snapshot now;
  {
    std::lock_guard lock{learning_};
    learn(learner_, batch);
    now = learner_.admission_state();
    if (now.same_admission(sent_)) return;
    sent_ = now;
  }
  deliver(now);
}

void local_fuse_link::reconfigure(const fuse::params& p) {
  fuse::snapshot now;
  {
    std::lock_guard lock{learning_};
    learner_.reconfigure(p);
    now = learner_.admission_state();
    if (now.same_admission(sent_)) return;
    sent_ = now;
  }
  deliver(now);
}

}  // namespace tr::actors
