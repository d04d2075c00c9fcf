#include "actors/connection_config.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>

#include "api/detail/uri.hpp"
#include "codecs/query.hpp"

namespace tr::actors {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

std::string base64(std::string_view text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

codecs::body_format format_of(store::content_type type) {
  switch (type) {
    case store::content_type::xml:
      return codecs::body_format::xml;
    case store::content_type::json_untyped:
      return codecs::body_format::json_untyped;
    case store::content_type::json:
      break;
  }
  return codecs::body_format::json;
}

}  // namespace

connection_config_result make_connection_config(const store::connection& source,
                                                const connection_defaults& defaults) {
  connection_config_result result;
  auto parsed = api::detail::parse_uri(source.url);
  if (!parsed.value) {
    result.error = "url: " + parsed.error;
    return result;
  }
  const auto& uri = *parsed.value;
  auto cfg = std::make_shared<connection_config>();
  if (uri.scheme == "https" || uri.scheme == "HTTPS") {
    cfg->tls = true;
    cfg->port = 443;
  } else if ((uri.scheme == "http" || uri.scheme == "HTTP") && defaults.allow_http) {
    cfg->tls = false;
    cfg->port = 80;
  } else {
    result.error = "url: scheme '" + std::string{uri.scheme} + "' is not allowed";
    return result;
  }
  if (!uri.has_authority || uri.host.empty()) {
    result.error = "url: no host";
    return result;
  }
  if (uri.port && !uri.port->empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(uri.port->data(), uri.port->data() + uri.port->size(), value);
    if (ec != std::errc{} || end != uri.port->data() + uri.port->size() || value == 0 ||
        value > 65535) {
      result.error = "url: bad port";
      return result;
    }
    cfg->port = static_cast<std::uint16_t>(value);
  }
  auto key = codecs::signing_key::parse(source.key);
  if (!key) {
    result.error = "key: " + std::string{key.error().message()};
    return result;
  }
  cfg->id = source.id;
  cfg->as_id = source.as_id;
  cfg->paused = source.paused;
  cfg->name = source.name;
  cfg->format = format_of(source.type);
  cfg->key = *key;
  cfg->host = std::string{uri.host};
  bool ipv6 =
      uri.kind == api::detail::host_kind::ipv6 || uri.kind == api::detail::host_kind::ipv_future;
  if (ipv6)
    cfg->authority.append("[").append(cfg->host).append("]");
  else
    cfg->authority = cfg->host;
  if (uri.port && !uri.port->empty()) cfg->authority.append(":").append(*uri.port);
  cfg->path_prefix = uri.path.empty() ? "/" : std::string{uri.path};
  if (uri.query) {
    cfg->path_prefix += "?";
    cfg->path_prefix += *uri.query;
    if (!uri.query->empty()) cfg->path_prefix += "&";
  } else {
    cfg->path_prefix += "?";
  }
  cfg->headers.push_back({"content-type", std::string{codecs::content_type(cfg->format)}});
  bool basic = uri.userinfo.has_value();
  if (basic) {
    std::string credentials;
    if (auto err = codecs::percent_decode(*uri.userinfo, credentials); !err.ok()) {
      result.error = "url: bad userinfo";
      return result;
    }
    // RFC 7617: user-id ":" password, the colon even when the password is empty.
    if (uri.userinfo->find(':') == std::string_view::npos) credentials += ':';
    cfg->headers.push_back({"authorization", "Basic " + base64(credentials)});
  }
  for (auto& h : source.headers) {
    if (basic && equals_ignoring_case(h.name, "authorization")) continue;
    std::string name = h.name;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    cfg->headers.push_back({std::move(name), h.value});
  }
  cfg->request_timeout = defaults.request_timeout;
  cfg->max_concurrency = defaults.max_concurrency;
  cfg->max_time_deviation_s = source.max_time_deviation_s;
  cfg->updated_at = source.updated_at;
  result.config = std::move(cfg);
  return result;
}

}  // namespace tr::actors
