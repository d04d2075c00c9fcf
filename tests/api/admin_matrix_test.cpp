// The whole permission matrix: roles × restrictions × connection domains × action, as one
// table of answer statuses. Any cell that changes fails the test and shows the table.
//
// Rows: a user (role, and its restrictions after `@`) and a connection (its domains; `-` is
// cross-domain). Columns: read (GET; `r` when url, headers and additionalInfo are withheld),
// update (PATCH name), key (POST /key), route (PUT of a device to it), delete, and create (POST
// of a new connection with the same domains, by that user).

#include <sstream>

#include "tests/api/admin_api_fixture.hpp"

namespace tr::api::testing {
namespace {

struct user_case {
  std::string label;
  std::string role;
  std::string domains_json;
};

struct connection_case {
  std::string label;
  std::string domains_json;
};

std::string refs(std::initializer_list<std::pair<std::string_view, std::string_view>> list) {
  std::string out = "[";
  for (const auto& [group, name] : list) {
    if (out.size() > 1) out += ", ";
    out += R"({"group": ")" + std::string{group} + R"(", "name": ")" + std::string{name} + "\"}";
  }
  return out + "]";
}

const std::string france = refs({{"Region", "EMEA/France"}});
const std::string emea = refs({{"Region", "EMEA"}});

const std::vector<user_case> users = {
    {"admin", "admin", "[]"},
    {"manager", "connections-manager", "[]"},
    {"manager@EMEA/France", "connections-manager", france},
    {"manager@EMEA", "connections-manager", emea},
    {"viewer", "viewer", "[]"},
    {"viewer@EMEA/France", "viewer", france},
};

const std::vector<connection_case> connections = {
    {"-", "[]"},
    {"EMEA", emea},
    {"EMEA/France", france},
    {"EMEA/France/Paris", refs({{"Region", "EMEA/France/Paris"}})},
    {"EMEA/Germany", refs({{"Region", "EMEA/Germany"}})},
    {"Acme", refs({{"Customer", "Acme"}})},
    {"EMEA/France/Paris+Acme", refs({{"Region", "EMEA/France/Paris"}, {"Customer", "Acme"}})},
};

constexpr std::string_view expected =
    R"(admin                  -                       200 200 200 200 204 201
admin                  EMEA                    200 200 200 200 204 201
admin                  EMEA/France             200 200 200 200 204 201
admin                  EMEA/France/Paris       200 200 200 200 204 201
admin                  EMEA/Germany            200 200 200 200 204 201
admin                  Acme                    200 200 200 200 204 201
admin                  EMEA/France/Paris+Acme  200 200 200 200 204 201
manager                -                       200 200 200 200 204 201
manager                EMEA                    200 200 200 200 204 201
manager                EMEA/France             200 200 200 200 204 201
manager                EMEA/France/Paris       200 200 200 200 204 201
manager                EMEA/Germany            200 200 200 200 204 201
manager                Acme                    200 200 200 200 204 201
manager                EMEA/France/Paris+Acme  200 200 200 200 204 201
manager@EMEA/France    -                       200r 403 403 403 403 400
manager@EMEA/France    EMEA                    404 404 404 400 404 400
manager@EMEA/France    EMEA/France             200 200 200 200 204 201
manager@EMEA/France    EMEA/France/Paris       200 200 200 200 204 201
manager@EMEA/France    EMEA/Germany            404 404 404 400 404 400
manager@EMEA/France    Acme                    404 404 404 400 404 400
manager@EMEA/France    EMEA/France/Paris+Acme  200 200 200 200 204 400
manager@EMEA           -                       200r 403 403 403 403 400
manager@EMEA           EMEA                    200 200 200 200 204 201
manager@EMEA           EMEA/France             200 200 200 200 204 201
manager@EMEA           EMEA/France/Paris       200 200 200 200 204 201
manager@EMEA           EMEA/Germany            200 200 200 200 204 201
manager@EMEA           Acme                    404 404 404 400 404 400
manager@EMEA           EMEA/France/Paris+Acme  200 200 200 200 204 400
viewer                 -                       200 403 403 403 403 403
viewer                 EMEA                    200 403 403 403 403 403
viewer                 EMEA/France             200 403 403 403 403 403
viewer                 EMEA/France/Paris       200 403 403 403 403 403
viewer                 EMEA/Germany            200 403 403 403 403 403
viewer                 Acme                    200 403 403 403 403 403
viewer                 EMEA/France/Paris+Acme  200 403 403 403 403 403
viewer@EMEA/France     -                       200r 403 403 403 403 403
viewer@EMEA/France     EMEA                    404 404 404 403 404 403
viewer@EMEA/France     EMEA/France             200 403 403 403 403 403
viewer@EMEA/France     EMEA/France/Paris       200 403 403 403 403 403
viewer@EMEA/France     EMEA/Germany            404 404 404 403 404 403
viewer@EMEA/France     Acme                    404 404 404 403 404 403
viewer@EMEA/France     EMEA/France/Paris+Acme  200 403 403 403 403 403
)";

class admin_matrix : public admin_api_test {
 protected:
  /// One line of the table: the statuses of every action of `who` on a connection `of`.
  std::string line(const user_case& who, const std::string& token, const connection_case& of,
                   int serial) {
    auto tag = "m" + std::to_string(serial);
    auto id = create(tag, of.domains_json);
    auto path = "/api/v1/connections/" + id;
    std::ostringstream out;
    auto read = call("GET", path, "", token);
    out << read.status << (read.status == 200 && !has(read, "url") ? "r" : "");
    out << " " << call("PATCH", path, R"({"name": "renamed"})", token).status;
    out << " " << call("POST", path + "/key", "", token).status;
    char eui[17];
    std::snprintf(eui, sizeof eui, "%016X", serial);
    out << " "
        << call("PUT", "/api/v1/devices/" + std::string{eui}, R"({"connections": [")" + id + "\"]}",
                token)
               .status;
    out << " " << call("DELETE", path, "", token).status;
    out << " "
        << call("POST", "/api/v1/connections", connection_body(tag + "new", of.domains_json), token)
               .status;
    std::string user_label = who.label, connection_label = of.label;
    user_label.resize(std::max<std::size_t>(user_label.size() + 1, 23), ' ');
    connection_label.resize(std::max<std::size_t>(connection_label.size() + 1, 24), ' ');
    return user_label + connection_label + out.str() + "\n";
  }
};

TEST_F(admin_matrix, every_cell_of_roles_restrictions_domains_and_actions_is_as_specified) {
  std::string table;
  int serial = 0;
  for (const auto& who : users) {
    auto made = call("POST", "/api/v1/users",
                     R"({"name": ")" + who.label + R"(", "role": ")" + who.role +
                         R"(", "domains": )" + who.domains_json + "}");
    ASSERT_EQ(made.status, 201) << made.body;
    auto token = text(made, "token");
    for (const auto& of : connections) table += line(who, token, of, ++serial);
  }
  EXPECT_EQ(table, expected) << "the matrix now reads:\n" << table;
}

}  // namespace
}  // namespace tr::api::testing
