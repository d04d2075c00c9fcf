#include "app/token_command.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "actors/downlink_verifier.hpp"
#include "app/cli.hpp"
#include "codecs/query.hpp"
#include "codecs/report_parser.hpp"
#include "codecs/signing_key.hpp"
#include "codecs/token_signer.hpp"

namespace tr::app {

namespace {

constexpr int exit_ok = 0;
constexpr int exit_usage = 2;

int fail(std::string_view command, std::string_view what, std::string_view detail = {}) {
  std::string line = "tunnel-router: ";
  line.append(command).append(": ").append(what).append(detail).push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  return exit_usage;
}

bool read_file(std::string_view path, std::string& contents, std::string& problem) {
  std::string name(path);
  std::FILE* file = std::fopen(name.c_str(), "rb");
  if (file == nullptr) {
    problem = "cannot read " + name + ": " + std::strerror(errno);
    return false;
  }
  // Read at most one byte more than a report may hold: the parser names the excess.
  contents.resize(codecs::report_limits::max_document_bytes + 1);
  std::size_t n = std::fread(contents.data(), 1, contents.size(), file);
  bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) {
    problem = "cannot read " + name;
    return false;
  }
  contents.resize(n);
  return true;
}

constexpr int exit_mismatch = 1;

void print_token(const std::array<char, codecs::token_size>& token) {
  std::fwrite(token.data(), 1, token.size(), stdout);
  std::fputc('\n', stdout);
}

/// Without `--check`: prints the token, exit 0. With it: `match` (exit 0), or
/// `mismatch: expected <token>` (exit 1). A Token parameter in the query never counts: it is
/// what the AS sent, not part of what is signed.
int print_or_check(const std::array<char, codecs::token_size>& token,
                   std::optional<std::string_view> given) {
  if (!given) {
    print_token(token);
    return exit_ok;
  }
  std::string_view expected{token.data(), token.size()};
  if (codecs::tokens_equal(expected, *given)) {
    std::puts("match");
    return exit_ok;
  }
  std::printf("mismatch: expected %.*s\n", static_cast<int>(expected.size()), expected.data());
  return exit_mismatch;
}

int token_uplink(std::span<char* const> args) {
  constexpr std::string_view command = "token uplink";
  command_options options(args, {"--key", "--body", "--query", "--check"});
  if (!options.problem().empty()) return fail(command, options.problem());
  auto key_text = options.get("--key");
  auto body_file = options.get("--body");
  auto query_text = options.get("--query");
  if (!key_text) return fail(command, "missing --key");
  if (!body_file) return fail(command, "missing --body");
  if (!query_text) return fail(command, "missing --query");
  auto key = codecs::signing_key::parse(*key_text);
  if (!key) return fail(command, "--key: ", key.error().message());
  std::string body;
  std::string problem;
  if (!read_file(*body_file, body, problem)) return fail(command, "--body: ", problem);
  codecs::report_parser parser;
  codecs::report report;
  if (auto e = parser.parse(body, report); !e.ok()) return fail(command, "--body: ", e.message());
  codecs::uplink_query query;
  std::string storage;
  if (auto e = codecs::parse_uplink_query(*query_text, query, storage); !e.ok()) {
    return fail(command, "--query: ", e.message());
  }
  codecs::token_signer signer(*key);
  std::array<char, codecs::token_size> token;
  if (auto e = signer.sign_uplink(report.fields(), query, token); !e.ok()) {
    return fail(command, e.message());
  }
  return print_or_check(token, options.get("--check"));
}

int token_downlink(std::span<char* const> args) {
  constexpr std::string_view command = "token downlink";
  command_options options(args, {"--key", "--body", "--query", "--check"});
  if (!options.problem().empty()) return fail(command, options.problem());
  if (options.get("--body")) return fail(command, "--body does not apply to downlinks");
  auto key_text = options.get("--key");
  auto query_text = options.get("--query");
  if (!key_text) return fail(command, "missing --key");
  if (!query_text) return fail(command, "missing --query");
  auto key = codecs::signing_key::parse(*key_text);
  if (!key) return fail(command, "--key: ", key.error().message());
  // The router's own checks (actors::downlink_verifier step 1), a Token being optional here.
  actors::downlink_fields fields;
  auto problem = actors::downlink_verifier::parse_fields(*query_text, fields, false);
  if (!problem.empty()) return fail(command, "--query: ", problem);
  codecs::downlink_query_parts parts;
  if (auto e = codecs::split_downlink_query(*query_text, parts); !e.ok()) {
    return fail(command, "--query: ", e.message());
  }
  codecs::token_signer signer(*key);
  std::array<char, codecs::token_size> token;
  if (auto e = signer.sign_downlink(parts.signed_part, token); !e.ok()) {
    return fail(command, "--query: ", e.message());
  }
  return print_or_check(token, options.get("--check"));
}

}  // namespace

int run_token_command(std::span<char* const> args) {
  if (args.empty()) return fail("token", "expected 'uplink' or 'downlink'");
  std::string_view kind = args[0];
  if (kind == "uplink") return token_uplink(args.subspan(1));
  if (kind == "downlink") return token_downlink(args.subspan(1));
  return fail("token", "expected 'uplink' or 'downlink', not '", std::string(kind) + "'");
}

int run_keygen_command(std::span<char* const> args) {
  if (!args.empty()) return fail("keygen", "unexpected argument '", std::string(args[0]) + "'");
  auto key = codecs::signing_key::generate();
  if (!key) return fail("keygen", key.error().message());
  std::printf("%.*s\n", static_cast<int>(key->text().size()), key->text().data());
  return exit_ok;
}

}  // namespace tr::app
