#pragma once

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>

namespace tr::test {

/// A GoogleTest name for a parameterised case, readable in the test list instead of a memory
/// dump: its index (names stay unique) and `text` in letters, digits and underscores, at most
/// about 60 characters, e.g. `03_https_user_as_example_com`.
/// Use: INSTANTIATE_TEST_SUITE_P(p, t, values, [](const auto& info) {
///        return readable_test_name(info.index, info.param.url); });
inline std::string readable_test_name(std::size_t index, std::string_view text) {
  std::string name = (index < 10 ? "0" : "") + std::to_string(index);
  bool gap = true;
  for (char c : text) {
    if (name.size() >= 64) break;
    if (std::isalnum(static_cast<unsigned char>(c))) {
      if (gap) name.push_back('_');
      name.push_back(c);
      gap = false;
    } else {
      gap = true;
    }
  }
  return name;
}

}  // namespace tr::test
