#include <regex>

#include "tests/store/store_fixture.hpp"

namespace tr::store::testing {
namespace {

using connection_store = backend_test;
using sqlite_connection_store = store_test;

bool is_lower_hex(const std::string& text, std::size_t size) {
  return std::regex_match(text, std::regex{"[0-9a-f]{" + std::to_string(size) + "}"});
}

TEST_F(sqlite_connection_store, creates_missing_parent_folders_of_the_database_file) {
  EXPECT_TRUE(std::filesystem::exists(db_path()));
}

TEST_P(connection_store, gives_a_new_connection_an_id_a_generated_key_and_timestamps) {
  auto made = db().create_connection(sample_connection());
  ASSERT_TRUE(made) << made.error_value().message;
  EXPECT_TRUE(is_lower_hex(made->id, 16));
  EXPECT_TRUE(is_lower_hex(made->key, 32));
  EXPECT_TRUE(
      std::regex_match(made->created_at, std::regex{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"}));
  EXPECT_EQ(made->created_at, made->updated_at);
}

TEST_P(connection_store, normalizes_a_given_key_to_lower_case) {
  auto draft = sample_connection();
  draft.key = "F3203A20A2E8DFAF6686B621F56D05E3";
  auto made = db().create_connection(draft);
  ASSERT_TRUE(made);
  EXPECT_EQ(made->key, "f3203a20a2e8dfaf6686b621f56d05e3");
}

TEST_P(connection_store, refuses_a_key_that_is_not_32_hex_digits) {
  auto draft = sample_connection();
  draft.key = "f3203a20a2e8dfaf6686b621f56d05e";
  auto made = db().create_connection(draft);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error_value().code, error_code::invalid_argument);
  EXPECT_TRUE(db().list_connections()->empty());
}

TEST_P(connection_store, returns_a_stored_connection_with_every_field_as_written) {
  auto made = db().create_connection(sample_connection());
  ASSERT_TRUE(made);
  auto read = db().get_connection(made->id);
  ASSERT_TRUE(read) << read.error_value().message;
  EXPECT_EQ(*read, *made);
  EXPECT_EQ(read->headers[1].name, "Authorization");
  EXPECT_EQ(read->domains[0], (domain_ref{"Region", "EMEA/France"}));
  EXPECT_EQ(read->type, content_type::json_untyped);
  EXPECT_EQ(read->max_time_deviation_s, 90);
}

TEST_P(connection_store, reports_an_unknown_id_as_not_found) {
  auto read = db().get_connection("0123456789abcdef");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error_value().code, error_code::not_found);
}

TEST_P(connection_store, lists_every_connection_sorted_by_id) {
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(db().create_connection(sample_connection("c" + std::to_string(i))));
  auto all = db().list_connections();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 5u);
  for (std::size_t i = 1; i < all->size(); ++i) EXPECT_LT((*all)[i - 1].id, (*all)[i].id);
  for (const auto& one : *all) EXPECT_EQ(one.headers.size(), 2u) << one.id;
}

TEST_P(connection_store, finds_the_connections_of_an_as_id_with_every_field) {
  // Stored together, as a copy of an older store may hold them (create_connection refuses a
  // taken AS_ID).
  std::vector<connection> drafts;
  for (int i = 0; i < 4; ++i) {
    drafts.push_back(sample_connection("c" + std::to_string(i)));
    drafts.back().as_id = i % 2 ? "odd.AS" : "even.AS";
  }
  ASSERT_TRUE(db().create_connections(drafts));
  auto odd = db().connections_with_as_id("odd.AS");
  ASSERT_TRUE(odd);
  ASSERT_EQ(odd->size(), 2u);
  EXPECT_LT((*odd)[0].id, (*odd)[1].id);
  for (const auto& one : *odd) {
    EXPECT_EQ(one.as_id, "odd.AS");
    EXPECT_EQ(one.headers.size(), 2u) << one.id;
    EXPECT_EQ(one.key.size(), 32u) << one.id;
  }
  auto none = db().connections_with_as_id("ODD.AS");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(connection_store, update_replaces_fields_and_keeps_key_and_creation_time) {
  auto made = db().create_connection(sample_connection());
  ASSERT_TRUE(made);
  auto changed = *made;
  changed.key.clear();
  changed.name = "renamed";
  changed.domains = {{"Region", "EMEA"}};
  changed.headers = {{"X-Only", "one"}};
  changed.type = content_type::xml;
  changed.created_at = "1999-01-01T00:00:00.000Z";
  auto updated = db().update_connection(changed);
  ASSERT_TRUE(updated) << updated.error_value().message;
  EXPECT_EQ(updated->key, made->key);
  EXPECT_EQ(updated->created_at, made->created_at);
  auto read = db().get_connection(made->id);
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, *updated);
  EXPECT_EQ(read->headers, (std::vector<header>{{"X-Only", "one"}}));
}

TEST_P(connection_store, update_with_a_key_sets_that_key) {
  auto made = db().create_connection(sample_connection());
  ASSERT_TRUE(made);
  auto changed = *made;
  changed.key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  ASSERT_TRUE(db().update_connection(changed));
  EXPECT_EQ(db().get_connection(made->id)->key, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

TEST_P(connection_store, an_as_id_taken_by_another_connection_is_a_conflict) {
  auto first = db().create_connection(sample_connection("first"));
  ASSERT_TRUE(first);
  auto second_draft = sample_connection("second");
  second_draft.as_id = first->as_id;
  auto second = db().create_connection(second_draft);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error_value().code, error_code::conflict);
  auto other = db().create_connection(sample_connection("other"));
  ASSERT_TRUE(other);
  auto moved = *other;
  moved.as_id = first->as_id;
  auto updated = db().update_connection(moved);
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error_value().code, error_code::conflict);
  // Its own AS_ID, unchanged, is no conflict.
  auto renamed = *first;
  renamed.name = "first, renamed";
  EXPECT_TRUE(db().update_connection(renamed));
}

TEST_P(connection_store, a_change_based_on_what_another_writer_replaced_is_refused) {
  auto made = db().create_connection(sample_connection());
  ASSERT_TRUE(made);
  auto base = *made;
  auto theirs = base;
  theirs.name = "theirs";
  ASSERT_TRUE(db().update_connection(theirs, &base));
  auto mine = base;
  mine.additional_info = "mine";
  auto refused = db().update_connection(mine, &base);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error_value().code, error_code::changed_meanwhile);
  EXPECT_EQ(db().get_connection(made->id)->name, "theirs");
  // Made again from what is stored now, it goes through.
  auto now = *db().get_connection(made->id);
  auto again = now;
  again.additional_info = "mine";
  auto stored = db().update_connection(again, &now);
  ASSERT_TRUE(stored) << stored.error_value().message;
  EXPECT_EQ(stored->name, "theirs");
  EXPECT_EQ(stored->additional_info, "mine");
}

TEST_P(connection_store, update_of_an_unknown_connection_is_not_found) {
  auto draft = sample_connection();
  draft.id = "0123456789abcdef";
  auto updated = db().update_connection(draft);
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error_value().code, error_code::not_found);
}

TEST_P(connection_store, deletes_a_connection_with_its_domains_headers_and_routes) {
  auto made = db().create_connection(sample_connection());
  ASSERT_TRUE(made);
  ASSERT_TRUE(db().put_device_route("20635F0108000496", {made->id}));
  ASSERT_TRUE(db().delete_connection(made->id));
  EXPECT_EQ(db().get_connection(made->id).error_value().code, error_code::not_found);
  EXPECT_EQ(db().get_device_route("20635F0108000496").error_value().code, error_code::not_found);
  auto again = db().delete_connection(made->id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error_value().code, error_code::not_found);
}

TEST_P(connection_store, regenerating_a_key_replaces_it_at_once) {
  auto made = db().create_connection(sample_connection());
  ASSERT_TRUE(made);
  auto renewed = db().regenerate_key(made->id);
  ASSERT_TRUE(renewed);
  EXPECT_NE(renewed->key, made->key);
  EXPECT_TRUE(is_lower_hex(renewed->key, 32));
  EXPECT_EQ(db().get_connection(made->id)->key, renewed->key);
}

TEST_P(connection_store, keeps_connections_across_a_reopen) {
  auto made = db().create_connection(sample_connection());
  ASSERT_TRUE(made);
  reopen();
  auto read = db().get_connection(made->id);
  ASSERT_TRUE(read) << read.error_value().message;
  EXPECT_EQ(*read, *made);
}

TEST_P(connection_store, creates_many_connections_in_one_transaction) {
  std::vector<connection> drafts(100, sample_connection());
  auto made = db().create_connections(drafts);
  ASSERT_TRUE(made);
  EXPECT_EQ(made->size(), 100u);
  EXPECT_EQ(db().list_connections()->size(), 100u);
}

TEST_P(connection_store, a_bulk_create_with_one_bad_draft_writes_nothing) {
  std::vector<connection> drafts(10, sample_connection());
  drafts[7].key = "not a key";
  auto made = db().create_connections(drafts);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error_value().code, error_code::invalid_argument);
  EXPECT_TRUE(db().list_connections()->empty());
}

TEST_P(connection_store, a_connection_in_an_undefined_domain_is_refused_and_nothing_stored) {
  auto draft = sample_connection();
  draft.domains = {{"Region", "EMEA/Fra"}};
  auto refused = db().create_connection(draft);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error_value().code, error_code::invalid_argument);
  EXPECT_EQ(refused.error_value().field, "domains");
  EXPECT_TRUE(db().list_connections()->empty());
  auto made = db().create_connection(sample_connection());
  ASSERT_TRUE(made);
  auto changed = *made;
  changed.domains = {{"Nope", "EMEA"}};
  EXPECT_EQ(db().update_connection(changed).error_value().code, error_code::invalid_argument);
  EXPECT_EQ(db().get_connection(made->id)->domains, made->domains);
}

TEST_P(connection_store, a_domain_holds_at_most_five_children_and_a_held_one_stays) {
  for (auto name : {"EMEA/Italy", "EMEA/Spain", "EMEA/Norway", "EMEA/Poland"})
    ASSERT_TRUE(db().create_domain({"Region", name, "", true, {}})) << name;
  auto sixth = db().create_domain({"Region", "EMEA/Greece", "", true, {}});
  ASSERT_FALSE(sixth);
  EXPECT_EQ(sixth.error_value().code, error_code::conflict);
  ASSERT_TRUE(db().create_connection(sample_connection()));
  auto held = db().delete_domain({"Customer", "Acme"});
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error_value().code, error_code::conflict);
  EXPECT_TRUE(db().delete_domain({"Region", "EMEA/Italy"}));
}

INSTANTIATE_STORE_BACKENDS(connection_store);

}  // namespace
}  // namespace tr::store::testing
