// The admin API over real HTTP, as an operator's script uses it: curl over HTTP/1.1 and h2c,
// the store surviving restarts and a kill -9, limits answered with 4xx.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/app/router_process.hpp"
#include "tests/support/loopback.hpp"

using namespace tr::test;
using namespace std::chrono_literals;

namespace {

std::string connection_form(const std::string& name) {
  return R"({"name":")" + name +
         R"(","url":"https://as.example.com/up","contentType":"XML","asId":"as.)" + name + R"("})";
}

}  // namespace

TEST(serve_admin, refuses_a_request_without_a_token_with_401) {
  router_process router;
  auto r = curl({"-i", router.admin_url("/api/v1/connections")});
  EXPECT_EQ(r.status, 401);
  std::string lower;
  for (char c : r.body) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_NE(lower.find("www-authenticate: bearer"), std::string::npos) << r.body;
}

TEST(serve_admin, answers_over_h2c_as_well_as_http1) {
  router_process router;
  auto made =
      curl({"--http2-prior-knowledge", "-H", "Authorization: Bearer " + router.admin_token(),
            "--data-binary", connection_form("h2c"), router.admin_url("/api/v1/connections")});
  EXPECT_EQ(made.status, 201) << made.body;
  auto listed = router.admin("GET", "/api/v1/connections");
  EXPECT_NE(listed.body.find("\"name\":\"h2c\""), std::string::npos);
  EXPECT_EQ(listed.body.find("\"key\""), std::string::npos) << "a read never shows a key";
}

TEST(serve_admin, validation_errors_list_every_field_and_store_nothing) {
  router_process router;
  auto r = router.admin(
      "POST", "/api/v1/connections",
      R"({"name":"","url":"ftp://x","contentType":"CSV","asId":"a",)"
      R"("headers":[{"name":"Host","value":"x"},{"name":"a","value":"1"},{"name":"b","value":"1"},)"
      R"({"name":"c","value":"1"},{"name":"d","value":"1"},{"name":"e","value":"1"}]})");
  EXPECT_EQ(r.status, 400);
  for (auto field :
       {"\"name\"", "\"url\"", "\"contentType\"", "\"headers\"", "\"headers[0].name\""})
    EXPECT_NE(r.body.find(std::string{"\"field\":"} + field), std::string::npos)
        << field << " in " << r.body;
  EXPECT_EQ(router.admin("GET", "/api/v1/connections").body, R"({"connections":[]})");
}

TEST(serve_admin, a_body_over_the_limit_gets_413_and_stores_nothing) {
  router_process router{"[admin]\nmax_body_bytes = 65536\n"};
  std::string huge = R"({"name":")" + std::string(200000, 'x') +
                     R"(","url":"https://a.example/","contentType":"JSON","asId":"a"})";
  temp_dir dir;
  write_file(dir.file("huge.json"), huge);
  auto r = curl({"-H", "Authorization: Bearer " + router.admin_token(), "--data-binary",
                 "@" + dir.file("huge.json"), router.admin_url("/api/v1/connections")});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(router.admin("GET", "/api/v1/connections").body, R"({"connections":[]})");
  EXPECT_EQ(router.admin("GET", "/healthz").status, 200);
}

TEST(serve_admin, a_body_limit_above_64_mib_raises_the_import_limit_too) {
  router_process router{"[admin]\nmax_body_bytes = 80000000\n"};
  // 65 MiB, over the import's own 64 MiB: read whole (and its one line rejected as the bad line
  // it is), not cut off with 413.
  temp_dir dir;
  write_file(dir.file("import.ndjson"), std::string((65u << 20), 'x') + "\n");
  auto r = curl({"-H", "Authorization: Bearer " + router.admin_token(), "-H",
                 "Content-Type: application/x-ndjson", "--data-binary",
                 "@" + dir.file("import.ndjson"), router.admin_url("/api/v1/devices:import")});
  EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find(R"("imported":0,"rejected":[{"line":1,)"), std::string::npos)
      << r.body.substr(0, 300);
  EXPECT_EQ(router.admin("GET", "/healthz").status, 200);
}

TEST(serve_admin, malformed_json_and_wrong_types_get_400) {
  router_process router;
  EXPECT_EQ(router.admin("POST", "/api/v1/connections", R"({"name":)").status, 400);
  EXPECT_EQ(router
                .admin("POST", "/api/v1/connections",
                       R"({"name":12,"url":"https://a.example/","contentType":"JSON","asId":"a"})")
                .status,
            400);
  EXPECT_EQ(router.admin("GET", "/api/v1/connections").body, R"({"connections":[]})");
}

TEST(serve_admin, connections_and_the_admin_token_survive_a_restart) {
  temp_dir data;
  std::string id, token;
  {
    router_process first{"", data.path()};
    token = first.admin_token();
    auto made = first.admin("POST", "/api/v1/connections", connection_form("kept"));
    ASSERT_EQ(made.status, 201);
    id = json_field(made.body, "id");
    EXPECT_EQ(first.terminate(), 0);
  }
  router_process second{"", data.path()};
  EXPECT_EQ(second.admin_token(), token);
  auto got = second.admin("GET", "/api/v1/connections/" + id);
  EXPECT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(json_field(got.body, "name"), "kept");
}

TEST(serve_admin, a_kill_9_during_a_burst_of_writes_loses_no_acknowledged_write) {
  temp_dir data;
  std::vector<std::string> acknowledged;
  std::atomic<std::size_t> acknowledged_count{0};
  {
    router_process router{"", data.path()};
    std::atomic<bool> stop{false};
    std::thread writer{[&] {
      for (int i = 0; i < 200 && !stop; ++i) {
        auto r =
            router.admin("POST", "/api/v1/connections", connection_form("w" + std::to_string(i)));
        if (r.status == 201) {
          acknowledged.push_back(json_field(r.body, "id"));
          ++acknowledged_count;
        }
      }
    }};
    while (acknowledged_count < 15) std::this_thread::sleep_for(5ms);
    router.process().signal(SIGKILL);
    stop = true;
    writer.join();
  }
  router_process after{"", data.path()};
  auto listed = after.admin("GET", "/api/v1/connections");
  ASSERT_EQ(listed.status, 200);
  for (auto& id : acknowledged)
    EXPECT_NE(listed.body.find(id), std::string::npos) << "lost acknowledged " << id;
}

TEST(serve_admin, a_bulk_import_routes_every_valid_line) {
  router_process router;
  auto made = router.admin("POST", "/api/v1/connections", connection_form("bulk"));
  auto id = json_field(made.body, "id");
  std::string ndjson;
  for (int i = 0; i < 20000; ++i) {
    char dev[17];
    std::snprintf(dev, sizeof dev, "%016X", 0x1000 + i);
    ndjson += std::string{R"({"devEUI":")"} + dev + R"(","connections":[")" + id + "\"]}\n";
  }
  ndjson += "{broken\n";
  temp_dir dir;
  write_file(dir.file("import.ndjson"), ndjson);
  auto r = curl({"-H", "Authorization: Bearer " + router.admin_token(), "--data-binary",
                 "@" + dir.file("import.ndjson"), router.admin_url("/api/v1/devices:import")});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"imported\":20000"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"line\":20001"), std::string::npos) << r.body;
  EXPECT_EQ(router.admin("GET", "/api/v1/devices/0000000000005000").status, 200);
  std::this_thread::sleep_for(200ms);
  auto report = router.report(
      R"({"DevEUI_uplink":{"DevEUI":"0000000000005000","FPort":1,"FCntUp":1,"payload_hex":"00","CustomerID":"1"}})");
  EXPECT_EQ(report.status, 202) << report.body;
}

TEST(serve_admin, health_readiness_and_metrics_answer_without_a_token) {
  router_process router;
  EXPECT_EQ(curl({router.admin_url("/healthz")}).status, 200);
  EXPECT_EQ(curl({router.admin_url("/readyz")}).status, 200);
  auto metrics = curl({router.admin_url("/metrics")});
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("# TYPE tunnel_router_downlinks_total counter"), std::string::npos);
}

TEST(serve_admin, with_a_shutdown_delay_sigterm_first_turns_readyz_to_503_and_keeps_serving) {
  router_process router{"[runtime]\nshutdown_delay_ms = 1500\n"};
  ASSERT_EQ(curl({router.admin_url("/readyz")}).status, 200);
  auto signalled = std::chrono::steady_clock::now();
  router.process().signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds{300});
  // Not ready, but every listener still takes new connections and answers.
  EXPECT_EQ(curl({router.admin_url("/readyz")}).status, 503);
  EXPECT_EQ(curl({router.admin_url("/healthz")}).status, 200);
  auto report = router.report(R"({"DevEUI_uplink":{"DevEUI":"0000000000000001"}})");
  EXPECT_EQ(report.status, 404) << report.body;  // answered: no route
  auto code = router.process().wait(std::chrono::seconds{10});
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_GE(std::chrono::steady_clock::now() - signalled, std::chrono::milliseconds{1400});
  EXPECT_NE(router.process().output().find("not ready, draining in 1500 ms"), std::string::npos)
      << router.process().output();
}

TEST(serve_admin, protocol_refusals_say_why_and_405s_name_the_allowed_method) {
  router_process router{"[ingress]\nmax_body_bytes = 4096\n"};
  temp_dir dir;
  write_file(dir.file("big.json"), std::string(10000, 'x'));
  for (const char* version : {"--http2-prior-knowledge", "--http1.1"}) {
    auto r = curl(
        {version, "--data-binary", "@" + dir.file("big.json"), router.ingress_url("/v1/reports")});
    EXPECT_EQ(r.status, 413) << version;
    EXPECT_EQ(r.body, "request body over the limit of 4096 bytes\n") << version;
    // A small body to a path the ingress does not serve: 404, not counted as a report.
    auto elsewhere = curl({version, "-d", "{}", router.ingress_url("/foo")});
    EXPECT_EQ(elsewhere.status, 404) << version << elsewhere.body;
  }
  EXPECT_EQ(router.metric("tunnel_router_reports_total{outcome=\"too_large\"}"), 2);
  auto allow_of = [](const http_result& r) {
    std::smatch m;
    std::regex re{"\\r\\nallow: ([^\\r]*)\\r\\n", std::regex::icase};
    return std::regex_search(r.body, m, re) ? m[1].str() : std::string{"(none)"};
  };
  auto ingress = curl({"-D", "-", "--http2-prior-knowledge", router.ingress_url("/v1/reports")});
  EXPECT_EQ(ingress.status, 405);
  EXPECT_EQ(allow_of(ingress), "POST") << ingress.body;
  auto pub = curl({"-D", "-",
                   "http://127.0.0.1:" + std::to_string(router.public_port()) +
                       "/thingpark/lrc/rest/downlink"});
  EXPECT_EQ(pub.status, 405);
  EXPECT_EQ(allow_of(pub), "POST") << pub.body;
  for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
    auto admin = curl({"-D", "-", "-X", "POST", router.admin_url(path)});
    EXPECT_EQ(admin.status, 405) << path;
    EXPECT_EQ(allow_of(admin), "GET, HEAD") << path << admin.body;
  }
  EXPECT_EQ(router.admin("GET", "/healthz").status, 200);
}

TEST(serve_admin, head_gets_the_head_alone_over_http2_and_http1) {
  router_process router;
  auto head = [](const std::string& url) {
    child_process nghttp{{"nghttp", "-v", "-H", ":method: HEAD", url}};
    nghttp.wait(std::chrono::seconds{20});
    return std::make_pair(nghttp.exit_code().value_or(-1), nghttp.output());
  };
  for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
    auto [code, out] = head(router.admin_url(path));
    EXPECT_EQ(code, 0) << path << "\n" << out;
    EXPECT_NE(out.find(":status: 200"), std::string::npos) << path << "\n" << out;
    EXPECT_EQ(out.find("PROTOCOL_ERROR"), std::string::npos) << path << "\n" << out;
  }
  // A refusal to HEAD (405: the ingress takes POST only) carries no body either.
  auto [code, out] = head(router.ingress_url("/v1/reports"));
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find(":status: 405"), std::string::npos) << out;
  EXPECT_EQ(out.find("PROTOCOL_ERROR"), std::string::npos) << out;
  auto h1 = curl({"--http1.1", "-I", router.admin_url("/healthz")});
  EXPECT_EQ(h1.status, 200);
  EXPECT_EQ(h1.body.find("ok\n"), std::string::npos) << h1.body;
}

TEST(serve_admin, the_generated_admin_token_file_is_readable_by_its_owner_only) {
  temp_dir data;
  // A file left world-readable (say, by an older version) is made 0600 before the new token
  // goes in.
  write_file(data.path() + "/admin.token", "stale\n");
  ::chmod((data.path() + "/admin.token").c_str(), 0644);
  router_process router{"", data.path()};
  struct stat info {};
  ASSERT_EQ(::stat((data.path() + "/admin.token").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_NE(router.admin_token().find_first_not_of(" \n"), std::string::npos);
  EXPECT_EQ(router.admin_token().find("stale"), std::string::npos);
  EXPECT_EQ(router.admin("GET", "/api/v1/connections").status, 200);
}

TEST(serve_admin, a_first_start_that_fails_after_making_the_admin_token_keeps_it) {
  temp_dir dir;
  std::string data = dir.path() + "/data";
  // The ingress port is taken: the start fails after the store and the token were made, and
  // later starts never generate a token again.
  tcp_listener taken;
  write_file(dir.file("router.ini"),
             "[store]\npath = " + data +
                 "/router.db\n[ingress]\nlisten = 127.0.0.1:" + std::to_string(taken.port()) +
                 "\n[public]\nlisten = 127.0.0.1:0\n[admin]\n"
                 "listen = 127.0.0.1:0\n");
  child_process first{{TR_BINARY, "serve", "--config", dir.file("router.ini")}};
  first.wait(20s);
  EXPECT_EQ(first.exit_code().value_or(-1), 1) << first.output();
  std::string token = read_file(data + "/admin.token");
  while (!token.empty() && token.back() == '\n') token.pop_back();
  ASSERT_FALSE(token.empty());
  EXPECT_NE(first.output().find("admin token (shown once, also in "), std::string::npos)
      << first.output();
  EXPECT_NE(first.output().find(token), std::string::npos) << first.output();
  router_process second{"", data};
  EXPECT_EQ(second.process().output().find("admin token"), std::string::npos) << "generated again";
  EXPECT_EQ(second.admin_token(), token);
  EXPECT_EQ(second.admin("GET", "/api/v1/connections").status, 200);
}

namespace {

/// A configuration on free ports whose store is `data`/router.db.
std::string config_with_store(temp_dir& dir, const std::string& data, const std::string& name) {
  write_file(dir.file(name), "[store]\npath = " + data +
                                 "/router.db\n[ingress]\nlisten = 127.0.0.1:0\n[public]\n"
                                 "listen = 127.0.0.1:0\n[admin]\nlisten = 127.0.0.1:0\n");
  return dir.file(name);
}

}  // namespace

TEST(serve_admin, a_second_router_on_the_same_sqlite_file_is_refused) {
  temp_dir dir;
  std::string data = dir.path() + "/data";
  router_process first{"", data};
  // Made for its owner only: URLs and headers in it hold credentials.
  struct stat made {};
  ASSERT_EQ(::stat((data + "/router.db").c_str(), &made), 0);
  EXPECT_EQ(made.st_mode & 0777, 0600u);
  EXPECT_NE(first.process().errors().find("a new, empty store was created"), std::string::npos)
      << first.process().errors();

  child_process second{{TR_BINARY, "serve", "--config", config_with_store(dir, data, "b.ini")}};
  second.wait(20s);
  EXPECT_EQ(second.exit_code().value_or(-1), 1);
  EXPECT_NE(second.errors().find("in use by another tunnel-router"), std::string::npos)
      << second.errors();
  EXPECT_EQ(first.admin("GET", "/api/v1/connections").status, 200);
  EXPECT_EQ(first.terminate(), 0);

  // Once the first has stopped, the store opens again, not as a new one.
  router_process third{"", data};
  EXPECT_EQ(third.admin("GET", "/api/v1/connections").status, 200);
  EXPECT_EQ(third.process().errors().find("a new, empty store"), std::string::npos)
      << third.process().errors();
}

TEST(serve_admin, a_database_without_its_data_key_is_refused_and_no_other_key_is_made) {
  temp_dir dir;
  std::string data = dir.path() + "/data";
  {
    router_process first{"", data};
    ASSERT_EQ(first.terminate(), 0);
  }
  ASSERT_EQ(::unlink((data + "/data.key").c_str()), 0);  // a restore that forgot the key
  child_process again{{TR_BINARY, "serve", "--config", config_with_store(dir, data, "r.ini")}};
  again.wait(20s);
  EXPECT_EQ(again.exit_code().value_or(-1), 1);
  EXPECT_NE(again.errors().find("data.key is missing"), std::string::npos) << again.errors();
  struct stat none {};
  EXPECT_NE(::stat((data + "/data.key").c_str(), &none), 0) << "a wrong key was left behind";
}

TEST(serve_admin, a_configured_admin_token_removes_the_file_of_the_one_it_replaces) {
  temp_dir dir;
  std::string data = dir.path() + "/data";
  {
    router_process first{"", data};
    ASSERT_EQ(first.terminate(), 0);
  }
  std::string configured(40, 'c');
  write_file(dir.file("t.ini"), read_file(config_with_store(dir, data, "t.ini")) +
                                    "token = " + configured + "\n");  // in [admin], last
  child_process again{{TR_BINARY, "serve", "--config", dir.file("t.ini")}};
  for (int i = 0; i < 500 && again.output().find("listening") == std::string::npos; ++i) {
    ASSERT_TRUE(again.running()) << again.errors();
    std::this_thread::sleep_for(20ms);
  }
  struct stat gone {};
  EXPECT_NE(::stat((data + "/admin.token").c_str(), &gone), 0) << "a dead token left behind";
  EXPECT_NE(again.errors().find("replaces the one kept in the file"), std::string::npos)
      << again.errors();
  again.signal(SIGTERM);
  EXPECT_EQ(again.wait(), 0);
}

TEST(serve_admin, a_damaged_store_stops_the_start_at_once_with_sqlites_reason) {
  temp_dir dir;
  std::string data = dir.path() + "/data";
  {
    router_process first{"", data};
    ASSERT_EQ(
        first
            .admin(
                "POST", "/api/v1/connections",
                R"({"name":"AS 1","url":"https://as.example.com/up","contentType":"JSON","asId":"A1"})")
            .status,
        201);
    ASSERT_EQ(first.terminate(), 0);
  }
  // Everything into the main file, then the connections table's first page overwritten.
  std::string file = data + "/router.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_stmt* query = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT rootpage FROM sqlite_master WHERE name = 'connections'",
                               -1, &query, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(query), SQLITE_ROW);
  auto page = sqlite3_column_int64(query, 0);
  auto page_size = 4096;
  sqlite3_finalize(query);
  sqlite3_close(db);
  {
    std::fstream out{file, std::ios::in | std::ios::out | std::ios::binary};
    out.seekp((page - 1) * page_size + 8);
    std::string junk(4000, '\xa5');
    out.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto started = std::chrono::steady_clock::now();
  child_process again{{TR_BINARY, "serve", "--config", config_with_store(dir, data, "d.ini")}};
  again.wait(40s);
  EXPECT_EQ(again.exit_code().value_or(-1), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s) << "waited for the load's deadline";
  EXPECT_NE(again.errors().find("malformed"), std::string::npos) << again.errors();
}

TEST(serve_admin, an_admin_call_the_store_fails_is_logged_as_well_as_answered) {
  temp_dir dir;
  std::string data = dir.path() + "/data";
  router_process router{"", data};
  // Another process holds the write lock past the store's 5 s busy timeout.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data + "/router.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto made = router.admin(
      "POST", "/api/v1/connections",
      R"({"name":"AS 1","url":"https://as.example.com/up","contentType":"JSON","asId":"A1"})");
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(made.status, 503) << made.body;
  auto log = router.process().errors();
  EXPECT_NE(log.find("admin request failed"), std::string::npos) << log;
  EXPECT_NE(log.find("status=503"), std::string::npos) << log;
}

TEST(serve_admin, a_write_into_a_store_file_deleted_under_the_router_is_refused_and_logged) {
  temp_dir dir;
  std::string data = dir.path() + "/data";
  router_process router{"", data};
  for (auto suffix : {"", "-wal", "-shm"}) ::unlink((data + "/router.db" + suffix).c_str());
  auto made = router.admin(
      "POST", "/api/v1/connections",
      R"({"name":"AS 1","url":"https://as.example.com/up","contentType":"JSON","asId":"A1"})");
  EXPECT_EQ(made.status, 500) << made.body;
  EXPECT_NE(made.body.find("was deleted while the router ran"), std::string::npos) << made.body;
  EXPECT_NE(router.process().errors().find("admin request failed"), std::string::npos)
      << router.process().errors();
}
