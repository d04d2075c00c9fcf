#include "actors/downlink_verifier.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "actors/routing_table.hpp"
#include "codecs/query.hpp"
#include "codecs/token_signer.hpp"

namespace tr::actors {

namespace {

constexpr std::size_t max_payload_hex = 2 * 242;  // the largest LoRaWAN application payload

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

bool is_decimal(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 10) return false;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc{} && end == text.data() + text.size() && v <= max;
}

downlink_verdict refuse(downlink_outcome outcome, int status, std::string reason) {
  downlink_verdict v;
  v.outcome = outcome;
  v.status = status;
  v.reason = std::move(reason);
  return v;
}

/// The parameters this verifier knows, by name; the index of one is its bit in a set.
constexpr std::array<std::string_view, 11> field_names = {
    "DevEUI",       "FPort", "Payload", "FCntDn",        "Confirmed", "FlushDownlinkQueue",
    "ValidityTime", "AS_ID", "Time",    "CorrelationID", "Token"};

/// The field of `f` a parameter of field_names[index] goes to.
std::string& field_at(downlink_fields& f, std::size_t index) {
  std::string* fields[] = {&f.dev_eui,   &f.fport,          &f.payload,       &f.fcnt_dn,
                           &f.confirmed, &f.flush_queue,    &f.validity_time, &f.as_id,
                           &f.time,      &f.correlation_id, &f.token};
  return *fields[index];
}

}  // namespace

downlink_verifier::downlink_verifier(options opts)
    : options_(opts), replays_(opts.replay_capacity) {}

void downlink_verifier::erase_locked(const std::string& id) {
  auto at = as_id_of_.find(id);
  if (at == as_id_of_.end()) return;
  if (auto list = by_as_id_.find(at->second); list != by_as_id_.end()) {
    std::erase_if(list->second, [&](const auto& c) { return c->id == id; });
    if (list->second.empty()) by_as_id_.erase(list);
  }
  as_id_of_.erase(at);
}

void downlink_verifier::upsert_connection(std::shared_ptr<const connection_config> connection) {
  std::unique_lock lock{directory_mutex_};
  erase_locked(connection->id);
  as_id_of_[connection->id] = connection->as_id;
  by_as_id_[connection->as_id].push_back(std::move(connection));
}

void downlink_verifier::remove_connection(const std::string& id) {
  {
    std::unique_lock lock{directory_mutex_};
    erase_locked(id);
  }
  std::lock_guard lock{buckets_mutex_};
  buckets_.erase(id);
}

void downlink_verifier::set_connections(
    std::vector<std::shared_ptr<const connection_config>> connections) {
  {
    std::unique_lock lock{directory_mutex_};
    by_as_id_.clear();
    as_id_of_.clear();
    for (auto& c : connections) {
      as_id_of_[c->id] = c->as_id;
      by_as_id_[c->as_id].push_back(c);
    }
  }
  std::lock_guard lock{buckets_mutex_};
  std::erase_if(buckets_, [&](const auto& entry) {
    return std::none_of(connections.begin(), connections.end(),
                        [&](const auto& c) { return c->id == entry.first; });
  });
}

std::string downlink_verifier::parse_fields(std::string_view raw_query, downlink_fields& f,
                                            bool token_required) {
  std::string_view rest = raw_query;
  if (!rest.empty() && rest.front() == '?') rest.remove_prefix(1);
  std::string_view name, value;
  std::uint32_t seen = 0;  // by field: "DevEUI" and "Dev%45UI" are one parameter
  std::string decoded_name;
  while (codecs::next_query_param(rest, name, value)) {
    decoded_name.clear();
    if (!codecs::percent_decode(name, decoded_name).ok()) return "malformed parameter name";
    auto known = std::find(field_names.begin(), field_names.end(), decoded_name);
    if (!f.token.empty()) return "Token must be the last parameter";
    if (known == field_names.end()) continue;
    auto index = static_cast<std::size_t>(known - field_names.begin());
    if (seen & (1u << index)) return "repeated parameter " + decoded_name;
    seen |= 1u << index;
    auto& slot = field_at(f, index);
    if (!codecs::percent_decode(value, slot).ok()) return "bad percent-escape in " + decoded_name;
    if (&slot == &f.token && slot.empty()) return "empty Token";
  }
  bool has_payload = seen & (1u << 2);
  if (f.dev_eui.size() != 16 || !is_hex(f.dev_eui)) return "DevEUI must be 16 hex digits";
  if (!is_decimal(f.fport, 224) || f.fport == "0" || f.fport.front() == '0')
    return "FPort must be 1..224";
  // An empty Payload is a frame without application data (the port alone); a missing one is not.
  if (!has_payload) return "missing Payload";
  if (f.payload.size() % 2 != 0 || !is_hex(f.payload) || f.payload.size() > max_payload_hex)
    return "Payload must be hex (at most 242 bytes)";
  if (!f.fcnt_dn.empty() && !is_decimal(f.fcnt_dn, 0xffffffffULL))
    return "FCntDn must be a decimal counter";
  if (!f.confirmed.empty() && f.confirmed != "0" && f.confirmed != "1")
    return "Confirmed must be 0 or 1";
  if (!f.flush_queue.empty() && f.flush_queue != "0" && f.flush_queue != "1")
    return "FlushDownlinkQueue must be 0 or 1";
  if (!f.validity_time.empty() && !is_decimal(f.validity_time, 0xffffffffULL) &&
      !codecs::parse_time(f.validity_time).ok())
    return "ValidityTime must be an ISO 8601 time or seconds";
  if (f.as_id.empty()) return "missing AS_ID";
  if (f.time.empty()) return "missing Time";
  // A well-formed time outside the years the clock handles is judged as stale, not malformed.
  if (auto parsed = codecs::parse_time(f.time);
      !parsed.ok() && parsed.error().message().find("year out of range") == std::string_view::npos)
    return "Time must be ISO 8601 with an offset";
  if (!f.correlation_id.empty() && (f.correlation_id.size() != 16 || !is_hex(f.correlation_id)))
    return "CorrelationID must be 16 hex digits";
  if (f.token.empty() && !token_required) return {};
  if (f.token.size() != codecs::token_size || !is_hex(f.token))
    return "Token must be 64 hex digits";
  return {};
}

downlink_verdict downlink_verifier::verify(std::string_view raw_query, const routing_table& routes,
                                           codecs::time_point now) {
  downlink_fields fields;
  if (auto problem = parse_fields(raw_query, fields); !problem.empty())
    return refuse(downlink_outcome::malformed, 400, "malformed: " + problem);

  codecs::downlink_query_parts parts;
  std::shared_ptr<const connection_config> match;
  {
    // The candidates are tried under the shared lock (changes are rare): no copy of the list.
    std::shared_lock lock{directory_mutex_};
    auto found = by_as_id_.find(fields.as_id);
    if (found == by_as_id_.end() || found->second.empty())
      return refuse(downlink_outcome::unknown_as_id, 403, "unknown AS_ID");
    if (!codecs::split_downlink_query(raw_query, parts).ok())
      return refuse(downlink_outcome::malformed, 400,
                    "malformed: Token must be the last parameter");
    std::array<char, codecs::token_size> computed;
    // One signer a thread, keyed for each candidate: its digest context is made once, not
    // for every downlink (an allocation and a provider context each).
    thread_local codecs::token_signer signer{codecs::signing_key{}};
    for (auto& candidate : found->second) {
      signer.set_key(candidate->key);
      if (!signer.sign_downlink(parts.signed_part, computed).ok()) continue;
      if (codecs::tokens_equal({computed.data(), computed.size()}, fields.token)) {
        match = candidate;
        break;
      }
    }
  }
  if (!match) return refuse(downlink_outcome::bad_token, 401, "bad token");

  auto sent = codecs::parse_time(fields.time);
  auto deviation = std::chrono::seconds{match->max_time_deviation_s};
  if (!sent.ok() || *sent > now + deviation || *sent < now - deviation)
    return refuse(downlink_outcome::stale_time, 403, "stale time");

  // A replay is a token already accepted: look it up here, record it only on acceptance, so
  // a downlink refused as not routed or over the rate can be sent again as it is.
  auto replay_key = replay_cache::key_of(fields.token);
  if (!cluster_ && replays_.seen(replay_key, now))
    return refuse(downlink_outcome::replay, 409, "replay");

  auto dev_eui = routing_table::parse_dev_eui(fields.dev_eui);
  auto slot = routes.find(match->id);
  auto targets = dev_eui ? routes.lookup(*dev_eui) : std::span<const routing_table::slot>{};
  if (!slot || std::find(targets.begin(), targets.end(), *slot) == targets.end())
    return refuse(downlink_outcome::not_routed, 403, "device not routed to this AS");

  if (!cluster_) {
    if (!take_rate_token(match->id))
      return refuse(downlink_outcome::rate_limited, 429, "downlink rate exceeded");

    switch (replays_.remember(replay_key, *sent + deviation, now)) {
      case replay_cache::verdict::fresh:
        break;
      case replay_cache::verdict::replay:
        return refuse(downlink_outcome::replay, 409, "replay");
      case replay_cache::verdict::full:
        return refuse(downlink_outcome::replay_cache_full, 503, "replay cache full");
    }
  }

  downlink_verdict ok;
  ok.outcome = downlink_outcome::accepted;
  ok.status = 200;
  ok.connection = std::move(match);
  ok.fields = std::move(fields);
  ok.cluster_check = cluster_ != nullptr;
  ok.expiry = *sent + deviation;
  return ok;
}

void downlink_verifier::check_cluster(downlink_verdict verdict,
                                      std::function<void(downlink_verdict)> done) {
  if (!cluster_ || !verdict.cluster_check) return done(std::move(verdict));
  store::downlink_check check{verdict.connection->id, verdict.fields.token, verdict.expiry,
                              options_.rate_per_s, options_.burst};
  auto pending = std::make_shared<downlink_verdict>(std::move(verdict));
  cluster_->spend_downlink(
      std::move(check), [pending, done = std::move(done)](store::downlink_spend spent) {
        auto& v = *pending;
        v.cluster_check = false;
        switch (spent) {
          case store::downlink_spend::accepted:
            return done(std::move(v));
          case store::downlink_spend::replay:
            return done(refuse(downlink_outcome::replay, 409, "replay"));
          case store::downlink_spend::rate_limited:
            return done(refuse(downlink_outcome::rate_limited, 429, "downlink rate exceeded"));
          case store::downlink_spend::unavailable:
            return done(refuse(downlink_outcome::store_unavailable, 503, "store unavailable"));
          case store::downlink_spend::busy:
            return done(refuse(downlink_outcome::store_unavailable, 503, "store busy"));
        }
      });
}

void downlink_verifier::release(const downlink_verdict& verdict) {
  if (cluster_ && verdict.connection)
    cluster_->release_downlink(verdict.connection->id, verdict.fields.token);
  else
    replays_.forget(verdict.fields.token);
}

bool downlink_verifier::take_rate_token(const std::string& connection_id) {
  auto now = token_bucket::clock::now();
  std::lock_guard lock{buckets_mutex_};
  auto it = buckets_.find(connection_id);
  if (it == buckets_.end())
    it = buckets_.emplace(connection_id, token_bucket{options_.rate_per_s, options_.burst, now})
             .first;
  return it->second.try_take(now);
}

}  // namespace tr::actors
