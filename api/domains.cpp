#include "api/domains.hpp"

#include <algorithm>

namespace tr::api {

namespace {

bool contains(const std::vector<store::domain_ref>& list, const store::domain_ref& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string described(const store::domain_ref& ref) {
  return "'" + ref.group + ":" + ref.name + "'";
}

}  // namespace

bool is_admin(const store::user& user) noexcept {
  return user.role == store::role::admin;
}

bool is_restricted(const store::user& user) noexcept {
  return !is_admin(user) && !user.domains.empty();
}

bool covers(const store::domain_ref& mine, const store::domain_ref& other) noexcept {
  if (mine.group != other.group) return false;
  if (other.name == mine.name) return true;
  return other.name.size() > mine.name.size() && other.name.starts_with(mine.name) &&
         other.name[mine.name.size()] == '/';
}

bool covers(const store::user& user, const store::domain_ref& other) noexcept {
  if (!is_restricted(user)) return true;
  return std::any_of(user.domains.begin(), user.domains.end(),
                     [&](const store::domain_ref& mine) { return covers(mine, other); });
}

visibility visibility_of(const store::user& user, const store::connection& connection) {
  if (!is_restricted(user)) return visibility::full;
  for (const auto& domain : connection.domains)
    if (covers(user, domain)) return visibility::full;
  if (connection.domains.empty()) return visibility::read_only;
  return visibility::hidden;
}

bool may_write(const store::user& user) noexcept {
  return user.role != store::role::viewer;
}

bool may_modify(const store::user& user, const store::connection& connection) {
  return may_write(user) && visibility_of(user, connection) == visibility::full;
}

std::string modify_refusal(const store::user& user, const store::connection& connection) {
  if (!may_write(user)) return "a viewer changes nothing";
  return "connection " + connection.id +
         " is cross-domain: read-only for users restricted to domains";
}

bool may_manage_users(const store::user& user) noexcept {
  return is_admin(user);
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
                                                 const std::vector<store::domain_ref>& requested,
                                                 const std::vector<store::domain_ref>& previous,
                                                 const std::vector<store::domain>& defined) {
  std::vector<field_error> errors;
  bool restricted = is_restricted(user);
  bool own_one = false;
  for (std::size_t i = 0; i < requested.size(); ++i) {
    const auto& ref = requested[i];
    auto path = "domains[" + std::to_string(i) + "]";
    bool kept = contains(previous, ref);
    auto found = std::find_if(defined.begin(), defined.end(), [&](const store::domain& d) {
      return d.group == ref.group && d.name == ref.name;
    });
    bool same_group_before =
        std::any_of(requested.begin(), requested.begin() + i,
                    [&](const store::domain_ref& r) { return r.group == ref.group; });
    if (found == defined.end()) {
      errors.push_back({path + ".name", "no domain " + described(ref) + " is defined"});
    } else if (same_group_before) {
      errors.push_back({path + ".group", "a connection has at most one domain per group ('" +
                                             ref.group + "' is given twice)"});
    } else if (!found->active && !kept) {
      errors.push_back({path + ".name", "domain " + described(ref) +
                                            " is inactive: it cannot be given to anything new"});
    } else if (restricted && !covers(user, ref) && !kept) {
      errors.push_back({path + ".name",
                        "domain " + described(ref) + " is not one of your domains nor below one"});
    }
    if (covers(user, ref) && found != defined.end()) own_one = true;
  }
  if (!restricted) return errors;
  for (const auto& ref : previous)
    if (!covers(user, ref) && !contains(requested, ref))
      errors.push_back({"domains", "domain " + described(ref) +
                                       " is outside your domains and cannot be removed"});
  if (!own_one)
    errors.push_back({"domains", "must include at least one of your domains or one below them"});
  return errors;
}

}  // namespace tr::api
