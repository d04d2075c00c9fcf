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

std::vector<rebalance_policy::move> rebalance_policy::gather(
    const std::vector<double>& busy, const std::vector<double>& arrivals,
    const std::vector<connection_sample>& connections) const {
  std::vector<move> moves;
  if (busy.size() < 2 || arrivals.size() != busy.size() || since_move_ < cooldown) return moves;
  double total = 0;
  for (double b : busy) total += b;
  if (total >= gather_below) return moves;
  auto most = std::max_element(arrivals.begin(), arrivals.end());
  double arrived = 0;
  for (double a : arrivals) arrived += a;
  if (arrived <= 0 || *most < gather_concentration * arrived) return moves;
  auto home = static_cast<std::size_t>(most - arrivals.begin());
  std::vector<const connection_sample*> away;
  double away_rate = 0;
  for (auto& c : connections) {
    if (c.shard == home || c.rate <= 0) continue;
    away.push_back(&c);
    away_rate += c.rate;
  }
  if (away_rate < gather_min_rate) return moves;
  std::sort(away.begin(), away.end(), [](const connection_sample* a, const connection_sample* b) {
    return a->rate > b->rate;
  });
  if (away.size() > gather_per_sample) away.resize(gather_per_sample);
  for (const auto* c : away) moves.push_back({c->id, c->shard, home});
  return moves;
}

}  // namespace tr::actors
