#include "bench/harness/load_generator.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <thread>

#include "transport/h2_client_connection.hpp"
#include "transport/runtime/runtime.hpp"

namespace tr::harness {

namespace {

using clock = std::chrono::steady_clock;

void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
  counter.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace

/// One h2c connection of the generator.
struct ns_link final : transport::io_handler {
  load_generator::shard_driver* driver = nullptr;
  transport::connection_handle handle{};
  transport::h2_client_connection* client = nullptr;
  bool connecting = false;
  std::string body;
  void on_close(transport::shard&, transport::connection_handle,
                const transport::io_status&) override;
};

/// Everything a generator shard owns; touched only on its thread, except the atomic counters.
struct load_generator::shard_driver {
  const load_options* options = nullptr;
  const report_factory* factory = nullptr;
  latency_histogram* latency = nullptr;
  transport::shard* home = nullptr;
  std::vector<std::unique_ptr<ns_link>> links;
  std::string authority, target;
  double rate = 0;  // this shard's share
  std::uint64_t issued = 0, sequence = 0;
  std::size_t next_link = 0;
  std::uint64_t sequence_stride = 1, sequence_offset = 0;
  clock::time_point began{};
  std::uint64_t measure_from_us = 0;  // monotonic µs: sends before this are warm-up
  bool sending = false;

  std::atomic<std::uint64_t> sent{0}, reports{0}, accepted{0}, not_routed{0}, other_status{0},
      errors{0}, skipped{0}, reconnects{0}, in_flight{0}, connected{0};

  void connect(ns_link& l) {
    if (l.connecting) return;
    l.connecting = true;
    home->connect(options->host, options->port, std::chrono::seconds{3},
                  [this, &l](transport::connect_result r) {
                    l.connecting = false;
                    if (!r) {
                      add(reconnects);
                      if (sending)
                        home->schedule(std::chrono::milliseconds{100}, [this, &l] { connect(l); });
                      return;
                    }
                    transport::client_options client_options;
                    client_options.max_concurrent_streams =
                        static_cast<std::uint32_t>(options->streams);
                    auto engine = std::make_unique<transport::h2_client_connection>(client_options);
                    auto* client = engine.get();
                    l.handle = home->adopt(std::move(r.connected), std::move(engine), l);
                    if (!l.handle) return;
                    l.client = client;
                    add(connected);
                    home->mark_dirty(l.handle);
                    if (sending && options->rate <= 0) fill(l);
                  });
  }

  void lost(ns_link& l) {
    l.client = nullptr;
    l.handle = {};
    connected.fetch_sub(1, std::memory_order_relaxed);
    if (sending) {
      add(reconnects);
      home->schedule(std::chrono::milliseconds{100}, [this, &l] { connect(l); });
    }
  }

  bool usable(const ns_link& l) const {
    return l.client && l.client->can_submit() && !l.client->needs_new_connection();
  }

  void fill(ns_link& l) {
    while (sending && usable(l) && l.client->in_flight() < options->streams) {
      if (!send(l)) break;
    }
  }

  bool send(ns_link& l) {
    auto clock_now = monotonic_micros();
    auto now = clock_now >= measure_from_us ? clock_now : 0;  // 0: warm-up, not measured
    std::size_t count = options->batch == 0 ? 1 : options->batch;
    l.body.clear();
    thread_local std::string one;
    for (std::size_t i = 0; i < count; ++i) {
      factory->make(sequence_offset + sequence * sequence_stride, now, one);
      ++sequence;
      if (i) l.body += '\n';
      l.body += one;
    }
    transport::header headers[] = {
        {"content-type", options->batch == 0 ? "application/json" : "application/x-ndjson"}};
    transport::client_request request;
    request.method = "POST";
    request.scheme = "http";
    request.authority = authority;
    request.path = target;
    request.headers = headers;
    request.body = transport::as_bytes(l.body);
    auto* self = this;
    auto* which = &l;
    auto submitted = l.client->submit(
        request, [self, which, now](const transport::error& err, const transport::response& res) {
          self->in_flight.fetch_sub(1, std::memory_order_relaxed);
          if (err) {
            add(self->errors);
          } else if (res.status == 202 || res.status == 200) {
            add(self->accepted);
            auto done = monotonic_micros();
            if (now != 0) self->latency->record(done > now ? done - now : 0);
          } else if (res.status == 404) {
            add(self->not_routed);
          } else {
            add(self->other_status);
          }
          if (self->sending && self->options->rate <= 0 && which->client) self->fill(*which);
        });
    if (!submitted) return false;
    add(sent);
    add(reports, count);
    add(in_flight);
    home->mark_dirty(l.handle);
    return true;
  }

  void tick() {
    if (!sending) return;
    auto elapsed = std::chrono::duration<double>(home->now() - began).count();
    auto due = static_cast<std::uint64_t>(std::floor(rate * elapsed));
    while (issued < due) {
      ++issued;
      bool done = false;
      for (std::size_t tries = 0; tries < links.size() && !done; ++tries) {
        auto& l = *links[next_link];
        next_link = (next_link + 1) % links.size();
        if (usable(l)) done = send(l);
      }
      if (!done) add(skipped);
    }
    home->schedule(std::chrono::milliseconds{1}, [this] { tick(); });
  }

  void begin() {
    sending = true;
    began = home->now();
    measure_from_us =
        monotonic_micros() + static_cast<std::uint64_t>(options->warmup_seconds * 1e6);
    if (options->rate > 0) {
      tick();
    } else {
      for (auto& l : links) fill(*l);
    }
  }

  void end() { sending = false; }
};

void ns_link::on_close(transport::shard&, transport::connection_handle,
                       const transport::io_status&) {
  driver->lost(*this);
}

load_generator::load_generator(load_options options)
    : options_(std::move(options)), factory_(options_.reports) {
  if (options_.shards == 0) options_.shards = 1;
  if (options_.connections < options_.shards) options_.connections = options_.shards;
  if (options_.streams == 0) options_.streams = 1;
}

load_generator::~load_generator() = default;

load_totals load_generator::totals() const {
  load_totals t;
  for (auto& d : drivers_) {
    t.sent += d->sent.load(std::memory_order_relaxed);
    t.reports += d->reports.load(std::memory_order_relaxed);
    t.accepted += d->accepted.load(std::memory_order_relaxed);
    t.not_routed += d->not_routed.load(std::memory_order_relaxed);
    t.other_status += d->other_status.load(std::memory_order_relaxed);
    t.errors += d->errors.load(std::memory_order_relaxed);
    t.skipped += d->skipped.load(std::memory_order_relaxed);
    t.reconnects += d->reconnects.load(std::memory_order_relaxed);
  }
  return t;
}

load_result load_generator::run(
    const std::function<void(const load_totals&, double)>& each_second) {
  load_result result;
  result.options = options_;
  result.accepted_latency = std::make_shared<latency_histogram>();
  transport::runtime_options runtime_options;
  runtime_options.shards = options_.shards;
  transport::runtime runtime{runtime_options};
  drivers_.clear();
  for (std::size_t s = 0; s < options_.shards; ++s) {
    auto d = std::make_unique<shard_driver>();
    d->options = &options_;
    d->factory = &factory_;
    d->latency = result.accepted_latency.get();
    d->home = &runtime.at(s);
    d->authority = options_.host + ":" + std::to_string(options_.port);
    d->target = options_.path + options_.query;
    d->rate = options_.rate / static_cast<double>(options_.shards);
    d->sequence_stride = options_.shards;
    d->sequence_offset = s;
    for (std::size_t c = s; c < options_.connections; c += options_.shards) {
      auto l = std::make_unique<ns_link>();
      l->driver = d.get();
      d->links.push_back(std::move(l));
    }
    drivers_.push_back(std::move(d));
  }
  runtime.start();
  for (auto& d : drivers_)
    d->home->post([driver = d.get()](transport::shard&) {
      for (auto& l : driver->links) driver->connect(*l);
    });
  auto connected = [&] {
    std::uint64_t n = 0;
    for (auto& d : drivers_) n += d->connected.load(std::memory_order_relaxed);
    return n;
  };
  auto wait_until = clock::now() + std::chrono::seconds{3};
  while (connected() < options_.connections && clock::now() < wait_until && !stop_requested_)
    std::this_thread::sleep_for(std::chrono::milliseconds{5});

  auto began = clock::now();
  for (auto& d : drivers_)
    d->home->post([driver = d.get()](transport::shard&) { driver->begin(); });
  auto deadline = began + std::chrono::duration_cast<clock::duration>(
                              std::chrono::duration<double>(options_.seconds));
  auto next_report = began + std::chrono::seconds{1};
  while (!stop_requested_ && clock::now() < deadline) {
    auto wake = std::min(deadline, next_report);
    while (!stop_requested_ && clock::now() < wake)
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    if (clock::now() >= next_report) {
      if (each_second)
        each_second(totals(), std::chrono::duration<double>(clock::now() - began).count());
      next_report += std::chrono::seconds{1};
    }
  }
  for (auto& d : drivers_) d->home->post([driver = d.get()](transport::shard&) { driver->end(); });
  result.elapsed_seconds = std::chrono::duration<double>(clock::now() - began).count();
  auto in_flight = [&] {
    std::uint64_t n = 0;
    for (auto& d : drivers_) n += d->in_flight.load(std::memory_order_relaxed);
    return n;
  };
  auto grace = clock::now() + std::chrono::seconds{2};
  while (in_flight() > 0 && clock::now() < grace)
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  runtime.stop();
  result.totals = totals();
  return result;
}

std::string load_result::to_json() const {
  char text[1024];
  auto& t = totals;
  double seconds = elapsed_seconds > 0 ? elapsed_seconds : 1;
  std::snprintf(
      text, sizeof text,
      "{\"mode\":\"%s\",\"target_rate\":%.0f,\"seconds\":%.3f,\"connections\":%zu,\"streams\":%zu,"
      "\"batch\":%zu,\"devices\":%zu,\"sent\":%llu,\"reports\":%llu,\"accepted\":%llu,\"not_"
      "routed\":%llu,"
      "\"other_status\":%llu,\"errors\":%llu,\"skipped\":%llu,\"reconnects\":%llu,\"sent_per_s\":%."
      "1f,"
      "\"accepted_per_s\":%.1f,\"accepted_latency_us\":%s}",
      options.rate > 0 ? "open" : "closed", options.rate, elapsed_seconds, options.connections,
      options.streams, options.batch, options.reports.devices, (unsigned long long)t.sent,
      (unsigned long long)t.reports, (unsigned long long)t.accepted,
      (unsigned long long)t.not_routed, (unsigned long long)t.other_status,
      (unsigned long long)t.errors, (unsigned long long)t.skipped, (unsigned long long)t.reconnects,
      static_cast<double>(t.sent) / seconds, static_cast<double>(t.accepted) / seconds,
      accepted_latency ? accepted_latency->to_json().c_str() : "{}");
  return text;
}

std::string progress_line(const load_totals& t, double elapsed, double rate_now) {
  char text[256];
  std::snprintf(
      text, sizeof text,
      "%6.1fs  %9.0f/s  sent %llu  accepted %llu  404 %llu  other %llu  errors %llu  skipped %llu",
      elapsed, rate_now, (unsigned long long)t.sent, (unsigned long long)t.accepted,
      (unsigned long long)t.not_routed, (unsigned long long)t.other_status,
      (unsigned long long)t.errors, (unsigned long long)t.skipped);
  return text;
}

}  // namespace tr::harness
