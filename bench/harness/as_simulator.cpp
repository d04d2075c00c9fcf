#include "bench/harness/as_simulator.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "bench/harness/pki.hpp"
#include "codecs/query.hpp"
#include "codecs/report_parser.hpp"
#include "codecs/token_signer.hpp"
#include "transport/tls_context.hpp"

namespace tr::harness {

namespace {

using clock = std::chrono::steady_clock;

bool parse_number(std::string_view text, double& out) {
  if (text.empty()) return false;
  std::string copy{text};
  char* end = nullptr;
  out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size() && out >= 0;
}

std::uint16_t closed_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0)
    port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

/// The generator's send time embedded in a body: the digits after `harness_ts`.
std::optional<std::uint64_t> embedded_send_time(std::string_view body) {
  auto at = body.find("harness_ts");
  if (at == std::string_view::npos) return std::nullopt;
  at += 10;
  auto limit = std::min(body.size(), at + 16);  // `":`, `":"` or `&quot;:` before the digits
  while (at < limit && (body[at] < '0' || body[at] > '9')) ++at;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(body.data() + at, body.data() + body.size(), value);
  if (ec != std::errc{}) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::vector<endpoint_phase>> parse_schedule(std::string_view text) {
  std::vector<endpoint_phase> phases;
  while (!text.empty()) {
    auto cut = text.find(';');
    auto item = text.substr(0, cut);
    text = cut == std::string_view::npos ? std::string_view{} : text.substr(cut + 1);
    endpoint_phase phase;
    if (auto plus = item.find('+'); plus != std::string_view::npos) {
      if (!parse_number(item.substr(0, plus), phase.from_seconds)) return std::nullopt;
      item = item.substr(plus + 1);
    }
    auto eq = item.find('=');
    auto name = item.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    double number = 0;
    if (name == "fast" && value.empty()) {
      phase.kind = endpoint_phase::behaviour::fast;
    } else if (name == "stop" && value.empty()) {
      phase.kind = endpoint_phase::behaviour::stop;
    } else if (name == "delay" && parse_number(value, number)) {
      phase.kind = endpoint_phase::behaviour::delay;
      phase.delay_ms = static_cast<std::uint32_t>(number);
    } else if (name == "error" && parse_number(value, number) && number <= 1) {
      phase.kind = endpoint_phase::behaviour::error;
      phase.error_rate = number;
    } else {
      return std::nullopt;
    }
    if (!phases.empty() && phase.from_seconds < phases.back().from_seconds) return std::nullopt;
    phases.push_back(phase);
  }
  if (phases.empty()) return std::nullopt;
  return phases;
}

std::optional<endpoint_config> parse_endpoint(std::string_view text) {
  endpoint_config config;
  auto first = text.find(',');
  if (first == std::string_view::npos) return std::nullopt;
  config.path = std::string{text.substr(0, first)};
  auto rest = text.substr(first + 1);
  auto second = rest.find(',');
  config.key = std::string{rest.substr(0, second)};
  if (config.key == "-") config.key.clear();
  if (auto slash = config.key.find('/'); slash != std::string::npos) {
    auto every = std::string_view{config.key}.substr(slash + 1);
    auto [end, ec] = std::from_chars(every.data(), every.data() + every.size(), config.check_every);
    if (ec != std::errc{} || end != every.data() + every.size() || config.check_every == 0)
      return std::nullopt;
    config.key.resize(slash);
  }
  if (second != std::string_view::npos) config.schedule = std::string{rest.substr(second + 1)};
  if (config.path.empty() || config.path[0] != '/' || !parse_schedule(config.schedule))
    return std::nullopt;
  return config;
}

struct as_simulator::endpoint {
  std::string path;
  std::vector<std::unique_ptr<codecs::token_signer>> signers;  // one per shard; empty: no key

  mutable std::mutex schedule_mutex;
  std::vector<endpoint_phase> phases;
  clock::time_point schedule_start;

  std::uint32_t check_every = 1;
  std::atomic<std::uint64_t> arrived{0}, verified{0}, bad_token{0}, unsigned_{0}, unchecked{0},
      json{0}, xml{0}, other_type{0}, answered_ok{0}, answered_error{0}, held{0};
  latency_histogram transit;
  // Late arrivals by send time (see endpoint_stats::late_windows): 60 s of 10 ms windows.
  static constexpr std::uint64_t late_after_us = 2000, window_us = 10'000;
  static constexpr std::size_t window_count = 6000;
  std::atomic<std::uint64_t> epoch_us{monotonic_micros()};
  std::array<std::atomic<std::uint32_t>, window_count> late{}, late_max{};

  void record_transit(std::uint64_t sent, std::uint64_t arrival) {
    std::uint64_t took = arrival > sent ? arrival - sent : 0;
    transit.record(took);
    std::uint64_t epoch = epoch_us.load(std::memory_order_relaxed);
    if (took <= late_after_us || sent < epoch) return;
    std::uint64_t w = (sent - epoch) / window_us;
    if (w >= window_count) return;
    late[w].fetch_add(1, std::memory_order_relaxed);
    auto clipped = static_cast<std::uint32_t>(std::min<std::uint64_t>(took, UINT32_MAX));
    auto seen = late_max[w].load(std::memory_order_relaxed);
    while (clipped > seen && !late_max[w].compare_exchange_weak(seen, clipped)) {
    }
  }

  endpoint_phase current(clock::time_point now) const {
    std::lock_guard lock{schedule_mutex};
    endpoint_phase phase = phases.front();
    auto elapsed = std::chrono::duration<double>(now - schedule_start).count();
    for (auto& p : phases)
      if (p.from_seconds <= elapsed) phase = p;
    return phase;
  }

  void reset() {
    for (auto* c : {&arrived, &verified, &bad_token, &unsigned_, &unchecked, &json, &xml,
                    &other_type, &answered_ok, &answered_error, &held})
      c->store(0, std::memory_order_relaxed);
    transit.reset();
    for (std::size_t w = 0; w < window_count; ++w) {
      late[w].store(0, std::memory_order_relaxed);
      late_max[w].store(0, std::memory_order_relaxed);
    }
    epoch_us.store(monotonic_micros(), std::memory_order_relaxed);
  }

  endpoint_stats snapshot() const {
    endpoint_stats s;
    s.path = path;
    s.arrived = arrived.load(std::memory_order_relaxed);
    s.verified = verified.load(std::memory_order_relaxed);
    s.bad_token = bad_token.load(std::memory_order_relaxed);
    s.unsigned_ = unsigned_.load(std::memory_order_relaxed);
    s.unchecked = unchecked.load(std::memory_order_relaxed);
    s.json = json.load(std::memory_order_relaxed);
    s.xml = xml.load(std::memory_order_relaxed);
    s.other_type = other_type.load(std::memory_order_relaxed);
    s.answered_ok = answered_ok.load(std::memory_order_relaxed);
    s.answered_error = answered_error.load(std::memory_order_relaxed);
    s.held = held.load(std::memory_order_relaxed);
    s.transit_count = transit.count();
    s.transit_p50_us = transit.quantile(0.5);
    s.transit_p90_us = transit.quantile(0.9);
    s.transit_p99_us = transit.quantile(0.99);
    s.transit_max_us = transit.max();
    for (std::size_t w = 0; w < window_count; ++w) {
      if (auto n = late[w].load(std::memory_order_relaxed))
        s.late_windows.push_back(
            {w * window_us / 1000, n, late_max[w].load(std::memory_order_relaxed)});
    }
    std::stable_sort(s.late_windows.begin(), s.late_windows.end(),
                     [](auto& a, auto& b) { return a.late > b.late; });
    if (s.late_windows.size() > 50) s.late_windows.resize(50);
    return s;
  }
};

as_simulator::as_simulator(options opts) : options_(std::move(opts)) {
  started_ = clock::now();
  if (options_.shards == 0) options_.shards = 1;
  auto add = [&](const endpoint_config& config) {
    auto e = std::make_unique<endpoint>();
    e->path = config.path;
    e->check_every = config.check_every;
    auto phases = parse_schedule(config.schedule);
    if (!phases)
      throw std::runtime_error("bad schedule for " + config.path + ": " + config.schedule);
    e->phases = std::move(*phases);
    e->schedule_start = started_;
    if (!config.key.empty()) {
      auto key = codecs::signing_key::parse(config.key);
      if (!key)
        throw std::runtime_error("bad key for " + config.path + ": " +
                                 std::string{key.error().message()});
      for (std::size_t i = 0; i < options_.shards; ++i)
        e->signers.push_back(std::make_unique<codecs::token_signer>(*key));
    }
    endpoints_.push_back(std::move(e));
  };
  for (auto& config : options_.endpoints) add(config);
  add({"*", "", "fast"});

  std::optional<transport::tls_context> tls;
  if (options_.tls) {
    if (options_.pki_dir.empty())
      throw std::runtime_error("the AS simulator needs a PKI folder for TLS");
    auto pki = ensure_pki(options_.pki_dir);
    ca_file_ = pki.ca_file;
    transport::tls_server_config config;
    config.certificate_file = pki.cert_file;
    config.private_key_file = pki.key_file;
    config.alpn = options_.alpn;
    auto made = transport::tls_context::server(config);
    if (!made) throw std::runtime_error("AS simulator TLS: " + made.error_value().message());
    tls = *made;
  }
  transport::runtime_options runtime_options;
  runtime_options.shards = options_.shards;
  runtime_ = std::make_unique<transport::runtime>(runtime_options);
  runtime_->start();
  transport::server_options limits;
  limits.max_concurrent_streams = 1024;
  transport::http_listener_options listener;
  listener.host = options_.host;
  listener.port = options_.port;
  listener.limits = limits;
  listener.tls = tls;
  auto bound = transport::listen_http(
      *runtime_, listener,
      [this](const transport::request_origin& origin, transport::http_server_connection& connection,
             const transport::request& request) { serve(origin, connection, request); });
  if (!bound) throw std::runtime_error("AS simulator listen: " + bound.status.message());
  port_ = bound.port;
  refused_port_ = closed_loopback_port();
}

as_simulator::~as_simulator() {
  stop();
}

void as_simulator::stop() {
  if (runtime_) runtime_->stop();
}

as_simulator::endpoint* as_simulator::find(std::string_view path) const {
  for (std::size_t i = 0; i + 1 < endpoints_.size(); ++i)
    if (endpoints_[i]->path == path) return endpoints_[i].get();
  return nullptr;
}

bool as_simulator::set_schedule(std::string_view path, std::string_view schedule) {
  auto* e = find(path);
  auto phases = parse_schedule(schedule);
  if (!e || !phases) return false;
  std::lock_guard lock{e->schedule_mutex};
  e->phases = std::move(*phases);
  e->schedule_start = clock::now();
  return true;
}

std::vector<endpoint_stats> as_simulator::stats() const {
  std::vector<endpoint_stats> all;
  for (auto& e : endpoints_) all.push_back(e->snapshot());
  return all;
}

std::string as_simulator::stats_json() const {
  std::string out = "{\"uptime_s\":" +
                    std::to_string(std::chrono::duration<double>(clock::now() - started_).count()) +
                    ",\"endpoints\":{";
  bool first = true;
  for (auto& s : stats()) {
    if (!first) out += ',';
    first = false;
    char text[640];
    std::snprintf(
        text, sizeof text,
        "\"%s\":{\"arrived\":%llu,\"verified\":%llu,\"bad_token\":%llu,\"unsigned\":%llu,"
        "\"unchecked\":%llu,\"json\":%llu,"
        "\"xml\":%llu,\"other_type\":%llu,\"answered_ok\":%llu,\"answered_error\":%llu,\"held\":%"
        "llu,"
        "\"transit_us\":{\"count\":%llu,\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"max\":%llu}}",
        s.path.c_str(), (unsigned long long)s.arrived, (unsigned long long)s.verified,
        (unsigned long long)s.bad_token, (unsigned long long)s.unsigned_,
        (unsigned long long)s.unchecked, (unsigned long long)s.json, (unsigned long long)s.xml,
        (unsigned long long)s.other_type, (unsigned long long)s.answered_ok,
        (unsigned long long)s.answered_error, (unsigned long long)s.held,
        (unsigned long long)s.transit_count, (unsigned long long)s.transit_p50_us,
        (unsigned long long)s.transit_p90_us, (unsigned long long)s.transit_p99_us,
        (unsigned long long)s.transit_max_us);
    out += text;
    out.pop_back();  // the endpoint's closing brace
    out += ",\"late_windows\":[";
    for (std::size_t i = 0; i < s.late_windows.size(); ++i) {
      auto& w = s.late_windows[i];
      std::snprintf(text, sizeof text, "%s[%llu,%llu,%llu]", i ? "," : "",
                    (unsigned long long)w.start_ms, (unsigned long long)w.late,
                    (unsigned long long)w.max_us);
      out += text;
    }
    out += "]}";
  }
  out += "}}";
  return out;
}

void as_simulator::reset() {
  for (auto& e : endpoints_) e->reset();
}

void as_simulator::serve(const transport::request_origin& origin,
                         transport::http_server_connection& connection,
                         const transport::request& request) {
  auto answer_now = [&](int status, std::string_view type, std::string_view body) {
    transport::header fields[] = {{"content-type", type}};
    (void)connection.respond(origin.stream, status, fields, body);
  };
  if (request.path == "/stats") return answer_now(200, "application/json", stats_json());
  if (request.path == "/reset" && request.method == "POST") {
    reset();
    return answer_now(200, "text/plain", "reset\n");
  }
  if (request.path == "/control" && request.method == "POST") {
    std::string_view rest = request.query, name, value;
    std::string path, schedule;
    while (codecs::next_query_param(rest, name, value)) {
      if (name == "path") (void)codecs::percent_decode(value, path);
      if (name == "schedule") (void)codecs::percent_decode(value, schedule);
    }
    if (!set_schedule(path, schedule))
      return answer_now(400, "text/plain", "unknown path or bad schedule\n");
    return answer_now(200, "text/plain", "ok\n");
  }

  auto now = clock::now();
  auto* e = find(request.path);
  if (!e) e = endpoints_.back().get();
  std::uint64_t number = e->arrived.fetch_add(1, std::memory_order_relaxed);
  std::string_view type;
  for (auto& h : request.headers)
    if (h.name == "content-type") type = h.value;
  if (type.starts_with("application/json"))
    e->json.fetch_add(1, std::memory_order_relaxed);
  else if (type.starts_with("application/xml"))
    e->xml.fetch_add(1, std::memory_order_relaxed);
  else
    e->other_type.fetch_add(1, std::memory_order_relaxed);

  auto body = transport::as_text(request.body);
  if (auto sent = embedded_send_time(body); sent && *sent != 0) {  // 0: the generator's warm-up
    auto arrival = monotonic_micros();
    e->record_transit(*sent, arrival);
  }

  // The AS's token check: the five parameters decoded, the body parsed, the token recomputed.
  thread_local codecs::report_parser parser;
  thread_local codecs::report report;
  thread_local std::string dev_eui, fport, infos, as_id, time, token;
  std::string_view rest = request.query, name, value;
  bool has_token = false;
  for (auto* s : {&dev_eui, &fport, &infos, &as_id, &time, &token}) s->clear();
  while (codecs::next_query_param(rest, name, value)) {
    std::string* into = name == "LrnDevEui"  ? &dev_eui
                        : name == "LrnFPort" ? &fport
                        : name == "LrnInfos" ? &infos
                        : name == "AS_ID"    ? &as_id
                        : name == "Time"     ? &time
                        : name == "Token"    ? &token
                                             : nullptr;
    if (!into) continue;
    if (into == &token) has_token = true;
    (void)codecs::percent_decode(value, *into);
  }
  std::string_view verdict;
  if (!has_token || e->signers.empty()) {
    e->unsigned_.fetch_add(1, std::memory_order_relaxed);
    verdict = !has_token ? "no token" : "not checked (no key)";
  } else if (number % e->check_every != 0) {
    e->unchecked.fetch_add(1, std::memory_order_relaxed);
    verdict = "not checked (sampling)";
  } else if (!parser.parse(body, report).ok()) {
    e->bad_token.fetch_add(1, std::memory_order_relaxed);
    verdict = "MISMATCH (the body is no report)";
  } else {
    codecs::uplink_query query{dev_eui, fport, infos, as_id, time};
    char computed[codecs::token_size];
    auto& signer = *e->signers[origin.home->index() % e->signers.size()];
    if (signer.sign_uplink(report.fields(), query, std::span<char, codecs::token_size>{computed})
            .ok() &&
        codecs::tokens_equal({computed, codecs::token_size}, token)) {
      e->verified.fetch_add(1, std::memory_order_relaxed);
      verdict = "verified";
    } else {
      e->bad_token.fetch_add(1, std::memory_order_relaxed);
      verdict = "MISMATCH";
    }
  }
  if (options_.print_requests) {
    std::string line = "tr-as-sim: ";
    line.append(request.method).append(" ").append(request.path);
    if (!request.query.empty()) line.append("?").append(request.query);
    line.append("\n  content-type: ").append(type).append("; token: ").append(verdict);
    line.append("\n  body: ").append(body.substr(0, 4096)).append("\n");
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  }

  auto phase = e->current(now);
  switch (phase.kind) {
    case endpoint_phase::behaviour::fast:
      e->answered_ok.fetch_add(1, std::memory_order_relaxed);
      return answer_now(200, "text/plain", "ok");
    case endpoint_phase::behaviour::error: {
      thread_local std::minstd_rand random{std::random_device{}()};
      bool fail = std::uniform_real_distribution<double>{0, 1}(random) < phase.error_rate;
      (fail ? e->answered_error : e->answered_ok).fetch_add(1, std::memory_order_relaxed);
      return fail ? answer_now(503, "text/plain", "overloaded")
                  : answer_now(200, "text/plain", "ok");
    }
    case endpoint_phase::behaviour::delay:
      e->answered_ok.fetch_add(1, std::memory_order_relaxed);
      origin.home->schedule(std::chrono::milliseconds{phase.delay_ms}, [origin] {
        transport::respond_later(origin, 200, {{"content-type", "text/plain"}}, "ok");
      });
      return;
    case endpoint_phase::behaviour::stop:
      e->held.fetch_add(1, std::memory_order_relaxed);
      return;
  }
}

}  // namespace tr::harness
