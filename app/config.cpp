// Configuration loading: the one place Boost.PropertyTree appears.

#include "app/config.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <set>
#include <vector>

#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include "transport/destination_policy.hpp"
#include "app/config_defaults.hpp"

extern char** environ;

namespace tr::app {

namespace {

namespace pt = boost::property_tree;

constexpr std::string_view env_prefix = "TUNNEL_ROUTER_";

std::string lower(std::string_view text) {
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string upper(std::string_view text) {
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

[[noreturn]] void bad_value(std::string_view where, std::string_view value, std::string_view why) {
  throw config_error(std::string{where} + ": '" + std::string{value} + "' " + std::string{why});
}

// ---- value parsers: `where` names the key (and the variable, for the environment) ----

std::uint64_t parse_number(std::string_view where, std::string_view text, std::uint64_t min,
                           std::uint64_t max) {
  std::uint64_t value = 0;
  auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || failure != std::errc{} || end != text.data() + text.size() || value < min ||
      value > max)
    bad_value(where, text,
              "is not a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  return value;
}

bool parse_bool(std::string_view where, std::string_view text) {
  auto value = lower(text);
  if (value == "true" || value == "1" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "0" || value == "no" || value == "off") return false;
  bad_value(where, text, "is not a boolean (true or false)");
}

endpoint parse_endpoint(std::string_view where, std::string_view text) {
  endpoint out;
  std::string_view port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      bad_value(where, text, "is not [IPv6]:port");
    out.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      bad_value(where, text, "is not host:port (IPv6 as [::1]:port)");
    out.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (out.host.empty()) bad_value(where, text, "has no host");
  for (char c : out.host)
    if (c <= ' ' || c == '/' || c == '[' || c == ']') bad_value(where, text, "has a bad host");
  std::uint16_t value = 0;
  auto [end, failure] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || failure != std::errc{} || end != port.data() + port.size())
    bad_value(where, text, "has no port from 0 to 65535");
  out.port = value;
  return out;
}

std::string parse_http_url(std::string_view where, std::string_view text) {
  auto value = lower(text);
  bool ok = text.empty() || ((value.starts_with("http://") || value.starts_with("https://")) &&
                             text.find_first_of(" \t\r\n") == std::string_view::npos &&
                             text.size() > value.find("//") + 2);
  if (!ok) bad_value(where, text, "is not an http:// or https:// URL");
  return std::string{text};
}

std::string parse_existing_file(std::string_view where, std::string_view text) {
  if (!text.empty() && !std::filesystem::is_regular_file(std::filesystem::path{text}))
    bad_value(where, text, "is not a readable file");
  return std::string{text};
}

std::string parse_token(std::string_view where, std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      bad_value(where, "(hidden)", "contains blanks or control characters");
  if (!text.empty() && text.size() < defaults::admin_token_min_length)
    bad_value(where, "(hidden)",
              "is shorter than " + std::to_string(defaults::admin_token_min_length) +
                  " characters (tunnel-router keygen makes a good one)");
  return std::string{text};
}

std::string parse_networks(std::string_view where, std::string_view text) {
  std::string problem;
  if (!transport::parse_network_list(text, problem)) bad_value(where, text, problem);
  return std::string{text};
}

// ---- the keys ----

/// One configuration key and how its text lands in the struct.
struct key_spec {
  std::string_view section;
  std::string_view key;
  std::function<void(config&, std::string_view where, std::string_view text)> apply;
};

template <class Field>
auto number_into(Field field, std::uint64_t min, std::uint64_t max) {
  return [field, min, max](config& c, std::string_view where, std::string_view text) {
    auto& target = std::invoke(field, c);
    target =
        static_cast<std::remove_reference_t<decltype(target)>>(parse_number(where, text, min, max));
  };
}

constexpr std::uint64_t one_hour_ms = 3'600'000;
constexpr std::uint64_t one_gib = 1024ull * 1024 * 1024;

const std::vector<key_spec>& key_specs() {
  static const std::vector<key_spec> specs = {
      {"store", "path",
       [](config& c, std::string_view where, std::string_view text) {
         if (text.empty()) bad_value(where, text, "is empty");
         c.store.path = text;
       }},
      {"store", "url",
       [](config& c, std::string_view where, std::string_view text) {
         if (!text.empty() && !text.starts_with("postgresql://") && !text.starts_with("postgres://"))
           bad_value(where, "(hidden)", "is not a postgresql:// URI");
         c.store.url = text;
       }},
      {"ingress", "listen",
       [](config& c, auto where, auto text) { c.ingress.listen = parse_endpoint(where, text); }},
      {"ingress", "max_body_bytes",
       number_into(
           [](config & c) -> auto& { return c.ingress.max_body_bytes; }, 1024, one_gib)},
      {"ingress", "max_connection_age_s",
       number_into(
           [](config & c) -> auto& { return c.ingress.max_connection_age_s; }, 0, 86'400)},
      {"ingress", "max_connections",
       number_into(
           [](config & c) -> auto& { return c.ingress.max_connections; }, 1, 1'000'000)},
      {"public", "listen",
       [](config& c, auto where, auto text) {
         c.public_listener.listen = parse_endpoint(where, text);
       }},
      {"public", "tls_cert",
       [](config& c, auto where, auto text) {
         c.public_listener.tls_cert = parse_existing_file(where, text);
       }},
      {"public", "tls_key",
       [](config& c, auto where, auto text) {
         c.public_listener.tls_key = parse_existing_file(where, text);
       }},
      {"public", "max_connections",
       number_into(
           [](config & c) -> auto& { return c.public_listener.max_connections; }, 1, 1'000'000)},
      {"admin", "listen",
       [](config& c, auto where, auto text) { c.admin.listen = parse_endpoint(where, text); }},
      {"admin", "token",
       [](config& c, auto where, auto text) { c.admin.token = parse_token(where, text); }},
      {"admin", "max_body_bytes",
       number_into(
           [](config & c) -> auto& { return c.admin.max_body_bytes; }, 1024, one_gib)},
      {"admin", "max_connections",
       number_into(
           [](config & c) -> auto& { return c.admin.max_connections; }, 1, 1'000'000)},
      {"admin", "max_connections_per_address",
       number_into(
           [](config & c) -> auto& { return c.admin.max_connections_per_address; }, 1, 1'000'000)},
      {"admin", "metrics_token_required",
       [](config& c, auto where, auto text) {
         c.admin.metrics_token_required = parse_bool(where, text);
       }},
      {"ns", "downlink_url",
       [](config& c, auto where, auto text) { c.ns.downlink_url = parse_http_url(where, text); }},
      {"ns", "http1_pipeline",
       number_into(
           [](config & c) -> auto& { return c.ns.http1_pipeline; }, 1, 64)},
      {"as", "ca_file",
       [](config& c, auto where, auto text) { c.as.ca_file = parse_existing_file(where, text); }},
      {"as", "allow_http",
       [](config& c, auto where, auto text) { c.as.allow_http = parse_bool(where, text); }},
      {"as", "request_timeout_ms",
       number_into(
           [](config & c) -> auto& { return c.as.request_timeout_ms; }, 1, 600'000)},
      {"as", "deny_networks",
       [](config& c, auto where, auto text) { c.as.deny_networks = parse_networks(where, text); }},
      {"as", "handshake_timeout_ms",
       number_into(
           [](config & c) -> auto& { return c.as.handshake_timeout_ms; }, 1, 600'000)},
      {"as", "idle_timeout_ms",
       number_into(
           [](config & c) -> auto& { return c.as.idle_timeout_ms; }, 0, one_hour_ms)},
      {"as", "http1_connections",
       number_into(
           [](config & c) -> auto& { return c.as.http1_connections; }, 1, 256)},
      {"runtime", "shards",
       number_into(
           [](config & c) -> auto& { return c.runtime.shards; }, 0, 1024)},
      {"runtime", "drain_timeout_ms",
       number_into(
           [](config & c) -> auto& { return c.runtime.drain_timeout_ms; }, 0, one_hour_ms)},
      {"runtime", "shutdown_delay_ms",
       number_into(
           [](config & c) -> auto& { return c.runtime.shutdown_delay_ms; }, 0, 60'000)},
      {"runtime", "header_timeout_ms",
       number_into(
           [](config & c) -> auto& { return c.runtime.header_timeout_ms; }, 1, one_hour_ms)},
      {"runtime", "idle_timeout_ms",
       number_into(
           [](config & c) -> auto& { return c.runtime.idle_timeout_ms; }, 1, one_hour_ms)},
      {"fuse", "failure_threshold",
       number_into(
           [](config & c) -> auto& { return c.fuse.failure_threshold; }, 1, 1000)},
      {"fuse", "backoff_initial_ms",
       number_into(
           [](config & c) -> auto& { return c.fuse.backoff_initial_ms; }, 1, one_hour_ms)},
      {"fuse", "backoff_max_ms",
       number_into(
           [](config & c) -> auto& { return c.fuse.backoff_max_ms; }, 1, one_hour_ms)},
      {"fuse", "min_concurrency",
       number_into(
           [](config & c) -> auto& { return c.fuse.min_concurrency; }, 1, 100'000)},
      {"fuse", "max_concurrency",
       number_into(
           [](config & c) -> auto& { return c.fuse.max_concurrency; }, 1, 100'000)},
      {"fuse", "latency_target_ms",
       number_into(
           [](config & c) -> auto& { return c.fuse.latency_target_ms; }, 1, 600'000)},
      {"downlink", "rate_per_s",
       number_into(
           [](config & c) -> auto& { return c.downlink.rate_per_s; }, 1, 1'000'000)},
      {"downlink", "burst",
       number_into(
           [](config & c) -> auto& { return c.downlink.burst; }, 1, 1'000'000)},
      {"log", "format",
       [](config& c, auto where, auto text) {
         auto form = logging::parse_format(text);
         if (!form) bad_value(where, text, "is not text or json");
         c.log.format = *form;
       }},
      {"log", "level",
       [](config& c, auto where, auto text) {
         auto lowest = logging::parse_level(text);
         if (!lowest) bad_value(where, text, "is not debug, info, warning or error");
         c.log.level = *lowest;
       }},
  };
  return specs;
}

const key_spec* find_key(std::string_view section, std::string_view key) {
  for (const auto& spec : key_specs())
    if (spec.section == section && spec.key == key) return &spec;
  return nullptr;
}

// ---- the file ----

pt::ptree read_tree(const std::filesystem::path& file) {
  auto extension = lower(file.extension().string());
  if (!std::filesystem::exists(file))
    throw config_error("configuration file " + file.string() + " does not exist");
  pt::ptree tree;
  try {
    if (extension == ".ini") {
      pt::read_ini(file.string(), tree);
    } else if (extension == ".json") {
      pt::read_json(file.string(), tree);
    } else if (extension == ".xml") {
      pt::ptree document;
      pt::read_xml(file.string(), document,
                   pt::xml_parser::no_comments | pt::xml_parser::trim_whitespace);
      if (document.size() != 1) throw config_error(file.string() + ": expected one root element");
      tree = document.front().second;
    } else {
      throw config_error("configuration file " + file.string() +
                         ": unknown format (use .ini, .json or .xml)");
    }
  } catch (const pt::file_parser_error& e) {
    throw config_error("configuration file " + e.message() + " (" + e.filename() + " line " +
                       std::to_string(e.line()) + ")");
  }
  return tree;
}

/// Boost reads INI comments only at the start of a line: `key = value ; note` keeps `; note` in
/// the value. A ';' or '#' after a blank is taken for such a comment, and so is one opening the
/// value when a blank or the end follows (`key = ; note`); `#k3y` stays a value.
bool has_inline_comment(std::string_view value) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != ';' && value[i] != '#') continue;
    if (i > 0 ? blank(value[i - 1]) : (value.size() == 1 || blank(value[1]))) return true;
  }
  return false;
}

void apply_file(config& out, const std::filesystem::path& file) {
  auto tree = read_tree(file);
  bool is_ini = lower(file.extension().string()) == ".ini";
  std::set<std::string> seen, sections;
  for (const auto& [section, keys] : tree) {
    if (section == "<xmlattr>")
      throw config_error(file.string() + ": attributes are not supported");
    if (keys.empty() && !keys.data().empty())
      throw config_error(file.string() + ": '" + section + "' is a value outside any section");
    bool known_section = std::any_of(key_specs().begin(), key_specs().end(),
                                     [&name = section](const key_spec& s) { return s.section == name; });
    if (!known_section) throw config_error(file.string() + ": unknown section '" + section + "'");
    // INI refuses a section given twice by itself; JSON and XML would merge them unseen.
    if (!sections.insert(section).second)
      throw config_error(file.string() + ": section '" + section + "' given more than once");
    for (const auto& [key, value] : keys) {
      auto name = section + "." + key;
      const auto* spec = find_key(section, key);
      if (!spec) throw config_error(file.string() + ": unknown key '" + name + "'");
      if (!value.empty()) throw config_error(name + ": must be a single value, not a section");
      if (!seen.insert(name).second) throw config_error(name + ": given more than once");
      if (is_ini && has_inline_comment(value.data()))
        throw config_error(name +
                           ": the value ends in a comment; in INI files comments must be on "
                           "their own line (starting with ';' or '#')");
      spec->apply(out, name, value.data());
    }
  }
}

// ---- the environment and the checks across keys ----

/// True for what Kubernetes sets in a pod for each Service of its namespace (service links,
/// unless the pod says `enableServiceLinks: false`): `<SVC>_SERVICE_HOST`, `<SVC>_SERVICE_PORT`,
/// `<SVC>_SERVICE_PORT_<NAME>`, `<SVC>_PORT=tcp://...` and `<SVC>_PORT_<n>_<PROTO>[_PROTO|_PORT|
/// _ADDR]`. A Service named `tunnel-router-admin` gives `TUNNEL_ROUTER_ADMIN_PORT`.
bool is_service_link(std::string_view name, std::string_view value) {
  auto digits_then = [](std::string_view text, std::size_t& at) {
    auto start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    return at > start;
  };
  if (name.ends_with("_SERVICE_HOST") || name.ends_with("_SERVICE_PORT") ||
      name.find("_SERVICE_PORT_") != std::string_view::npos)
    return true;
  if (name.ends_with("_PORT") &&
      (value.starts_with("tcp://") || value.starts_with("udp://") || value.starts_with("sctp://")))
    return true;
  // _PORT_<n>_<PROTO> with an optional _PROTO, _PORT or _ADDR.
  for (auto at = name.find("_PORT_"); at != std::string_view::npos;
       at = name.find("_PORT_", at + 1)) {
    std::size_t i = at + 6;
    if (!digits_then(name, i)) continue;
    auto rest = name.substr(i);
    for (std::string_view proto : {"_TCP", "_UDP", "_SCTP"}) {
      if (!rest.starts_with(proto)) continue;
      auto tail = rest.substr(proto.size());
      if (tail.empty() || tail == "_PROTO" || tail == "_PORT" || tail == "_ADDR") return true;
    }
  }
  return false;
}

void apply_environment(config& out, const environment& env) {
  for (const auto& [name, value] : env) {
    if (!name.starts_with(env_prefix)) continue;
    if (std::find(std::begin(reserved_environment_variables),
                  std::end(reserved_environment_variables),
                  name) != std::end(reserved_environment_variables))
      continue;
    const key_spec* match = nullptr;
    for (const auto& spec : key_specs())
      if (environment_variable_of(spec.section, spec.key) == name) match = &spec;
    if (!match && is_service_link(name, value)) continue;  // Kubernetes' doing, not the user's
    if (!match)
      throw config_error(name +
                         ": no such configuration key (variables are TUNNEL_ROUTER_"
                         "<SECTION>_<KEY>, such as TUNNEL_ROUTER_STORE_PATH)");
    auto where = name + " (" + std::string{match->section} + "." + std::string{match->key} + ")";
    match->apply(out, where, value);
  }
}

void check_across_keys(const config& c) {
  if (c.public_listener.tls_cert.empty() != c.public_listener.tls_key.empty())
    throw config_error("public.tls_cert and public.tls_key: give both or neither");
  if (c.fuse.min_concurrency > c.fuse.max_concurrency)
    throw config_error("fuse.min_concurrency (" + std::to_string(c.fuse.min_concurrency) +
                       ") is above fuse.max_concurrency (" +
                       std::to_string(c.fuse.max_concurrency) + ")");
  if (c.fuse.backoff_initial_ms > c.fuse.backoff_max_ms)
    throw config_error("fuse.backoff_initial_ms (" + std::to_string(c.fuse.backoff_initial_ms) +
                       ") is above fuse.backoff_max_ms (" + std::to_string(c.fuse.backoff_max_ms) +
                       ")");
  const std::pair<const char*, const endpoint*> listeners[] = {
      {"ingress.listen", &c.ingress.listen},
      {"public.listen", &c.public_listener.listen},
      {"admin.listen", &c.admin.listen}};
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = i + 1; j < 3; ++j)
      if (listeners[i].second->port != 0 && *listeners[i].second == *listeners[j].second)
        throw config_error(std::string{listeners[i].first} + " and " + listeners[j].first +
                           " are the same address " + to_string(*listeners[i].second));
}

}  // namespace

std::string to_string(const endpoint& address) {
  auto host = address.host.find(':') != std::string::npos ? "[" + address.host + "]" : address.host;
  return host + ":" + std::to_string(address.port);
}

std::string environment_variable_of(std::string_view section, std::string_view key) {
  return std::string{env_prefix} + upper(section) + "_" + upper(key);
}

config default_config() {
  config c;
  c.store.path = defaults::store_path;
  c.store.url = defaults::store_url;
  c.ingress.listen = parse_endpoint("ingress.listen", defaults::ingress_listen);
  c.ingress.max_body_bytes = defaults::ingress_max_body_bytes;
  c.ingress.max_connection_age_s = defaults::ingress_max_connection_age_s;
  c.ingress.max_connections = defaults::ingress_max_connections;
  c.public_listener.listen = parse_endpoint("public.listen", defaults::public_listen);
  c.public_listener.tls_cert = defaults::public_tls_cert;
  c.public_listener.tls_key = defaults::public_tls_key;
  c.public_listener.max_connections = defaults::public_max_connections;
  c.admin.listen = parse_endpoint("admin.listen", defaults::admin_listen);
  c.admin.token = defaults::admin_token;
  c.admin.max_body_bytes = defaults::admin_max_body_bytes;
  c.admin.max_connections = defaults::admin_max_connections;
  c.admin.max_connections_per_address = defaults::admin_max_connections_per_address;
  c.admin.metrics_token_required = defaults::admin_metrics_token_required;
  c.ns.downlink_url = defaults::ns_downlink_url;
  c.ns.http1_pipeline = defaults::ns_http1_pipeline;
  c.as.ca_file = defaults::as_ca_file;
  c.as.allow_http = defaults::as_allow_http;
  c.as.request_timeout_ms = defaults::as_request_timeout_ms;
  c.as.deny_networks = defaults::as_deny_networks;
  c.as.handshake_timeout_ms = defaults::as_handshake_timeout_ms;
  c.as.idle_timeout_ms = defaults::as_idle_timeout_ms;
  c.as.http1_connections = defaults::as_http1_connections;
  c.runtime.shards = defaults::runtime_shards;
  c.runtime.drain_timeout_ms = defaults::runtime_drain_timeout_ms;
  c.runtime.shutdown_delay_ms = defaults::runtime_shutdown_delay_ms;
  c.runtime.header_timeout_ms = defaults::runtime_header_timeout_ms;
  c.runtime.idle_timeout_ms = defaults::runtime_idle_timeout_ms;
  c.fuse = {defaults::fuse_failure_threshold, defaults::fuse_backoff_initial_ms,
            defaults::fuse_backoff_max_ms,    defaults::fuse_min_concurrency,
            defaults::fuse_max_concurrency,   defaults::fuse_latency_target_ms};
  c.downlink = {defaults::downlink_rate_per_s, defaults::downlink_burst};
  c.log = {*logging::parse_format(defaults::log_format), *logging::parse_level(defaults::log_level)};
  return c;
}

environment process_environment() {
  environment out;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text{*entry};
    auto equals = text.find('=');
    if (equals != std::string_view::npos)
      out.emplace(std::string{text.substr(0, equals)}, std::string{text.substr(equals + 1)});
  }
  return out;
}

config load_config(const std::optional<std::filesystem::path>& file, const environment& env) {
  auto out = default_config();
  if (file) apply_file(out, *file);
  apply_environment(out, env);
  check_across_keys(out);
  return out;
}

config load_config(const std::optional<std::filesystem::path>& file) {
  return load_config(file, process_environment());
}

std::shared_ptr<const config> make_snapshot(config value) {
  return std::make_shared<const config>(std::move(value));
}

std::shared_ptr<const config> load_config_snapshot(const std::optional<std::filesystem::path>& file,
                                                   const environment& env) {
  return make_snapshot(load_config(file, env));
}

}  // namespace tr::app
