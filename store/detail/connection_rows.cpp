#include "store/detail/connection_rows.hpp"

#include <sqlite3.h>

namespace tr::store::detail {

namespace {

constexpr std::string_view select_columns =
    "SELECT id, name, url, content_type, as_id, additional_info, max_time_deviation_s, "
    "sealed_key, created_at, updated_at, paused FROM connections ";

std::string key_aad(std::string_view id) {
  return "connection-key:" + std::string{id};
}

}  // namespace

connection connection_rows::from_row(const statement& row) const {
  connection out;
  out.id = row.text(0);
  out.name = row.text(1);
  out.url = row.text(2);
  out.type = parse_content_type(row.text(3)).value_or(content_type::json);
  out.as_id = row.text(4);
  out.additional_info = row.text(5);
  out.max_time_deviation_s = row.integer(6);
  auto key = keys_.open(row.blob(7), key_aad(out.id));
  if (!key) throw unsealing_failure{out.id};
  out.key = std::move(*key);
  out.created_at = row.text(8);
  out.updated_at = row.text(9);
  out.paused = row.integer(10) != 0;
  return out;
}

std::optional<connection> connection_rows::find(std::string_view id) {
  statement query{db_, std::string{select_columns} + "WHERE id = ?1"};
  query.bind(1, id);
  if (!query.step()) return std::nullopt;
  auto out = from_row(query);

  statement domains{db_,
                    "SELECT group_name, domain_name FROM connection_domain_refs "
                    "WHERE connection_id = ?1 ORDER BY position"};
  domains.bind(1, id);
  while (domains.step())
    out.domains.push_back({std::string{domains.text(0)}, std::string{domains.text(1)}});

  statement headers{db_,
                    "SELECT name, value FROM connection_headers WHERE connection_id = ?1 "
                    "ORDER BY position"};
  headers.bind(1, id);
  while (headers.step())
    out.headers.push_back({std::string{headers.text(0)}, std::string{headers.text(1)}});
  return out;
}

std::vector<std::string> connection_rows::ids_with_as_id(std::string_view as_id) {
  std::vector<std::string> out;
  statement query{db_, "SELECT id FROM connections WHERE as_id = ?1 ORDER BY id"};
  query.bind(1, as_id);
  while (query.step()) out.emplace_back(query.text(0));
  return out;
}

std::vector<connection> connection_rows::all() {
  std::vector<connection> out;
  statement query{db_, std::string{select_columns} + "ORDER BY id"};
  while (query.step()) out.push_back(from_row(query));

  // Children come sorted by connection id, as the connections do: one merge pass each.
  statement domains{db_,
                    "SELECT connection_id, group_name, domain_name FROM connection_domain_refs "
                    "ORDER BY connection_id, position"};
  auto it = out.begin();
  while (domains.step()) {
    auto owner = domains.text(0);
    while (it != out.end() && it->id < owner) ++it;
    if (it != out.end() && it->id == owner)
      it->domains.push_back({std::string{domains.text(1)}, std::string{domains.text(2)}});
  }
  statement headers{db_,
                    "SELECT connection_id, name, value FROM connection_headers "
                    "ORDER BY connection_id, position"};
  it = out.begin();
  while (headers.step()) {
    auto owner = headers.text(0);
    while (it != out.end() && it->id < owner) ++it;
    if (it != out.end() && it->id == owner)
      it->headers.push_back({std::string{headers.text(1)}, std::string{headers.text(2)}});
  }
  return out;
}

bool connection_rows::exists(std::string_view id) {
  statement query{db_, "SELECT 1 FROM connections WHERE id = ?1"};
  query.bind(1, id);
  return query.step();
}

void connection_rows::insert(const connection& value) {
  statement row{db_,
                "INSERT INTO connections (id, name, url, content_type, as_id, additional_info, "
                "max_time_deviation_s, sealed_key, created_at, updated_at, paused) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"};
  bind_fields(row, value);
  row.run();
  insert_children(value);
}

void connection_rows::replace(const connection& value) {
  statement row{db_,
                "UPDATE connections SET name = ?2, url = ?3, content_type = ?4, as_id = ?5, "
                "additional_info = ?6, max_time_deviation_s = ?7, sealed_key = ?8, "
                "created_at = ?9, updated_at = ?10, paused = ?11 WHERE id = ?1"};
  bind_fields(row, value);
  row.run();
  statement domains{db_, "DELETE FROM connection_domain_refs WHERE connection_id = ?1"};
  domains.bind(1, value.id).run();
  statement headers{db_, "DELETE FROM connection_headers WHERE connection_id = ?1"};
  headers.bind(1, value.id).run();
  insert_children(value);
}

void connection_rows::bind_fields(statement& row, const connection& value) const {
  row.bind(1, value.id)
      .bind(2, value.name)
      .bind(3, value.url)
      .bind(4, to_string(value.type))
      .bind(5, value.as_id)
      .bind(6, value.additional_info)
      .bind(7, value.max_time_deviation_s)
      .bind_blob(8, keys_.seal(value.key, key_aad(value.id)))
      .bind(9, value.created_at)
      .bind(10, value.updated_at)
      .bind(11, std::int64_t{value.paused ? 1 : 0});
}

bool connection_rows::erase(std::string_view id) {
  statement row{db_, "DELETE FROM connections WHERE id = ?1"};
  row.bind(1, id).run();
  return sqlite3_changes(db_.handle()) > 0;
}

void connection_rows::insert_children(const connection& value) {
  if (!value.domains.empty()) {
    statement row{db_,
                  "INSERT INTO connection_domain_refs (connection_id, position, group_name, "
                  "domain_name) VALUES (?1, ?2, ?3, ?4)"};
    for (std::size_t i = 0; i < value.domains.size(); ++i) {
      row.bind(1, value.id).bind(2, static_cast<std::int64_t>(i));
      row.bind(3, value.domains[i].group).bind(4, value.domains[i].name);
      row.run();
      row.reset();
    }
  }
  if (!value.headers.empty()) {
    statement row{db_,
                  "INSERT INTO connection_headers (connection_id, position, name, value) "
                  "VALUES (?1, ?2, ?3, ?4)"};
    for (std::size_t i = 0; i < value.headers.size(); ++i) {
      row.bind(1, value.id)
          .bind(2, static_cast<std::int64_t>(i))
          .bind(3, value.headers[i].name)
          .bind(4, value.headers[i].value);
      row.run();
      row.reset();
    }
  }
}

}  // namespace tr::store::detail
