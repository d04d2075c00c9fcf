#include "store/change_feed.hpp"

#include <algorithm>
#include <utility>

namespace tr::store {

struct subscription::state {
  struct entry {
    std::uint64_t id;
    std::shared_ptr<const change_callback> callback;
  };
  std::mutex mutex;
  std::uint64_t next_id = 1;
  std::shared_ptr<const std::vector<entry>> entries = std::make_shared<std::vector<entry>>();
};

subscription& subscription::operator=(subscription&& other) noexcept {
  if (this != &other) {
    reset();
    feed_ = std::move(other.feed_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

subscription::~subscription() {
  reset();
}

void subscription::reset() {
  if (auto feed = feed_.lock()) {
    std::lock_guard guard{feed->mutex};
    auto next = std::make_shared<std::vector<state::entry>>(*feed->entries);
    std::erase_if(*next, [this](const state::entry& e) { return e.id == id_; });
    feed->entries = std::move(next);
  }
  feed_.reset();
  id_ = 0;
}

change_feed::change_feed() : state_(std::make_shared<subscription::state>()) {}

subscription change_feed::subscribe(change_callback callback) {
  std::lock_guard guard{state_->mutex};
  auto id = state_->next_id++;
  auto next = std::make_shared<std::vector<subscription::state::entry>>(*state_->entries);
  next->push_back({id, std::make_shared<const change_callback>(std::move(callback))});
  state_->entries = std::move(next);
  return subscription{state_, id};
}

void change_feed::publish(const change_event& event) const {
  std::shared_ptr<const std::vector<subscription::state::entry>> entries;
  {
    std::lock_guard guard{state_->mutex};
    entries = state_->entries;
  }
  for (const auto& entry : *entries) {
    try {
      (*entry.callback)(event);
    } catch (...) {
      // A subscriber's failure must not undo a committed write or starve the others.
    }
  }
}

}  // namespace tr::store
