#include "api/domains.hpp"

#include <algorithm>

#include "api/detail/text_rules.hpp"
#include "codecs/query.hpp"

namespace tr::api {

namespace {

bool contains(const std::vector<store::domain_ref>& list, const store::domain_ref& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string described(const store::domain_ref& ref) {
  return "'" + detail::shown(ref.group + ":" + ref.name) + "'";
}

bool is_defined(const std::vector<store::domain>& defined, const store::domain_ref& ref) {
  return std::any_of(defined.begin(), defined.end(), [&](const store::domain& d) {
    return d.group == ref.group && d.name == ref.name;
  });
}

/// The index `i` of a field path `domains[i]...`, or nullopt.
std::optional<std::size_t> domain_index(std::string_view field) {
  constexpr std::string_view prefix = "domains[";
  if (!field.starts_with(prefix)) return std::nullopt;
  std::size_t i = 0, at = prefix.size();
  if (at >= field.size() || field[at] == ']') return std::nullopt;
  for (; at < field.size() && field[at] != ']'; ++at) {
    if (field[at] < '0' || field[at] > '9' || i > max_domain_refs) return std::nullopt;
    i = i * 10 + static_cast<std::size_t>(field[at] - '0');
  }
  return i;
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

namespace {

constexpr std::string_view masked = "\u2022\u2022\u2022";

/// A query parameter's name decoded (`to%6Ben` is `token`); as it is when it does not decode.
std::string decoded_name(std::string_view text) {
  std::string out;
  if (!codecs::percent_decode(text, out).ok()) return std::string{text};
  return out;
}

/// The query `text` (without `?`) with the values of credential-like parameters masked.
std::string masked_query(std::string_view text) {
  std::string out;
  while (true) {
    auto amp = text.find('&');
    auto pair = text.substr(0, amp);
    auto equals = pair.find('=');
    if (equals != std::string_view::npos &&
        is_credential_name(decoded_name(pair.substr(0, equals))))
      out.append(pair.substr(0, equals + 1)).append(masked);
    else
      out.append(pair);
    if (amp == std::string_view::npos) return out;
    out.push_back('&');
    text.remove_prefix(amp + 1);
  }
}

}  // namespace

std::string masked_url(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string{url};
  auto start = scheme_end + 3;
  auto end = url.find_first_of("/?#", start);
  auto userinfo = url.substr(start, end == std::string_view::npos ? end : end - start);
  std::string out{url.substr(0, start)};
  auto at = userinfo.rfind('@');
  auto colon = at == std::string_view::npos ? at : userinfo.substr(0, at).find(':');
  if (colon != std::string_view::npos) {
    out.append(userinfo.substr(0, colon + 1)).append(masked).append(userinfo.substr(at));
  } else if (at != std::string_view::npos) {
    // A user without a password is the credential (`https://APIKEY@host`, sent as Basic).
    out.append(masked).append(userinfo.substr(at));
  } else {
    out.append(userinfo);
  }
  if (end == std::string_view::npos) return out;
  auto rest = url.substr(end);
  auto question = rest.find('?');
  if (question == std::string_view::npos) return out.append(rest);
  out.append(rest.substr(0, question + 1));
  auto query = rest.substr(question + 1);
  auto hash = query.find('#');
  out.append(masked_query(query.substr(0, hash)));
  if (hash != std::string_view::npos) out.append(query.substr(hash));
  return out;
}

bool is_credential_name(std::string_view name) {
  auto lower = detail::to_lower(name);
  for (std::string_view word :
       {"key", "token", "secret", "pass", "pwd", "auth", "sig", "cookie", "session", "credential"})
    if (lower.find(word) != std::string::npos) return true;
  return false;
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
  } else if (!may_write(user)) {
    // A viewer edits nothing, so it needs none of the AS's credentials.
    out.url = masked_url(out.url);
    for (auto& one : out.headers)
      if (is_credential_name(one.name)) one.value = masked;
  }
  return out;
}

std::vector<field_error> check_domain_assignment(const store::user& user,
                                                 const std::vector<store::domain_ref>& requested,
                                                 const std::vector<store::domain_ref>& previous,
                                                 const std::vector<store::domain>& defined) {
  std::vector<field_error> errors;
  if (requested.size() > max_domain_refs) return errors;  // check_domain_refs says so
  bool restricted = is_restricted(user);
  bool own_one = false;
  for (std::size_t i = 0; i < requested.size(); ++i) {
    const auto& ref = requested[i];
    auto path = "domains[" + std::to_string(i) + "]";
    bool kept = contains(previous, ref);
    auto found = std::find_if(defined.begin(), defined.end(), [&](const store::domain& d) {
      return d.group == ref.group && d.name == ref.name;
    });
    // Two domains of one group the connection already had together may stay (a store from
    // before groups put every domain in `default`).
    bool same_group_before =
        std::any_of(requested.begin(), requested.begin() + static_cast<std::ptrdiff_t>(i),
                    [&](const store::domain_ref& r) {
                      return r.group == ref.group && !(kept && contains(previous, r));
                    });
    // A restricted user learns nothing of the domains outside its own: not whether they exist.
    if (restricted && !covers(user, ref) && !kept) {
      errors.push_back({path + ".name",
                        "domain " + described(ref) + " is not one of your domains nor below one"});
    } else if (found == defined.end()) {
      errors.push_back({path + ".name", "no domain " + described(ref) + " is defined"});
    } else if (same_group_before) {
      errors.push_back({path + ".group", "a connection has at most one domain per group ('" +
                                             ref.group + "' is given twice)"});
    } else if (!found->active && !kept) {
      errors.push_back({path + ".name", "domain " + described(ref) +
                                            " is inactive: it cannot be given to anything new"});
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

void forgive_defined(std::vector<field_error>& errors, const std::vector<store::domain_ref>& refs,
                     const std::vector<store::domain>& defined, const store::user& caller,
                     const std::vector<store::domain_ref>& previous) {
  std::erase_if(errors, [&](const field_error& e) {
    if (!e.field.ends_with("].name") && !e.field.ends_with("].group")) return false;
    auto i = domain_index(e.field);
    if (!i || *i >= refs.size() || !is_defined(defined, refs[*i])) return false;
    // A restricted user learns nothing of the domains outside its own: the form error of one it
    // neither covers nor already had stays, defined or not.
    return covers(caller, refs[*i]) || contains(previous, refs[*i]);
  });
}

}  // namespace tr::api
