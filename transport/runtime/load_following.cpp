#include "transport/runtime/load_following.hpp"

#include <algorithm>

namespace tr::transport {

std::optional<std::size_t> load_following::first_light(std::span<const double> busy) const {
  for (std::size_t i = 0; i < busy.size(); ++i)
    if (busy[i] < light) return i;
  return std::nullopt;
}

double load_following::share_to_hand_off(double self, double target) const {
  if (self <= heavy || target >= light || self <= 0) return 0;
  return (self - target) / (2 * self);
}

std::vector<std::size_t> load_following::pick(std::vector<candidate> candidates,
                                              std::uint64_t total_bytes, double share) {
  std::vector<std::size_t> chosen;
  if (share <= 0 || total_bytes == 0) return chosen;
  auto target = static_cast<std::uint64_t>(share * static_cast<double>(total_bytes));
  std::sort(candidates.begin(), candidates.end(),
            [](const candidate& a, const candidate& b) { return a.bytes > b.bytes; });
  std::uint64_t taken = 0;
  for (const auto& c : candidates) {
    if (c.bytes == 0 || taken >= target) break;
    if (taken + c.bytes > target) continue;
    taken += c.bytes;
    chosen.push_back(c.id);
  }
  return chosen;
}

}  // namespace tr::transport
