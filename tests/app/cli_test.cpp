// Runs the real tunnel-router binary (TR_BINARY) and checks what it prints and returns.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

extern char** environ;

namespace {

constexpr std::string_view v1_key = "f3203a20a2e8dfaf6686b621f56d05e3";
constexpr std::string_view v1_token =
    "196c22898bf95fcf48b72be198c89256410660b9b514539651344baa594ad74f";
constexpr std::string_view v1_query =
    "LrnDevEui=20635F0108000496&LrnFPort=17&LrnInfos=TWA_100002167.1111.AS-1-111974"
    "&AS_ID=TWA_100002167.1111.AS&Time=2021-04-07T08:49:51.551+00:00";
constexpr std::string_view v3_wire_query =
    "DevEUI=000000000F1D8693&FPort=1&Payload=00&AS_ID=app1.sample.com"
    "&Time=2016-01-11T14%3A28%3A00.333%2B02%3A00";
constexpr std::string_view v3_hashed =
    "DevEUI=000000000F1D8693&FPort=1&Payload=00&AS_ID=app1.sample.com"
    "&Time=2016-01-11T14:28:00.333+02:00";

constexpr std::string_view v1_json = R"({"DevEUI_uplink": {
  "Time": "2021-04-07T08:49:50.413+00:00", "DevEUI": "20635F0108000496", "FPort": 17,
  "FCntUp": 18, "payload_hex": "032ce4850919d85d4c9f793ad148d24f32f3c6b5488f5a087cbeb1488f5a998c83ab",
  "LrrRSSI": -67.000000, "Lrrs": {"Lrr": [{"Lrrid": "FF0109A4", "LrrSNR": 9.25}]},
  "CustomerID": "100002167", "CustomerData": {"alr": {"pro": "ADRF/DEMO", "ver": "1"}}}})";

constexpr std::string_view v1_json_untyped = R"({"DevEUI_uplink": {
  "Time": "2021-04-07T08:49:50.413+00:00", "DevEUI": "20635F0108000496", "FPort": "17",
  "FCntUp": "18", "payload_hex": "032ce4850919d85d4c9f793ad148d24f32f3c6b5488f5a087cbeb1488f5a998c83ab",
  "LrrRSSI": "-67.000000", "Lrrs": {"Lrr": [{"Lrrid": "FF0109A4", "LrrSNR": "9.25"}]},
  "CustomerID": "100002167", "CustomerData": {"alr": {"pro": "ADRF/DEMO", "ver": "1"}}}})";

constexpr std::string_view v1_xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<DevEUI_uplink xmlns="http://uri.actility.com/lora">
  <Time>2021-04-07T08:49:50.413+00:00</Time>
  <DevEUI>20635F0108000496</DevEUI>
  <FPort>17</FPort>
  <FCntUp>18</FCntUp>
  <payload_hex>032ce4850919d85d4c9f793ad148d24f32f3c6b5488f5a087cbeb1488f5a998c83ab</payload_hex>
  <LrrRSSI>-67.000000</LrrRSSI>
  <Lrrs><Lrr><Lrrid>FF0109A4</Lrrid><LrrSNR>9.25</LrrSNR></Lrr></Lrrs>
  <CustomerID>100002167</CustomerID>
  <CustomerData>{"alr":{"pro":"ADRF/DEMO","ver":"1"}}</CustomerData>
</DevEUI_uplink>
)";

struct outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned char b : digest) {
    hex.push_back("0123456789abcdef"[b >> 4]);
    hex.push_back("0123456789abcdef"[b & 15]);
  }
  return hex;
}

class cli : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tr_cli_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }

  void TearDown() override {
    for (const std::string& file : files_) std::remove(file.c_str());
    rmdir(dir_.c_str());
  }

  std::string write(const std::string& name, std::string_view contents) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    files_.push_back(path);
    return path;
  }

  /// Runs the router with `args`, capturing stdout and stderr.
  outcome run(std::vector<std::string> args) {
    std::string out_path = dir_ + "/stdout";
    std::string err_path = dir_ + "/stderr";
    files_.push_back(out_path);
    files_.push_back(err_path);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    args.insert(args.begin(), TR_BINARY);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    outcome result;
    int spawned = posix_spawn(&pid, TR_BINARY, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(spawned, 0);
    if (spawned != 0) return result;
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_all(out_path);
    result.err = read_all(err_path);
    return result;
  }

  outcome token_uplink(std::string_view body, std::string_view key, std::string_view query) {
    return run({"token", "uplink", "--key", std::string(key), "--body", write("body", body),
                "--query", std::string(query)});
  }

  /// Checks a refusal: exit 2, nothing on stdout, one line on stderr mentioning `needle`.
  static void expect_refused(const outcome& o, std::string_view needle) {
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_TRUE(o.out.empty()) << o.out;
    ASSERT_FALSE(o.err.empty());
    EXPECT_EQ(o.err.find('\n'), o.err.size() - 1) << o.err;
    EXPECT_NE(o.err.find(needle), std::string::npos) << o.err;
  }

  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(cli, prints_its_version) {
  outcome o = run({"version"});
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.out.rfind("tunnel-router ", 0), 0u);
}

TEST_F(cli, prints_the_v1_token_for_a_json_body) {
  outcome o = token_uplink(v1_json, v1_key, v1_query);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, std::string(v1_token) + "\n");
}

TEST_F(cli, prints_the_v1_token_for_a_json_untyped_body) {
  outcome o = token_uplink(v1_json_untyped, v1_key, v1_query);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, std::string(v1_token) + "\n");
}

TEST_F(cli, prints_the_v1_token_for_an_xml_body) {
  outcome o = token_uplink(v1_xml, v1_key, v1_query);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, std::string(v1_token) + "\n");
}

TEST_F(cli, ignores_a_token_in_a_shuffled_percent_encoded_uplink_query_and_checks_one_given) {
  std::string shuffled =
      "Time=2021-04-07T08%3A49%3A51.551%2B00%3A00&Token=0000&AS_ID=TWA_100002167"
      ".1111.AS&LrnInfos=TWA_100002167.1111.AS-1-111974&LrnFPort=17&LrnDevEui=20635F0108000496";
  outcome printed = token_uplink(v1_json, v1_key, shuffled);
  EXPECT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_EQ(printed.out, std::string(v1_token) + "\n");
  auto check = [&](const std::string& token) {
    return run({"token", "uplink", "--key", std::string(v1_key), "--body", write("body", v1_json),
                "--query", shuffled, "--check", token});
  };
  outcome right = check(std::string(v1_token));
  EXPECT_EQ(right.exit_code, 0) << right.err;
  EXPECT_EQ(right.out, "match\n");
  std::string upper(v1_token);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(check(upper).out, "match\n");
  outcome wrong = check("0000");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;
  EXPECT_EQ(wrong.out, "mismatch: expected " + std::string(v1_token) + "\n");
}

TEST_F(cli, gives_the_same_token_for_a_key_in_upper_case) {
  outcome o = token_uplink(v1_json, "F3203A20A2E8DFAF6686B621F56D05E3", v1_query);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, std::string(v1_token) + "\n");
}

TEST_F(cli, signs_a_downlink_query_in_received_order_with_the_lower_cased_key) {
  outcome o = run({"token", "downlink", "--key", "46ab678cd45df4a4e4b375Eacd096acc", "--query",
                   std::string(v3_wire_query)});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, sha256_hex(std::string(v3_hashed) + "46ab678cd45df4a4e4b375eacd096acc") + "\n");
}

TEST_F(cli, leaves_a_trailing_downlink_token_out_of_the_hash_and_checks_one_given) {
  outcome plain = run(
      {"token", "downlink", "--key", std::string(v1_key), "--query", std::string(v3_wire_query)});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  std::string expected = plain.out.substr(0, 64);
  outcome with_token =
      run({"token", "downlink", "--key=" + std::string(v1_key),
           "--query=" + std::string(v3_wire_query) + "&Token=" + std::string(64, 'a')});
  EXPECT_EQ(with_token.exit_code, 0) << with_token.err;
  EXPECT_EQ(with_token.out, expected + "\n");
  outcome right = run({"token", "downlink", "--key=" + std::string(v1_key),
                       "--query=" + std::string(v3_wire_query), "--check", expected});
  EXPECT_EQ(right.exit_code, 0) << right.err;
  EXPECT_EQ(right.out, "match\n");
  outcome wrong = run({"token", "downlink", "--key=" + std::string(v1_key),
                       "--query=" + std::string(v3_wire_query), "--check=" + std::string(64, 'a')});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;
  EXPECT_EQ(wrong.out, "mismatch: expected " + expected + "\n");
}

TEST_F(cli, checks_downlink_parameters_as_the_router_does) {
  auto downlink = [&](std::string query) {
    return run({"token", "downlink", "--key", std::string(v1_key), "--query", query});
  };
  expect_refused(downlink("foo"), "DevEUI must be 16 hex digits");
  expect_refused(downlink("DevEUI=000000000F1D8693&FPort=0&Payload=00&AS_ID=a&Time=x"),
                 "FPort must be 1..224");
  expect_refused(downlink("DevEUI=000000000F1D8693&FPort=1&AS_ID=a&Time=x"), "missing Payload");
  expect_refused(
      downlink("DevEUI=000000000F1D8693&FPort=1&Payload=00&Time=2016-01-11T14:28:00.333+02:00"),
      "missing AS_ID");
  expect_refused(downlink("DevEUI=000000000F1D8693&FPort=1&Payload=00&AS_ID=a"), "missing Time");
  expect_refused(downlink(std::string(v3_wire_query) + "&Token=abcd"),
                 "Token must be 64 hex digits");
  expect_refused(downlink("Token=" + std::string(64, 'a') + "&" + std::string(v3_wire_query)),
                 "Token must be the last parameter");
}

TEST_F(cli, explains_every_command_with_help_or_dash_dash_help) {
  for (std::vector<std::string> words : {std::vector<std::string>{"help", "serve"},
                                         {"serve", "--help"},
                                         {"help", "token", "uplink"},
                                         {"token", "uplink", "--help"},
                                         {"token", "downlink", "-h"},
                                         {"keygen", "--help"},
                                         {"version", "--help"},
                                         {"demo", "--help"},
                                         {"help", "help"},
                                         {"token", "--help"},
                                         {"help", "--help"},
                                         {"store", "copy", "--help"}}) {
    outcome o = run(words);
    EXPECT_EQ(o.exit_code, 0) << words[0] << " " << words[1] << ": " << o.err;
    EXPECT_EQ(o.out.rfind("usage: tunnel-router ", 0), 0u) << o.out;
    EXPECT_NE(o.out.find("example"), std::string::npos) << o.out;
  }
  outcome serve = run({"serve", "--help"});
  EXPECT_NE(serve.out.find("--config FILE  the configuration"), std::string::npos) << serve.out;
  outcome downlink = run({"help", "token", "downlink"});
  EXPECT_NE(downlink.out.find("--query QUERY"), std::string::npos) << downlink.out;
  EXPECT_NE(downlink.out.find("mismatch"), std::string::npos) << downlink.out;
}

TEST_F(cli, lists_the_commands_with_help_alone) {
  for (std::string word : {"help", "--help"}) {
    outcome o = run({word});
    EXPECT_EQ(o.exit_code, 0);
    for (std::string command : {"serve", "token", "keygen", "version", "demo"})
      EXPECT_NE(o.out.find("  " + command + " "), std::string::npos) << command << "\n" << o.out;
  }
  expect_refused(run({"help", "frobnicate"}), "unknown command 'frobnicate'");
}

TEST_F(cli, runs_the_token_example_of_its_help_as_written) {
  outcome help = run({"help", "token", "uplink"});
  auto at = help.out.find("--query '");
  ASSERT_NE(at, std::string::npos) << help.out;
  auto query = help.out.substr(at + 9, help.out.find('\'', at + 9) - at - 9);
  outcome o = run({"token", "uplink", "--key", std::string(v1_key), "--body",
                   std::string(TR_SOURCE_DIR) + "/examples/uplink.json", "--query", query});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, std::string(v1_token) + "\n");
}

TEST_F(cli, generates_a_key_of_32_lower_case_hex_digits) {
  outcome first = run({"keygen"});
  outcome second = run({"keygen"});
  EXPECT_EQ(first.exit_code, 0);
  ASSERT_EQ(first.out.size(), 33u);
  EXPECT_EQ(first.out.find_first_not_of("0123456789abcdef"), 32u);
  EXPECT_NE(first.out, second.out);
}

TEST_F(cli, refuses_a_key_that_is_not_32_hex_digits) {
  expect_refused(token_uplink(v1_json, "f3203a20a2e8dfaf6686b621f56d05e", v1_query), "--key");
  expect_refused(token_uplink(v1_json, "g3203a20a2e8dfaf6686b621f56d05e3", v1_query), "--key");
}

TEST_F(cli, refuses_a_malformed_body_naming_the_problem) {
  expect_refused(token_uplink(R"({"DevEUI_uplink": {"DevEUI": 12}})", v1_key, v1_query), "DevEUI");
  expect_refused(token_uplink(R"({"DevEUI_uplink": {"DevEUI": "20635F01)", v1_key, v1_query),
                 "malformed JSON");
  expect_refused(token_uplink("<DevEUI_uplink><DevEUI>1</FPort></DevEUI_uplink>", v1_key, v1_query),
                 "malformed XML");
}

TEST_F(cli, refuses_a_body_file_it_cannot_read) {
  expect_refused(run({"token", "uplink", "--key", std::string(v1_key), "--body", dir_ + "/missing",
                      "--query", std::string(v1_query)}),
                 "cannot read");
}

TEST_F(cli, refuses_a_query_with_a_bad_escape_or_a_missing_parameter) {
  expect_refused(
      token_uplink(v1_json, v1_key, "LrnDevEui=%G1&LrnFPort=17&LrnInfos=x&AS_ID=y&Time=z"),
      "--query");
  expect_refused(token_uplink(v1_json, v1_key, "LrnDevEui=1&LrnFPort=17&LrnInfos=x&AS_ID=y"),
                 "Time");
  expect_refused(run({"token", "downlink", "--key", std::string(v1_key), "--query", "DevEUI=%4"}),
                 "--query");
}

TEST_F(cli, refuses_missing_or_unknown_options) {
  expect_refused(run({"token", "uplink", "--key", std::string(v1_key), "--query", "x"}), "--body");
  expect_refused(run({"token", "downlink", "--key", std::string(v1_key), "--verbose", "x"}),
                 "--verbose");
  expect_refused(run({"token", "downlink", "--key"}), "needs a value");
  expect_refused(run({"token", "sideways"}), "sideways");
  expect_refused(run({"frobnicate"}), "unknown command");
}

TEST_F(cli, refuses_arguments_to_commands_that_take_none_naming_them) {
  expect_refused(run({"version", "extra"}), "unexpected argument 'extra'");
  expect_refused(run({"keygen", "extra"}), "unexpected argument 'extra'");
}

TEST_F(cli, names_an_unknown_command) {
  expect_refused(run({"frobnicate"}), "unknown command 'frobnicate'");
}

TEST_F(cli, quotes_an_unknown_token_kind) {
  expect_refused(run({"token", "sideways"}), "not 'sideways'\n");
}

TEST_F(cli, reports_a_stray_word_after_the_options_as_an_unexpected_argument) {
  expect_refused(
      run({"token", "downlink", "--key", std::string(v1_key), "--query", "a=b", "stray"}),
      "unexpected argument 'stray'");
  expect_refused(run({"serve", "stray"}), "unexpected argument 'stray'");
}

TEST_F(cli, refuses_an_option_with_an_empty_value) {
  expect_refused(run({"token", "downlink", "--key=", "--query=a=b"}), "--key needs a value");
}

TEST_F(cli, serve_refuses_a_config_option_without_a_value) {
  expect_refused(run({"serve", "--config"}), "--config needs a value");
}

TEST_F(cli, serve_names_the_tls_setting_whose_file_is_wrong) {
  tr::test::temp_dir keys;
  auto pki = tr::test::make_test_pki(keys.path());
  auto config = [&](const std::string& cert, const std::string& key) {
    return write("tls.ini", "[store]\npath = " + keys.path() +
                                "/router.db\n[ingress]\nlisten = 127.0.0.1:0\n[public]\nlisten = "
                                "127.0.0.1:0\ntls_cert = " +
                                cert + "\ntls_key = " + key + "\n[admin]\nlisten = 127.0.0.1:0\n");
  };
  auto not_a_key = run({"serve", "--config", config(pki.cert_file, pki.cert_file)});
  EXPECT_EQ(not_a_key.exit_code, 1);
  EXPECT_NE(not_a_key.err.find("public.tls_key: "), std::string::npos) << not_a_key.err;
  EXPECT_NE(not_a_key.err.find("cannot load the private key"), std::string::npos);
  auto not_a_cert = run({"serve", "--config", config(pki.key_file, pki.key_file)});
  EXPECT_EQ(not_a_cert.exit_code, 1);
  EXPECT_NE(not_a_cert.err.find("public.tls_cert: "), std::string::npos) << not_a_cert.err;
  EXPECT_NE(not_a_cert.err.find("cannot load the certificate chain"), std::string::npos);
}

TEST_F(cli, serve_reads_the_config_file_given_as_config_equals_file) {
  expect_refused(run({"serve", "--config=" + write("bad.ini", "[runtime]\nshards = four\n")}),
                 "runtime.shards: 'four'");
}

TEST_F(cli, demo_reads_its_options_like_the_other_commands) {
  outcome missing = run({"demo", "--seconds"});
  if (missing.err.find("no load harness") != std::string::npos)
    GTEST_SKIP() << "built without the load harness";
  expect_refused(missing, "--seconds needs a value");
  expect_refused(run({"demo", "--seconds=1"}), "--seconds: '1'");
  expect_refused(run({"demo", "--connections", "21"}), "--connections: '21'");
}

}  // namespace
