#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "app/config.hpp"
#include "app/config_defaults.hpp"

namespace tr::app {
namespace {

/// A folder for the configuration files of one test.
class config_files : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pattern = (std::filesystem::temp_directory_path() / "tr-config-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    folder_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(folder_); }

  std::filesystem::path write(const std::string& name, const std::string& content) {
    auto path = folder_ / name;
    std::ofstream{path} << content;
    return path;
  }

  /// The message of the config_error that loading throws ("" if it loads).
  std::string error_of(const std::optional<std::filesystem::path>& file,
                       const environment& env = {}) {
    try {
      load_config(file, env);
    } catch (const config_error& e) {
      return e.what();
    }
    return "";
  }

  std::filesystem::path folder_;
};

constexpr const char* sample_ini = R"(
; every contract key that has no default worth keeping
[store]
path = /var/lib/tunnel-router/router.db
[ingress]
listen = 0.0.0.0:8080
[public]
listen = [::]:8443
[admin]
listen = 127.0.0.1:0
token = s3cret-admin-token-0123456789abcdef
[ns]
downlink_url = https://ns.example.com/downlink
[as]
allow_http = true
[runtime]
shards = 4
drain_timeout_ms = 2500
[fuse]
failure_threshold = 3
)";

constexpr const char* sample_json = R"({
  "store": {"path": "/var/lib/tunnel-router/router.db"},
  "ingress": {"listen": "0.0.0.0:8080"},
  "public": {"listen": "[::]:8443"},
  "admin": {"listen": "127.0.0.1:0", "token": "s3cret-admin-token-0123456789abcdef"},
  "ns": {"downlink_url": "https://ns.example.com/downlink"},
  "as": {"allow_http": true},
  "runtime": {"shards": 4, "drain_timeout_ms": 2500},
  "fuse": {"failure_threshold": 3}
})";

constexpr const char* sample_xml = R"(<?xml version="1.0"?>
<tunnel-router>
  <!-- the same settings as the INI sample -->
  <store><path>/var/lib/tunnel-router/router.db</path></store>
  <ingress><listen>0.0.0.0:8080</listen></ingress>
  <public><listen>[::]:8443</listen></public>
  <admin><listen>127.0.0.1:0</listen><token>s3cret-admin-token-0123456789abcdef</token></admin>
  <ns><downlink_url>https://ns.example.com/downlink</downlink_url></ns>
  <as><allow_http>true</allow_http></as>
  <runtime><shards>4</shards><drain_timeout_ms>2500</drain_timeout_ms></runtime>
  <fuse><failure_threshold>3</failure_threshold></fuse>
</tunnel-router>
)";

void expect_sample(const config& c) {
  EXPECT_EQ(c.store.path, "/var/lib/tunnel-router/router.db");
  EXPECT_EQ(c.ingress.listen, (endpoint{"0.0.0.0", 8080}));
  EXPECT_EQ(c.public_listener.listen, (endpoint{"::", 8443}));
  EXPECT_EQ(c.admin.listen, (endpoint{"127.0.0.1", 0}));
  EXPECT_EQ(c.admin.token, "s3cret-admin-token-0123456789abcdef");
  EXPECT_EQ(c.ns.downlink_url, "https://ns.example.com/downlink");
  EXPECT_TRUE(c.as.allow_http);
  EXPECT_EQ(c.runtime.shards, 4u);
  EXPECT_EQ(c.runtime.drain_timeout_ms, 2500u);
  EXPECT_EQ(c.fuse.failure_threshold, 3u);
  EXPECT_EQ(c.fuse.max_concurrency,
            defaults::fuse_max_concurrency);  // untouched keys keep their defaults
}

TEST_F(config_files, without_a_file_the_embedded_defaults_apply) {
  auto c = load_config(std::nullopt, {});
  EXPECT_EQ(c.store.path, "data/router.db");
  EXPECT_EQ(to_string(c.ingress.listen), "127.0.0.1:7080");
  EXPECT_EQ(to_string(c.public_listener.listen), "127.0.0.1:7443");
  EXPECT_EQ(to_string(c.admin.listen), "127.0.0.1:7090");
  EXPECT_TRUE(c.admin.token.empty());
  EXPECT_TRUE(c.ns.downlink_url.empty());
  EXPECT_TRUE(c.as.ca_file.empty());
  EXPECT_FALSE(c.as.allow_http);
  EXPECT_EQ(c.runtime.shards, 0u);
  EXPECT_EQ(c.runtime.drain_timeout_ms, 10000u);
  EXPECT_EQ(c.as.request_timeout_ms, 5000u);
  EXPECT_EQ(c.as.idle_timeout_ms, 60000u);
  EXPECT_EQ(c.as.http1_connections, 8u);
  EXPECT_EQ(c.downlink.rate_per_s, 10u);
  EXPECT_EQ(c.downlink.burst, 20u);
}

TEST_F(config_files, reads_an_ini_file) {
  expect_sample(load_config(write("router.ini", sample_ini), {}));
}

TEST_F(config_files, reads_a_json_file) {
  expect_sample(load_config(write("router.json", sample_json), {}));
}

TEST_F(config_files, reads_an_xml_file) {
  expect_sample(load_config(write("router.XML", sample_xml), {}));
}

TEST_F(config_files, rejects_an_unknown_key_naming_it) {
  EXPECT_NE(error_of(write("a.ini", "[store]\npath = x.db\ncolour = red\n")).find("store.colour"),
            std::string::npos);
  EXPECT_NE(error_of(write("b.json", R"({"admin": {"tokn": "x"}})")).find("admin.tokn"),
            std::string::npos);
  EXPECT_NE(error_of(write("c.xml", "<r><as><cafile>x</cafile></as></r>")).find("as.cafile"),
            std::string::npos);
}

TEST_F(config_files, rejects_an_unknown_section_naming_it) {
  EXPECT_NE(error_of(write("a.ini", "[storage]\npath = x.db\n")).find("'storage'"),
            std::string::npos);
  EXPECT_NE(error_of(write("b.ini", "path = x.db\n")).find("'path'"), std::string::npos);
}

TEST_F(config_files, rejects_a_bad_value_naming_key_and_value) {
  struct bad_case {
    const char* ini;
    const char* expected;
  } cases[] = {
      {"[runtime]\nshards = four\n", "runtime.shards: 'four'"},
      {"[runtime]\nshards = -1\n", "runtime.shards: '-1'"},
      {"[runtime]\nshards = 2.5\n", "runtime.shards: '2.5'"},
      {"[ingress]\nlisten = localhost\n", "ingress.listen: 'localhost'"},
      {"[ingress]\nlisten = localhost:99999\n", "ingress.listen: 'localhost:99999'"},
      {"[ingress]\nlisten = :7080\n", "ingress.listen: ':7080'"},
      {"[public]\nlisten = ::1:7443\n", "public.listen: '::1:7443'"},
      {"[as]\nallow_http = maybe\n", "as.allow_http: 'maybe'"},
      {"[as]\nrequest_timeout_ms = 0\n", "as.request_timeout_ms: '0'"},
      {"[as]\nidle_timeout_ms = 3600001\n", "as.idle_timeout_ms: '3600001'"},
      {"[as]\nhttp1_connections = 0\n", "as.http1_connections: '0'"},
      {"[ns]\ndownlink_url = ftp://ns.example.com/\n", "ns.downlink_url: 'ftp://ns.example.com/'"},
      {"[as]\nca_file = /no/such/bundle.pem\n", "as.ca_file: '/no/such/bundle.pem'"},
      {"[store]\npath =\n", "store.path: ''"},
      {"[as]\ndeny_networks = 10.0.0.0/33\n", "as.deny_networks: '10.0.0.0/33'"},
      {"[as]\ndeny_networks = 10.0.0.0/8, example.com\n", "as.deny_networks"},
      {"[admin]\nmax_connections = 0\n", "admin.max_connections: '0'"},
      {"[admin]\nmax_connections_per_address = 0\n", "admin.max_connections_per_address: '0'"},
  };
  for (const auto& c : cases) {
    auto message = error_of(write("bad.ini", c.ini));
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.ini << " -> " << message;
  }
}

TEST_F(config_files, reads_the_log_settings_from_a_file_or_the_environment) {
  auto defaults = load_config(std::nullopt, {});
  EXPECT_EQ(defaults.log.format, tr::logging::format::text);
  EXPECT_EQ(defaults.log.level, tr::logging::level::info);
  auto file = load_config(write("log.ini", "[log]\nformat = json\nlevel = warning\n"), {});
  EXPECT_EQ(file.log.format, tr::logging::format::json);
  EXPECT_EQ(file.log.level, tr::logging::level::warning);
  auto env = load_config(std::nullopt, {{"TUNNEL_ROUTER_LOG_LEVEL", "debug"}});
  EXPECT_EQ(env.log.level, tr::logging::level::debug);
  EXPECT_NE(error_of(write("bad.ini", "[log]\nformat = yaml\n")).find("log.format: 'yaml'"),
            std::string::npos);
  EXPECT_NE(error_of(write("bad.ini", "[log]\nlevel = loud\n")).find("log.level: 'loud'"),
            std::string::npos);
}

TEST_F(config_files, refuses_a_comment_after_an_ini_value_naming_the_key) {
  for (const char* ini :
       {"[store]\npath = /x/router.db ; comment\n", "[store]\npath = /x/router.db\t# comment\n",
        "[store]\npath = ; comment\n"}) {
    auto message = error_of(write("comment.ini", ini));
    EXPECT_NE(message.find("store.path"), std::string::npos) << ini << " -> " << message;
    EXPECT_NE(message.find("comments must be on their own line"), std::string::npos) << message;
  }
}

TEST_F(config_files, keeps_a_semicolon_or_hash_inside_an_ini_value_and_in_other_formats) {
  auto c = load_config(write("router.ini", "[store]\npath = /x/a;b#c.db\n"), {});
  EXPECT_EQ(c.store.path, "/x/a;b#c.db");
  c = load_config(write("router.ini", "[admin]\ntoken = #k3y-0123456789abcdef0123456789ab\n"), {});
  EXPECT_EQ(c.admin.token, "#k3y-0123456789abcdef0123456789ab");
  c = load_config(write("router.json", R"({"store": {"path": "/x/a ;b.db"}})"), {});
  EXPECT_EQ(c.store.path, "/x/a ;b.db");
}

TEST_F(config_files, a_key_given_twice_is_an_error) {
  auto message = error_of(write("twice.json", R"({"store": {"path": "a.db", "path": "b.db"}})"));
  EXPECT_NE(message.find("store.path"), std::string::npos) << message;
  // A section given twice would be merged unseen (the INI reader refuses it by itself).
  message = error_of(write("sections.json", R"({"admin": {"listen": "127.0.0.1:1"},
                                                 "admin": {"max_body_bytes": "5000"}})"));
  EXPECT_NE(message.find("section 'admin' given more than once"), std::string::npos) << message;
  message = error_of(write("sections.xml",
                           "<router><admin><listen>127.0.0.1:1</listen></admin>"
                           "<admin><max_body_bytes>5000</max_body_bytes></admin>"
                           "</router>"));
  EXPECT_NE(message.find("section 'admin' given more than once"), std::string::npos) << message;
}

TEST_F(config_files, the_environment_overrides_the_file) {
  auto c = load_config(write("router.ini", sample_ini),
                       {{"TUNNEL_ROUTER_RUNTIME_SHARDS", "2"},
                        {"TUNNEL_ROUTER_PUBLIC_LISTEN", "127.0.0.1:9443"},
                        {"TUNNEL_ROUTER_ADMIN_TOKEN", ""},
                        {"HOME", "/root"}});
  EXPECT_EQ(c.runtime.shards, 2u);
  EXPECT_EQ(c.public_listener.listen, (endpoint{"127.0.0.1", 9443}));
  EXPECT_TRUE(c.admin.token.empty());
  EXPECT_EQ(c.store.path, "/var/lib/tunnel-router/router.db");
}

TEST_F(config_files, the_environment_overrides_the_defaults_without_a_file) {
  auto c = load_config(std::nullopt, {{"TUNNEL_ROUTER_FUSE_BACKOFF_MAX_MS", "120000"},
                                      {"TUNNEL_ROUTER_AS_ALLOW_HTTP", "TRUE"}});
  EXPECT_EQ(c.fuse.backoff_max_ms, 120000u);
  EXPECT_TRUE(c.as.allow_http);
}

TEST_F(config_files, an_unknown_variable_with_the_prefix_is_an_error) {
  auto message = error_of(std::nullopt, {{"TUNNEL_ROUTER_STORE_PATHS", "x"}});
  EXPECT_NE(message.find("TUNNEL_ROUTER_STORE_PATHS"), std::string::npos) << message;
}

TEST_F(config_files, the_data_key_variable_is_not_a_configuration_key) {
  EXPECT_EQ(error_of(std::nullopt, {{"TUNNEL_ROUTER_DATA_KEY", std::string(64, 'a')}}), "");
}

TEST_F(config_files, kubernetes_service_links_are_not_configuration_keys) {
  // What a pod gets for Services named tunnel-router-admin and tunnel-router-ingress.
  const environment links = {
      {"TUNNEL_ROUTER_ADMIN_SERVICE_HOST", "10.96.0.12"},
      {"TUNNEL_ROUTER_ADMIN_SERVICE_PORT", "7090"},
      {"TUNNEL_ROUTER_ADMIN_SERVICE_PORT_ADMIN", "7090"},
      {"TUNNEL_ROUTER_ADMIN_PORT", "tcp://10.96.0.12:7090"},
      {"TUNNEL_ROUTER_ADMIN_PORT_7090_TCP", "tcp://10.96.0.12:7090"},
      {"TUNNEL_ROUTER_ADMIN_PORT_7090_TCP_PROTO", "tcp"},
      {"TUNNEL_ROUTER_ADMIN_PORT_7090_TCP_PORT", "7090"},
      {"TUNNEL_ROUTER_ADMIN_PORT_7090_TCP_ADDR", "10.96.0.12"},
      {"TUNNEL_ROUTER_INGRESS_PORT_7080_UDP", "udp://10.96.0.13:7080"},
  };
  EXPECT_EQ(error_of(std::nullopt, links), "");
  // A name of that shape that is no link, and any other unknown name, is still refused.
  EXPECT_NE(error_of(std::nullopt, {{"TUNNEL_ROUTER_ADMIN_PORT", "7090"}}).find("no such"),
            std::string::npos);
  EXPECT_NE(
      error_of(std::nullopt, {{"TUNNEL_ROUTER_ADMIN_PORT_7090_TCP_HOST", "x"}}).find("no such"),
      std::string::npos);
}

TEST_F(config_files, a_bad_value_in_the_environment_names_the_variable_and_the_key) {
  auto message = error_of(std::nullopt, {{"TUNNEL_ROUTER_DOWNLINK_BURST", "lots"}});
  EXPECT_NE(message.find("TUNNEL_ROUTER_DOWNLINK_BURST (downlink.burst): 'lots'"),
            std::string::npos)
      << message;
}

TEST_F(config_files, names_the_variable_of_every_key_in_upper_case) {
  EXPECT_EQ(environment_variable_of("public", "tls_cert"), "TUNNEL_ROUTER_PUBLIC_TLS_CERT");
}

TEST_F(config_files, rejects_files_it_cannot_read) {
  EXPECT_NE(error_of(write("router.yaml", "store: {}")).find("unknown format"), std::string::npos);
  EXPECT_NE(error_of(folder_ / "missing.ini").find("does not exist"), std::string::npos);
  EXPECT_NE(error_of(write("broken.json", "{\"store\": ")).find("broken.json"), std::string::npos);
  EXPECT_NE(error_of(write("broken.xml", "<r><store>")).find("broken.xml"), std::string::npos);
}

TEST_F(config_files, checks_settings_that_go_together) {
  auto cert = write("cert.pem", "x");
  EXPECT_NE(error_of(std::nullopt, {{"TUNNEL_ROUTER_PUBLIC_TLS_CERT", cert.string()}})
                .find("public.tls_key"),
            std::string::npos);
  EXPECT_NE(error_of(std::nullopt, {{"TUNNEL_ROUTER_FUSE_MIN_CONCURRENCY",
                                     std::to_string(defaults::fuse_max_concurrency + 1)}})
                .find("fuse.max_concurrency"),
            std::string::npos);
  EXPECT_NE(error_of(std::nullopt, {{"TUNNEL_ROUTER_ADMIN_LISTEN", "127.0.0.1:7080"}})
                .find("same address"),
            std::string::npos);
  EXPECT_EQ(error_of(std::nullopt, {{"TUNNEL_ROUTER_ADMIN_LISTEN", "127.0.0.1:0"},
                                    {"TUNNEL_ROUTER_INGRESS_LISTEN", "127.0.0.1:0"}}),
            "");
}

TEST_F(config_files, a_snapshot_is_shared_and_immutable) {
  auto snapshot = load_config_snapshot(std::nullopt, {{"TUNNEL_ROUTER_RUNTIME_SHARDS", "3"}});
  std::shared_ptr<const config> copy = snapshot;
  EXPECT_EQ(copy->runtime.shards, 3u);
  EXPECT_EQ(snapshot.use_count(), 2);
}

TEST_F(config_files, the_ingress_connection_age_defaults_to_minutes_and_zero_turns_it_off) {
  EXPECT_EQ(load_config(std::nullopt, {}).ingress.max_connection_age_s, 300u);
  auto off = load_config(std::nullopt, {{"TUNNEL_ROUTER_INGRESS_MAX_CONNECTION_AGE_S", "0"}});
  EXPECT_EQ(off.ingress.max_connection_age_s, 0u);
  auto message = error_of(std::nullopt, {{"TUNNEL_ROUTER_INGRESS_MAX_CONNECTION_AGE_S", "-1"}});
  EXPECT_NE(message.find("ingress.max_connection_age_s"), std::string::npos) << message;
}

}  // namespace
}  // namespace tr::app

namespace tr::app {
namespace {

TEST_F(config_files, refuses_an_admin_token_shorter_than_32_characters) {
  auto message = error_of(write("short.ini", "[admin]\ntoken = x\n"));
  EXPECT_NE(message.find("admin.token"), std::string::npos) << message;
  EXPECT_NE(message.find("shorter than 32"), std::string::npos) << message;
  EXPECT_EQ(message.find("= x"), std::string::npos) << "the token is not echoed: " << message;
  auto c = load_config(write("long.ini", "[admin]\ntoken = " + std::string(32, 'k') + "\n"), {});
  EXPECT_EQ(c.admin.token.size(), 32u);
}

TEST_F(config_files, the_default_destination_policy_refuses_link_local_metadata_and_multicast) {
  auto c = load_config(std::nullopt, {});
  for (const char* block : {"169.254.0.0/16", "fe80::/10", "0.0.0.0/8", "224.0.0.0/4", "ff00::/8"})
    EXPECT_NE(c.as.deny_networks.find(block), std::string::npos) << block;
  EXPECT_FALSE(c.admin.metrics_token_required);
}

}  // namespace
}  // namespace tr::app
