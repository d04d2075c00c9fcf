// tr::store::database: domain groups and domains, the same code over both backends.

#include <optional>

#include "store/database.hpp"
#include "store/detail/domain_rows.hpp"

namespace tr::store {

template <class T, class Body>
result<T> database::shared(bool write, Body&& body) {
  std::optional<result<T>> out;
  auto done = run_shared(write, [&](detail::sql_port& db) -> result<void> {
    out.emplace(body(detail::domain_rows{db}));
    if (!out->has_value()) return out->error_value();
    return {};
  });
  if (!done) return done.error_value();
  return std::move(*out);
}

result<std::vector<domain_group>> database::list_domain_groups() {
  return shared<std::vector<domain_group>>(false,
                                           [](detail::domain_rows rows) { return rows.groups(); });
}

result<domain_group> database::create_domain_group(domain_group draft) {
  return shared<domain_group>(
      true, [&](detail::domain_rows rows) { return rows.insert_group(std::move(draft)); });
}

result<domain_group> database::update_domain_group(domain_group changed) {
  return shared<domain_group>(true,
                              [&](detail::domain_rows rows) { return rows.update_group(changed); });
}

result<void> database::delete_domain_group(std::string_view name) {
  return shared<void>(true, [&](detail::domain_rows rows) { return rows.erase_group(name); });
}

result<std::vector<domain>> database::list_domains() {
  return shared<std::vector<domain>>(false,
                                     [](detail::domain_rows rows) { return rows.domains(); });
}

result<domain> database::create_domain(domain draft) {
  return shared<domain>(true,
                        [&](detail::domain_rows rows) { return rows.insert(std::move(draft)); });
}

result<domain> database::update_domain(domain changed) {
  return shared<domain>(true, [&](detail::domain_rows rows) { return rows.update(changed); });
}

result<void> database::delete_domain(const domain_ref& which) {
  return shared<void>(true, [&](detail::domain_rows rows) { return rows.erase(which); });
}

}  // namespace tr::store
