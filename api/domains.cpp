#include "api/domains.hpp"

#include <algorithm>

namespace tr::api {

namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool shares_a_domain(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::any_of(a.begin(), a.end(), [&](const std::string& d) { return contains(b, d); });
}

}  // namespace

bool is_restricted(const store::user& user) noexcept {
  return !user.is_admin && !user.domains.empty();
}

visibility visibility_of(const store::user& user, const store::connection& connection) {
  if (!is_restricted(user)) return visibility::full;
  if (shares_a_domain(user.domains, connection.domains)) return visibility::full;
  if (connection.domains.empty()) return visibility::read_only;
  return visibility::hidden;
}

bool may_modify(const store::user& user, const store::connection& connection) {
  return visibility_of(user, connection) == visibility::full;
}

bool may_manage_users(const store::user& user) noexcept {
  return user.is_admin;
}

std::optional<store::connection> view_of(const store::user& user,
                                         const store::connection& connection) {
  auto seen = visibility_of(user, connection);
  if (seen == visibility::hidden) return std::nullopt;
  auto out = connection;
  out.key.clear();
  if (seen == visibility::read_only) {
    out.url.clear();
    out.headers.clear();
    out.additional_info.clear();
  }
  return out;
}

std::vector<field_error> check_domain_assignment(const store::user& user,
                                                 const std::vector<std::string>& requested,
                                                 const std::vector<std::string>& previous) {
  std::vector<field_error> errors;
  if (!is_restricted(user)) return errors;
  for (std::size_t i = 0; i < requested.size(); ++i) {
    const auto& domain = requested[i];
    if (!contains(user.domains, domain) && !contains(previous, domain))
      errors.push_back(
          {"domains[" + std::to_string(i) + "]", "'" + domain + "' is not one of your domains"});
  }
  for (const auto& domain : previous)
    if (!contains(user.domains, domain) && !contains(requested, domain))
      errors.push_back(
          {"domains", "'" + domain + "' belongs to another user and cannot be removed"});
  if (!shares_a_domain(user.domains, requested))
    errors.push_back({"domains", "must include at least one of your domains"});
  return errors;
}

}  // namespace tr::api
