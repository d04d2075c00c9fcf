#pragma once

// Domain groups and domains, written once for both backends over sql_port.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/detail/sql_port.hpp"
#include "store/model.hpp"
#include "store/result.hpp"

namespace tr::store::detail {

/// At most this many direct children under one domain.
inline constexpr std::size_t max_domain_children = 5;

/// True when `text` reads as a domain path: segments separated by `/`, each non-empty, without
/// a blank at either end or a control character. Lengths are the API's rule for new domains.
bool is_domain_path(std::string_view text) noexcept;

/// The parent of a domain name (`EMEA/France` → `EMEA`); empty for a top-level one.
std::string_view parent_of(std::string_view name) noexcept;

/// Reads and writes the groups and domains. Integrity (a group and a parent exist, names are
/// unique, at most max_domain_children children, nothing deleted while used) is checked here,
/// in the caller's transaction; the form rules of an operator's input live in tr::api.
class domain_rows {
 public:
  explicit domain_rows(sql_port& db) : db_(db) {}

  /// Every group, sorted by name.
  std::vector<domain_group> groups();
  std::optional<domain_group> group(std::string_view name);
  result<domain_group> insert_group(domain_group draft);
  /// Changes the description and colour.
  result<domain_group> update_group(const domain_group& changed);
  /// Deletes an empty group; conflict while it holds domains.
  result<void> erase_group(std::string_view name);

  /// Every domain, sorted by group then name (parents before their children).
  std::vector<domain> domains();
  std::optional<domain> find(const domain_ref& which);
  result<domain> insert(domain draft);
  /// Changes the description and `active`.
  result<domain> update(const domain& changed);
  /// Deletes a domain without children that nothing uses; conflict otherwise, saying what.
  result<void> erase(const domain_ref& which);

  /// What holds this domain: `connection "AS 1" (id)`, `user "ops" (id)`.
  std::vector<std::string> holders(const domain_ref& which);

  /// The first of `refs` that does not exist, or nullopt.
  std::optional<domain_ref> first_unknown(const std::vector<domain_ref>& refs);

  /// invalid_argument (field `domains`) naming the first of `refs` that does not exist.
  std::optional<error> check_refs(const std::vector<domain_ref>& refs);

 private:
  sql_port& db_;
};

}  // namespace tr::store::detail
