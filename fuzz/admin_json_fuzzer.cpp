// The admin API's JSON bodies: the connection, user and device forms alone (decode, validate,
// PATCH overlay), and whole requests through admin_api::handle() on a real SQLite store (in
// /dev/shm when it exists, so durability costs no disk writes). A control byte picks the route.
// Every answer must be a documented status with a JSON body; a 500 is a finding, and so is a
// form the validator accepts that fails validation again after a round trip through the store
// form. Two routes take the input as the end of the path instead (ids and DevEUIs as a client
// writes them, any bytes).

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "api/admin_api.hpp"
#include "api/detail/device_form.hpp"
#include "api/validation.hpp"
#include "api/validation_json.hpp"
#include "fuzz/fuzz_input.hpp"
#include "store/store.hpp"

using namespace tr;
using tr::fuzz::check;

namespace {

constexpr std::string_view admin_token = "fuzz-admin-token-0123456789abcdef";
constexpr std::string_view data_key =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

struct service {
  std::unique_ptr<store::database> db;
  std::unique_ptr<api::admin_api> api;
  std::string connection_path;  // of a connection made at start, for PUT and PATCH
  simdjson::dom::parser json;

  service() {
    std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string folder = base + "/tr-fuzz-admin-XXXXXX";
    check(mkdtemp(folder.data()) != nullptr, "cannot make a temporary folder");
    auto opened = store::database::open(store::open_options{folder + "/router.db",
                                                            std::string{data_key}});
    check(static_cast<bool>(opened), "cannot open the store");
    db = std::move(opened.value());
    check(static_cast<bool>(db->bootstrap_admin(admin_token)), "cannot make the admin");
    api = std::make_unique<api::admin_api>(*db, api::admin_api::options{});
    check(call("POST", "/api/v1/domain-groups", R"({"name":"Region"})").status == 201,
          "cannot make the domain group");
    check(call("POST", "/api/v1/domains", R"({"group":"Region","name":"EMEA"})").status == 201,
          "cannot make the domain");
    auto made = call("POST", "/api/v1/connections",
                     R"({"name":"base","url":"https://as.example.com/up","contentType":"JSON",)"
                     R"("asId":"TWA_1.AS","domains":[{"group":"Region","name":"EMEA"}]})");
    check(made.status == 201, "cannot make the base connection");
    simdjson::dom::element root;
    std::string_view id;
    check(!json.parse(made.body).get(root) && !root["id"].get(id), "no id in the answer");
    connection_path = "/api/v1/connections/" + std::string{id};
  }

  api::api_answer call(std::string_view method, std::string_view path, std::string_view body) {
    std::string authorization = "Bearer " + std::string{admin_token};
    return api->handle({method, path, "", authorization, body});
  }

  /// The id of a 201 answer, to delete what the fuzzer made (the store stays small).
  std::string id_of(const api::api_answer& answer) {
    simdjson::dom::element root;
    std::string_view id;
    if (json.parse(answer.body).get(root) || root["id"].get(id)) return {};
    return std::string{id};
  }
};

void check_answer(service& s, const api::api_answer& answer) {
  if (answer.status == 500) std::fprintf(stderr, "500: %s\n", answer.body.c_str());
  check(answer.status != 500, "the admin API answered 500");
  // 405: a method a known path does not take (GET on .../key, which only POST regenerates).
  check(answer.status == 200 || answer.status == 201 || answer.status == 204 ||
            answer.status == 400 || answer.status == 404 || answer.status == 405 ||
            answer.status == 409 || answer.status == 413,
        "an undocumented status");
  if (answer.status == 204) return;
  simdjson::dom::element root;
  if (s.json.parse(answer.body).get(root)) std::fprintf(stderr, "body: %s\n", answer.body.c_str());
  check(!s.json.parse(answer.body).get(root), "an answer body that is not JSON");
  check(root.is_object(), "an answer body that is not an object");
}

void forms(std::string_view body, std::uint8_t control) {
  auto form = api::parse_connection_form(body);
  auto checked = api::validate_connection(form, {.allow_http = (control & 8) != 0});
  if (checked.ok()) {
    // What the store would keep, read back as a form, must validate again (a later PATCH
    // starts from it).
    auto again = api::validate_connection(api::form_of(checked.value),
                                          {.allow_http = (control & 8) != 0});
    for (const auto& e : again.errors)
      std::fprintf(stderr, "%s: %s\n", e.field.c_str(), e.message.c_str());
    check(again.ok(), "a valid connection fails validation after form_of()");
  }
  api::connection_form base;
  base.name = "base";
  base.url = "https://as.example.com/up";
  base.content_type = "JSON";
  base.as_id = "AS";
  api::overlay(base, form);
  (void)api::validate_connection(base);
  auto user = api::parse_user_form(body);
  (void)api::validate_user(user);
  (void)api::validate_new_domain(api::parse_domain_form(body));
  (void)api::validate_new_domain_group(api::parse_domain_group_form(body));
  auto device = api::detail::parse_device_form(body);
  if (device.dev_eui) (void)api::detail::normalize_dev_eui(*device.dev_eui);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static service s;
  tr::fuzz::input_reader in{data, size};
  auto control = in.byte();
  auto body = in.rest();
  switch (control % 10) {
    case 0:
    case 1: forms(body, control); break;
    case 2: {
      auto answer = s.call("POST", "/api/v1/connections", body);
      check_answer(s, answer);
      if (answer.status == 201) {
        auto id = s.id_of(answer);
        check(!id.empty(), "201 without an id");
        check_answer(s, s.call("DELETE", "/api/v1/connections/" + id, ""));
      }
      break;
    }
    case 3: check_answer(s, s.call("PUT", s.connection_path, body)); break;
    case 4: check_answer(s, s.call("PATCH", s.connection_path, body)); break;
    case 5: check_answer(s, s.call("PUT", "/api/v1/devices/20635F0108000496", body)); break;
    case 6: check_answer(s, s.call("POST", "/api/v1/devices:import", body)); break;
    case 8:
      check_answer(s, s.call(control & 0x80 ? "DELETE" : "GET",
                             "/api/v1/connections/" + std::string{body}, ""));
      break;
    case 9:
      if (control & 0x80) {
        // A domain under the one made at start, then deleted again.
        auto answer = s.call("POST", "/api/v1/domains", body);
        check_answer(s, answer);
        if (answer.status == 201) {
          simdjson::dom::element root;
          std::string_view group, name;
          check(!s.json.parse(answer.body).get(root) && !root["group"].get(group) &&
                    !root["name"].get(name),
                "201 without group and name");
          std::string path = "/api/v1/domains/" + std::string{group} + "/" + std::string{name};
          (void)s.call("DELETE", path, "");
        }
      } else {
        check_answer(s, s.call("GET", "/api/v1/devices/" + std::string{body}, ""));
      }
      break;
    default: {
      auto answer = s.call("POST", "/api/v1/users", body);
      check_answer(s, answer);
      if (answer.status == 201) {
        auto id = s.id_of(answer);
        check(!id.empty(), "201 without an id");
        check_answer(s, s.call("DELETE", "/api/v1/users/" + id, ""));
      }
      break;
    }
  }
  return 0;
}
