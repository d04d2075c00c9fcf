#include "store/detail/domain_rows.hpp"

#include <algorithm>
#include <tuple>

#include "store/detail/errors.hpp"
#include "store/detail/identifiers.hpp"

namespace tr::store::detail {

namespace {

domain_group group_from(const sql_port::row& row) {
  return {row[0], row[1], row[2], row[3]};
}

domain domain_from(const sql_port::row& row) {
  return {row[0], row[1], row[2], row[3] != "0", row[4]};
}

error conflict(std::string message, std::string field) {
  return error{error_code::conflict, std::move(message), std::move(field)};
}

error bad(std::string message, std::string field) {
  return error{error_code::invalid_argument, std::move(message), std::move(field)};
}

std::string quoted(std::string_view text) {
  return "'" + std::string{text} + "'";
}

std::string describe(const domain_ref& which) {
  return quoted(which.group + ":" + which.name);
}

}  // namespace

bool is_domain_path(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (;;) {
    auto slash = text.find('/');
    auto segment = text.substr(0, slash);
    if (segment.empty() || segment.front() == ' ' || segment.back() == ' ' ||
        segment.front() == '\t' || segment.back() == '\t')
      return false;
    for (unsigned char c : segment)
      if (c < 0x20 || c == 0x7f) return false;
    if (slash == std::string_view::npos) return true;
    text.remove_prefix(slash + 1);
  }
}

std::string_view parent_of(std::string_view name) noexcept {
  auto slash = name.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : name.substr(0, slash);
}

std::vector<domain_group> domain_rows::groups() {
  std::vector<domain_group> out;
  for (const auto& row :
       db_.query("SELECT name, description, color, created_at FROM domain_groups"))
    out.push_back(group_from(row));
  std::sort(out.begin(), out.end(),
            [](const domain_group& a, const domain_group& b) { return a.name < b.name; });
  return out;
}

std::optional<domain_group> domain_rows::group(std::string_view name) {
  auto found =
      db_.query("SELECT name, description, color, created_at FROM domain_groups WHERE name = $1",
                {std::string{name}});
  if (found.empty()) return std::nullopt;
  return group_from(found.front());
}

result<domain_group> domain_rows::insert_group(domain_group draft) {
  if (group(draft.name)) return conflict("group " + quoted(draft.name) + " already exists", "name");
  if (draft.color.empty()) draft.color = default_group_color;
  draft.created_at = now_iso8601();
  db_.run(
      "INSERT INTO domain_groups (name, description, color, created_at) VALUES ($1, $2, $3, $4)",
      {draft.name, draft.description, draft.color, draft.created_at});
  return draft;
}

result<domain_group> domain_rows::update_group(const domain_group& changed) {
  auto existing = group(changed.name);
  if (!existing) return missing("no domain group " + quoted(changed.name));
  existing->description = changed.description;
  existing->color = changed.color.empty() ? existing->color : changed.color;
  db_.run("UPDATE domain_groups SET description = $2, color = $3 WHERE name = $1",
          {existing->name, existing->description, existing->color});
  return std::move(*existing);
}

result<void> domain_rows::erase_group(std::string_view name) {
  if (!group(name)) return missing("no domain group " + quoted(name));
  auto held = db_.query("SELECT count(*) FROM domains WHERE group_name = $1", {std::string{name}});
  if (!held.empty() && held.front()[0] != "0")
    return conflict("group " + quoted(name) + " still holds " + held.front()[0] +
                        " domain(s): delete them first",
                    "name");
  db_.run("DELETE FROM domain_groups WHERE name = $1", {std::string{name}});
  return {};
}

std::vector<domain> domain_rows::domains() {
  std::vector<domain> out;
  for (const auto& row :
       db_.query("SELECT group_name, name, description, active, created_at FROM domains"))
    out.push_back(domain_from(row));
  // A parent is a prefix of its children, so it sorts before them.
  std::sort(out.begin(), out.end(), [](const domain& a, const domain& b) {
    return std::tie(a.group, a.name) < std::tie(b.group, b.name);
  });
  return out;
}

std::optional<domain> domain_rows::find(const domain_ref& which) {
  auto found = db_.query(
      "SELECT group_name, name, description, active, created_at FROM domains "
      "WHERE group_name = $1 AND name = $2",
      {which.group, which.name});
  if (found.empty()) return std::nullopt;
  return domain_from(found.front());
}

result<domain> domain_rows::insert(domain draft) {
  if (!group(draft.group)) return bad("no domain group " + quoted(draft.group), "group");
  domain_ref which{draft.group, draft.name};
  if (find(which)) return conflict("domain " + describe(which) + " already exists", "name");
  auto parent = parent_of(draft.name);
  if (!parent.empty()) {
    if (!find({draft.group, std::string{parent}}))
      return bad("its parent " + quoted(parent) + " does not exist in group " + quoted(draft.group),
                 "name");
    auto siblings = db_.query("SELECT name FROM domains WHERE group_name = $1", {draft.group});
    auto children = std::count_if(siblings.begin(), siblings.end(), [&](const sql_port::row& r) {
      return parent_of(r[0]) == parent;
    });
    if (static_cast<std::size_t>(children) >= max_domain_children)
      return conflict(quoted(parent) + " already has " + std::to_string(max_domain_children) +
                          " children, the most a domain may have",
                      "name");
  }
  draft.created_at = now_iso8601();
  db_.run(
      "INSERT INTO domains (group_name, name, description, active, created_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      {draft.group, draft.name, draft.description, draft.active ? "1" : "0", draft.created_at});
  return draft;
}

result<domain> domain_rows::update(const domain& changed) {
  auto existing = find({changed.group, changed.name});
  if (!existing) return missing("no domain " + describe({changed.group, changed.name}));
  existing->description = changed.description;
  existing->active = changed.active;
  db_.run("UPDATE domains SET description = $3, active = $4 WHERE group_name = $1 AND name = $2",
          {existing->group, existing->name, existing->description, existing->active ? "1" : "0"});
  return std::move(*existing);
}

std::vector<std::string> domain_rows::holders(const domain_ref& which) {
  std::vector<std::string> out;
  for (const auto& row :
       db_.query("SELECT c.name, c.id FROM connection_domain_refs r JOIN connections c "
                 "ON c.id = r.connection_id WHERE r.group_name = $1 AND r.domain_name = $2",
                 {which.group, which.name}))
    out.push_back("connection \"" + row[0] + "\" (" + row[1] + ")");
  for (const auto& row :
       db_.query("SELECT u.name, u.id FROM user_domain_refs r JOIN users u ON u.id = r.user_id "
                 "WHERE r.group_name = $1 AND r.domain_name = $2",
                 {which.group, which.name}))
    out.push_back("user \"" + row[0] + "\" (" + row[1] + ")");
  std::sort(out.begin(), out.end());
  return out;
}

result<void> domain_rows::erase(const domain_ref& which) {
  if (!find(which)) return missing("no domain " + describe(which));
  auto siblings = db_.query("SELECT name FROM domains WHERE group_name = $1", {which.group});
  for (const auto& row : siblings)
    if (parent_of(row[0]) == which.name)
      return conflict("domain " + describe(which) + " has sub-domains (" + quoted(row[0]) +
                          "): delete them first",
                      "name");
  auto held = holders(which);
  if (!held.empty()) {
    std::string list;
    for (const auto& one : held) list += (list.empty() ? "" : ", ") + one;
    return conflict("domain " + describe(which) + " is used by " + list, "name");
  }
  db_.run("DELETE FROM domains WHERE group_name = $1 AND name = $2", {which.group, which.name});
  return {};
}

std::optional<domain_ref> domain_rows::first_unknown(const std::vector<domain_ref>& refs) {
  for (const auto& one : refs)
    if (!find(one)) return one;
  return std::nullopt;
}

std::optional<error> domain_rows::check_refs(const std::vector<domain_ref>& refs) {
  if (auto unknown = first_unknown(refs)) return bad("no domain " + describe(*unknown), "domains");
  return std::nullopt;
}

}  // namespace tr::store::detail
