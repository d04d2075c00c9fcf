#include "actors/placement.hpp"

#include <algorithm>

namespace tr::actors {

std::optional<rebalance_policy::move> rebalance_policy::sample(
    const std::vector<double>& busy, const std::vector<connection_sample>& connections) {
  ++since_move_;
  if (busy.size() < 2) return std::nullopt;
  auto [low, high] = std::minmax_element(busy.begin(), busy.end());
  double gap = *high - *low;
  bool over = *high >= min_busy && gap > min_gap && *high > min_ratio * *low;
  over_ = over ? over_ + 1 : 0;
  if (over_ < sustain || since_move_ < cooldown) return std::nullopt;

  auto from = static_cast<std::size_t>(high - busy.begin());
  auto to = static_cast<std::size_t>(low - busy.begin());
  double shard_rate = 0;
  for (auto& c : connections)
    if (c.shard == from) shard_rate += c.rate;
  if (shard_rate <= 0) return std::nullopt;
  // A connection's share of the shard's busy time, by its share of the shard's uplinks.
  const connection_sample* best = nullptr;
  for (auto& c : connections) {
    if (c.shard != from || c.rate <= 0) continue;
    double cost = *high * c.rate / shard_rate;
    if (cost > gap / 2) continue;
    if (!best || c.rate > best->rate) best = &c;
  }
  if (!best) return std::nullopt;
  over_ = 0;
  since_move_ = 0;
  return move{best->id, from, to};
}

}  // namespace tr::actors
