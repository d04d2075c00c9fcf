#include "actors/connection_owner.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>

#include "actors/detail/connection_owner_parts.hpp"
#include "actors/uplink_request.hpp"
#include "codecs/report_parser.hpp"
#include "codecs/time.hpp"
#include "transport/tls_connection.hpp"

namespace tr::actors {

using transport::client_connection;
using transport::connection_handle;

namespace {

/// What a transport error tells the status endpoint.
failure_note note_of(const transport::error& err) {
  using transport::error_code;
  failure_note note;
  note.message = err.reason();
  switch (err.code()) {
    case error_code::tls_handshake_failed:
    case error_code::tls_verification_failed:
    case error_code::tls_error:
      note.what = failure_note::kind::tls;
      break;
    case error_code::refused:
      note.what = failure_note::kind::refused;
      break;
    case error_code::stream_reset:
    case error_code::connection_closed:
    case error_code::going_away:
      note.what = failure_note::kind::reset;
      break;
    case error_code::cancelled:
      note.what = failure_note::kind::timeout;
      break;
    default:
      note.what = failure_note::kind::error;
  }
  if (note.message.empty()) note.message = transport::to_string(err.code());
  return note;
}

failure_note timeout_note() {
  failure_note note;
  note.what = failure_note::kind::timeout;
  note.message = "no answer within as.request_timeout_ms";
  return note;
}

}  // namespace

connection_owner::connection_owner(transport::shard& home,
                                   std::shared_ptr<const connection_config> config,
                                   const uplink_environment& environment,
                                   std::shared_ptr<fuse_link> fuse)
    : home_(home),
      config_(std::move(config)),
      environment_(environment),
      metrics_(environment.metrics->connection(config_->id)),
      signer_(config_->key),
      gate_(environment.fuse_params.max_limit),
      fuse_link_(std::move(fuse)),
      http1_only_(!config_->tls) {
  metrics_->shard.store(static_cast<std::int32_t>(home.index()), std::memory_order_relaxed);
  published_state_ = config_->paused ? 3 : 0;
  apply_ceiling();
  publish_state();
}

template <class Reason>
void connection_owner::note_failure(Reason&& reason) {
  if (failing_) return;
  failing_ = true;
  if (!failure_lines_.allow(home_.now())) return;
  failure_logged_ = true;
  auto held = std::to_string(failure_lines_.suppressed());
  std::string why = reason();
  logging::warning("connection failing", {{"connection", config_->name},
                                          {"id", config_->id},
                                          {"url", config_->authority},
                                          {"reason", why},
                                          {"suppressed", held}});
}

void connection_owner::send(const shared_report& report) {
  TR_ASSERT_ON_SHARD(home_);
  guarded([&] { send_unguarded(report); });
}

void connection_owner::send_test(std::function<void(api::test_uplink_result)> done) {
  TR_ASSERT_ON_SHARD(home_);
  guarded([&] {
    if (retired_) {
      api::test_uplink_result result;
      result.error = "the connection is being moved or removed: try again";
      return done(std::move(result));
    }
    // A documented sample: the test DevEUI, the connection's format, key and headers.
    std::array<char, codecs::time_text_size> now_text;
    codecs::format_time(std::chrono::system_clock::now(), now_text);
    std::string sample = R"({"DevEUI_uplink":{"Time":")" +
                         std::string{now_text.data(), now_text.size()} +
                         R"(","DevEUI":")" + std::string{test_dev_eui} +
                         R"(","FPort":1,"FCntUp":0,"FCntDn":0,"payload_hex":"00","mic_hex":"00000000",)"
                         R"("Lrcid":"00000000","LrrRSSI":0,"LrrSNR":0,"SpFact":7,"SubBand":"G0",)"
                         R"("Channel":"LC1","DevLrrCnt":1,"Lrrid":"00000000","CustomerID":"0",)"
                         R"("ModelCfg":"0","DevAddr":"00000000"}})";
    codecs::report_parser parser;
    codecs::report report;
    api::test_uplink_result failed;
    if (!parser.parse_json(sample, report).ok()) {
      failed.error = "the sample uplink could not be built";
      return done(std::move(failed));
    }
    infos_.assign(config_->as_id)
        .append(environment_.infos_prefix)
        .append(std::to_string(++sequence_));
    auto slot = take_slot(false);
    slots_[slot].test = true;
    std::string target, body;
    if (!build_uplink_request(*config_, signer_, report, std::chrono::system_clock::now(), infos_,
                              target, body)
             .ok()) {
      tests_.push_back({slot, target, std::move(done), {}});
      failure_note why;
      why.message = "the sample uplink could not be signed";
      return finish(slot, uplink_outcome::failed, fuse::signal::failure, why);
    }
    tests_.push_back({slot, target, std::move(done), {}});
    arm_timer(slot, config_->request_timeout, &connection_owner::on_timeout);
    if (submit_now(slot, target, body)) return;
    bool connecting = std::any_of(sessions_.begin(), sessions_.end(),
                                  [](const session& s) { return !s.ready && !s.draining; });
    std::size_t usable = static_cast<std::size_t>(std::count_if(
        sessions_.begin(), sessions_.end(), [](const session& s) { return !s.draining; }));
    if (!connecting && usable >= session_limit())
      return finish(slot, uplink_outcome::shed, fuse::signal::good);
    waiting_.push_back({slot, std::move(target), std::move(body)});
    if (!connecting) open_session();
  });
}

void connection_owner::send_unguarded(const shared_report& shared) {
  const auto& report = *shared;
  if (body_.capacity() < 2048) {
    // The working buffers are sized by the first uplink, not at set-up: a router loads up to
    // 100,000 connections, most of them idle.
    slots_.reserve(64);
    target_.reserve(512);
    body_.reserve(2048);
  }
  if (fault_injected_) {
    fault_injected_ = false;
    throw std::logic_error("injected fault");
  }
  if (retired_) {
    if (successor_) return forward_to_successor(shared);
    metrics_->count(uplink_outcome::shed);
    return;
  }
  bool uplink = report.type() == codecs::report_type::uplink;
  if (config_->paused) {
    metrics_->count(uplink_outcome::paused);
    if (uplink) lose(loss_table::key_of(report.fields().dev_eui));
    return;
  }
  auto verdict = gate_.admit(home_.now(), static_cast<std::uint32_t>(in_flight_));
  if (verdict == fuse::admission::shed) {
    metrics_->count(uplink_outcome::shed);
    if (uplink) lose(loss_table::key_of(report.fields().dev_eui));
    publish_state();
    return;
  }
  infos_.assign(config_->as_id)
      .append(environment_.infos_prefix)
      .append(std::to_string(++sequence_));
  auto slot = take_slot(verdict == fuse::admission::probe);
  slots_[slot].epoch = gate_.epoch();
  if (uplink) {
    auto& r = slots_[slot];
    r.uplink = true;
    r.device = loss_table::key_of(report.fields().dev_eui);
    r.told = losses_.lost(r.device);
  }
  if (!build_uplink_request(*config_, signer_, report, std::chrono::system_clock::now(), infos_,
                            target_, body_, slots_[slot].told)
           .ok()) {
    finish(slot, uplink_outcome::failed, fuse::signal::failure);
    return;
  }
  // One timer a request: first at the fuse's latency target (if sooner than the timeout), where
  // a request still unanswered tells the fuse, then at the timeout. Answered in time (the usual
  // case), the request costs a single schedule and cancel.
  auto target = environment_.fuse_params.latency_target;
  if (target < config_->request_timeout)
    arm_timer(slot, target, &connection_owner::on_unanswered);
  else
    arm_timer(slot, config_->request_timeout, &connection_owner::on_timeout);
  if (submit_now(slot, target_, body_)) return;
  bool connecting = std::any_of(sessions_.begin(), sessions_.end(),
                                [](const session& s) { return !s.ready && !s.draining; });
  std::size_t usable = static_cast<std::size_t>(std::count_if(
      sessions_.begin(), sessions_.end(), [](const session& s) { return !s.draining; }));
  if (!connecting && usable >= session_limit()) {
    finish(slot, uplink_outcome::shed, fuse::signal::good);  // every session is at its limit
    return;
  }
  waiting_.push_back({slot, target_, body_});
  if (!connecting) open_session();
}

bool connection_owner::submit_now(std::uint32_t slot, std::string_view target,
                                  std::string_view body) {
  for (auto& s : sessions_) {
    if (!s.ready || s.draining) continue;
    auto* client = client_of(s);
    if (!client) continue;
    if (client->needs_new_connection()) {
      s.draining = true;  // GOAWAY or stream ids used up: closes when idle, others open
      continue;
    }
    if (!client->can_submit()) continue;
    transport::header headers[8];
    std::size_t count = 0;
    for (auto& h : config_->headers) {
      if (count == std::size(headers)) break;
      headers[count++] = {h.name, h.value};
    }
    transport::client_request request;
    request.method = "POST";
    request.scheme = s.tls ? "https" : "http";
    request.authority = config_->authority;
    request.path = target;
    request.headers = {headers, count};
    request.body = transport::as_bytes(body);
    auto generation = slots_[slot].generation;
    auto stream = client->submit(request, [this, slot, generation](const transport::error& err,
                                                                   const transport::response& res) {
      guarded([&] { complete(slot, generation, err, res); });
    });
    if (!stream) continue;
    slots_[slot].session_id = s.id;
    slots_[slot].stream = *stream;
    home_.mark_dirty(s.handle);
    return true;
  }
  return false;
}

void connection_owner::open_session() {
  if (retired_) return;
  if (home_.draining()) {  // shutting down: no new AS connections
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& w : waiting) finish(w.slot, uplink_outcome::shed, fuse::signal::good);
    return;
  }
  auto id = next_session_id_++;
  session s;
  s.id = id;
  s.tls = config_->tls;
  sessions_.push_back(s);
  auto connecting = home_.connect(
      config_->host, config_->port,
      std::min(environment_.connect_timeout, environment_.handshake_timeout),
      environment_.allow_address, [w = weak_from_this(), id](transport::connect_result result) {
        if (auto self = w.lock()) self->guarded([&] { self->on_connected(id, std::move(result)); });
      });
  if (auto* made = find_session(id)) made->connecting = connecting;
  // A handshake that never completes must not hold the connection: abandon the session.
  home_.schedule(environment_.handshake_timeout, [w = weak_from_this(), id] {
    auto self = w.lock();
    if (!self) return;
    self->guarded([&] {
      auto* s = self->find_session(id);
      if (!s || s->ready) return;
      if (s->handle) return self->home_.close(s->handle);  // on_close fails what waits
      if (s->connecting) self->home_.cancel_connect(s->connecting);
      self->sessions_.erase(self->sessions_.begin() + (s - self->sessions_.data()));
      self->fail_waiting(uplink_outcome::failed);
    });
  });
}

void connection_owner::on_connected(std::uint32_t session_id, transport::connect_result result) {
  auto* s = find_session(session_id);
  if (!s) return;
  s->connecting = {};
  std::string reason = result ? std::string{"TLS set-up failed"} : result.status.message();
  auto drop = [&] {
    sessions_.erase(std::find_if(sessions_.begin(), sessions_.end(),
                                 [&](const session& x) { return x.id == session_id; }));
    failure_note why;
    why.what = result ? failure_note::kind::tls : failure_note::kind::refused;
    why.message = reason;
    if (result.status.failure == transport::io_failure::timed_out) {
      // No TCP connection within the connect timeout (a full accept queue): like a request
      // unanswered past its timeout, enough to open the fuse when nothing else is answered.
      why.what = failure_note::kind::timeout;
      for (auto& w : waiting_)
        if (!slots_[w.slot].test)
          tell_fuse({fuse_event::kind::timed_out, fuse::signal::failure, false, 0,
                     slots_[w.slot].started, home_.now()});
    }
    fail_waiting(uplink_outcome::failed, why);
  };
  if (!result) note_failure([&] { return "connect: " + result.status.message(); });
  if (!result || (retired_ && !graceful_) || s->draining) return drop();
  std::unique_ptr<transport::connection_engine> engine;
  if (s->tls) {
    auto tls = environment_.tls.connect(config_->host);
    if (!tls) note_failure([&] { return "TLS: " + tls.error_value().message(); });
    if (!tls) return drop();
    engine = std::make_unique<transport::tls_connection<client_connection>>(
        std::move(*tls),
        [this, session_id](std::string_view alpn) -> std::unique_ptr<client_connection> {
          http1_only_ = alpn != "h2";
          home_.post([w = weak_from_this(), session_id](transport::shard&) {
            auto self = w.lock();
            if (!self) return;
            if (auto* ready = self->find_session(session_id)) {
              ready->ready = true;
              self->flush_waiting();
            }
          });
          return transport::make_client_connection(alpn, environment_.client);
        });
  } else {
    engine = transport::make_client_connection("", environment_.client);
    s->ready = true;
  }
  auto handle = home_.adopt(std::move(result.connected), std::move(engine), *this);
  s = find_session(session_id);
  if (!s) return;
  if (!handle) return drop();
  s->handle = handle;
  home_.mark_dirty(handle);
  if (s->ready) flush_waiting();
}

void connection_owner::flush_waiting() {
  std::size_t sent = 0;
  while (sent < waiting_.size() &&
         submit_now(waiting_[sent].slot, waiting_[sent].target, waiting_[sent].body))
    ++sent;
  waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(sent));
  if (waiting_.empty()) return;
  bool connecting = std::any_of(sessions_.begin(), sessions_.end(),
                                [](const session& s) { return !s.ready && !s.draining; });
  std::size_t usable = static_cast<std::size_t>(std::count_if(
      sessions_.begin(), sessions_.end(), [](const session& s) { return !s.draining; }));
  if (!connecting && usable < session_limit()) open_session();
}

void connection_owner::complete(std::uint32_t slot, std::uint32_t generation,
                                const transport::error& err, const transport::response& res) {
  if (slot >= slots_.size() || !slots_[slot].live || slots_[slot].generation != generation) return;
  if (slots_[slot].timed_out) {
    note_failure([&] {
      return "timeout: no answer within " + std::to_string(config_->request_timeout.count()) +
             " ms";
    });
    return finish(slot, uplink_outcome::timeout, fuse::signal::failure, timeout_note());
  }
  if (err) note_failure([&] { return err.message(); });
  if (err) return finish(slot, uplink_outcome::failed, fuse::signal::failure, note_of(err));
  if (slots_[slot].test) {
    for (auto& t : tests_) {
      if (t.slot != slot) continue;
      t.result.status = res.status;
      auto body = transport::as_text(res.body);
      t.result.body.assign(body.substr(0, connection_health::kept_body_bytes));
    }
  }
  if (res.status >= 200 && res.status < 300) {
    note_delivered();
    return finish(slot, uplink_outcome::delivered, fuse::signal::good);
  }
  note_failure([&] { return "HTTP status " + std::to_string(res.status); });
  bool overload = res.status >= 500 || res.status == 408 || res.status == 429;
  failure_note why;
  why.what = failure_note::kind::http;
  why.status = res.status;
  why.message = transport::reason_phrase(res.status);
  why.body = transport::as_text(res.body);
  finish(slot, uplink_outcome::failed, overload ? fuse::signal::overload : fuse::signal::good, why);
}

void connection_owner::arm_timer(std::uint32_t slot, std::chrono::milliseconds delay,
                                 void (connection_owner::*then)(std::uint32_t, std::uint32_t)) {
  slots_[slot].timer = home_.schedule(
      delay, [w = weak_from_this(), slot, generation = slots_[slot].generation, then] {
        if (auto self = w.lock()) self->guarded([&] { ((*self).*then)(slot, generation); });
      });
}

void connection_owner::on_unanswered(std::uint32_t slot, std::uint32_t generation) {
  if (slot >= slots_.size() || !slots_[slot].live || slots_[slot].generation != generation) return;
  tell_fuse({fuse_event::kind::unanswered, fuse::signal::failure, false, 0, slots_[slot].started,
             home_.now()});
  arm_timer(slot, config_->request_timeout - environment_.fuse_params.latency_target,
            &connection_owner::on_timeout);
}

void connection_owner::on_timeout(std::uint32_t slot, std::uint32_t generation) {
  if (slot >= slots_.size() || !slots_[slot].live || slots_[slot].generation != generation) return;
  auto& r = slots_[slot];
  r.timer = {};
  r.timed_out = true;
  // A hung AS opens the fuse here, not after failure_threshold timeouts.
  if (!r.test)
    tell_fuse({fuse_event::kind::timed_out, fuse::signal::failure, false, 0, r.started,
               home_.now()});
  auto why = timeout_note();
  if (r.session_id == 0) {
    std::erase_if(waiting_, [&](const waiting_request& w) { return w.slot == slot; });
    return finish(slot, uplink_outcome::timeout, fuse::signal::failure, why);
  }
  if (auto* s = find_session(r.session_id)) {
    if (auto* client = client_of(*s)) {
      client->cancel(r.stream);  // completes the request (as a timeout) from inside
      home_.mark_dirty(s->handle);
    }
  }
  if (slots_[slot].live && slots_[slot].generation == generation)
    finish(slot, uplink_outcome::timeout, fuse::signal::failure, why);
}

void connection_owner::finish(std::uint32_t slot, uplink_outcome outcome, fuse::signal signal,
                              const failure_note& why) {
  auto& r = slots_[slot];
  if (r.timer) home_.cancel(r.timer);
  if (r.test) {
    finish_test(slot, outcome, why);
  } else {
    auto now = fuse::clock::now();
    auto latency = std::chrono::duration_cast<std::chrono::microseconds>(now - r.started);
    metrics_->count(outcome);
    if (outcome == uplink_outcome::shed) {
      if (r.probe) gate_.release_probe();
    } else {
      metrics_->latency.observe(latency);
      // Latency percentiles are of answers: a 2xx, or another status.
      if (outcome == uplink_outcome::delivered || why.what == failure_note::kind::http)
        metrics_->health.observe(latency, now);
      if (outcome != uplink_outcome::delivered) metrics_->health.fail(why);
      tell_fuse({fuse_event::kind::answer, signal, r.probe, r.epoch, r.started, now});
    }
    if (r.uplink) {
      if (outcome == uplink_outcome::delivered)
        losses_.delivered(r.device, r.told);
      else
        lose(r.device);
    }
  }
  r.live = false;
  r.timer = {};
  ++r.generation;
  free_slots_.push_back(slot);
  --in_flight_;
  close_idle_renewed_sessions();
  publish_state();
  // A stream or an HTTP/1.1 session may have just become free for a report that waits: flush
  // from a post, not from inside the engine call that got us here.
  if (!waiting_.empty() && !flush_posted_ && (!retired_ || graceful_)) {
    flush_posted_ = true;
    home_.post([w = weak_from_this()](transport::shard&) {
      if (auto self = w.lock()) {
        self->flush_posted_ = false;
        self->guarded([&] { self->flush_waiting(); });
      }
    });
  }
}

void connection_owner::finish_test(std::uint32_t slot, uplink_outcome outcome,
                                   const failure_note& why) {
  auto it = std::find_if(tests_.begin(), tests_.end(),
                         [&](const test_waiter& t) { return t.slot == slot; });
  if (it == tests_.end()) return;
  auto waiter = std::move(*it);
  tests_.erase(it);
  auto& result = waiter.result;
  result.request = "POST " + waiter.target + (http1_only_ ? " HTTP/1.1" : " HTTP/2");
  result.latency_ms =
      static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                              fuse::clock::now() - slots_[slot].started)
                              .count()) /
      1000.0;
  if (outcome == uplink_outcome::shed)
    result.error = "no session to the AS could take it now";
  else if (outcome != uplink_outcome::delivered && result.status == 0)
    result.error = std::string{name_of(why.what)} + ": " + std::string{why.message};
  if (waiter.done) waiter.done(std::move(result));
}

void connection_owner::lose(std::uint64_t device) {
  if (!losses_.lose(device)) metrics_->losses_untracked.fetch_add(1, std::memory_order_relaxed);
}

void connection_owner::fail_waiting(uplink_outcome outcome, const failure_note& why) {
  bool connecting = std::any_of(sessions_.begin(), sessions_.end(),
                                [](const session& s) { return !s.ready && !s.draining; });
  bool usable = std::any_of(sessions_.begin(), sessions_.end(),
                            [](const session& s) { return s.ready && !s.draining; });
  if (!retired_ && (connecting || usable)) return;  // another session will take them
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& w : waiting) finish(w.slot, outcome, fuse::signal::failure, why);
}

std::uint32_t connection_owner::take_slot(bool probe) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  auto& r = slots_[slot];
  r.live = true;
  r.probe = probe;
  r.timed_out = false;
  r.uplink = false;
  r.test = false;
  r.told = 0;
  r.session_id = 0;
  r.stream = 0;
  r.started = fuse::clock::now();
  ++in_flight_;
  // The gauge moves with every send too: against an AS that answers nothing, no finish() would
  // ever publish it.
  if (!retired_)
    metrics_->in_flight.store(static_cast<std::int32_t>(in_flight_), std::memory_order_relaxed);
  return slot;
}

connection_owner::session* connection_owner::find_session(std::uint32_t id) {
  for (auto& s : sessions_)
    if (s.id == id) return &s;
  return nullptr;
}

connection_owner::session* connection_owner::find_session(connection_handle handle) {
  for (auto& s : sessions_)
    if (s.handle == handle && handle) return &s;
  return nullptr;
}

client_connection* connection_owner::client_of(const session& s) const {
  auto* engine = home_.engine(s.handle);
  if (!engine) return nullptr;
  if (s.tls) return static_cast<transport::tls_connection<client_connection>*>(engine)->engine();
  return static_cast<client_connection*>(engine);
}

std::size_t connection_owner::session_limit() const {
  return std::max<std::size_t>(
      1, http1_only_ ? environment_.http1_pool_size : environment_.http2_pool_size);
}

void connection_owner::close_idle_renewed_sessions() {
  // Retiring gracefully (a move): sessions serve what waits, then close once idle.
  bool retiring = graceful_ && waiting_.empty();
  for (auto& s : sessions_) {
    if (!s.handle) continue;
    if (!s.ready) {
      if (s.draining || retiring) home_.close(s.handle);  // in its handshake: nothing in flight
      continue;
    }
    auto* client = client_of(s);
    if (!client) continue;
    if ((s.draining || retiring || client->needs_new_connection()) && client->in_flight() == 0)
      home_.close(s.handle);
  }
}

void connection_owner::on_close(transport::shard&, connection_handle handle,
                                const transport::io_status& why_closed) {
  auto* s = find_session(handle);
  if (!s) return;
  auto id = s->id;
  bool was_ready = s->ready;
  if (!was_ready && why_closed && why_closed.failure != transport::io_failure::closed_locally &&
      why_closed.failure != transport::io_failure::shutting_down)
    note_failure([&] { return "TLS: " + why_closed.message(); });
  sessions_.erase(sessions_.begin() + (s - sessions_.data()));
  failure_note why;
  why.what = was_ready ? failure_note::kind::reset : failure_note::kind::tls;
  std::string message = was_ready ? "the connection to the AS closed" : "TLS handshake failed";
  if (why_closed) message += ": " + why_closed.message();
  why.message = message;
  for (std::uint32_t i = 0; i < slots_.size(); ++i) {
    auto& r = slots_[i];
    if (!r.live || r.session_id != id) continue;
    finish(i, r.timed_out ? uplink_outcome::timeout : uplink_outcome::failed,
           fuse::signal::failure, r.timed_out ? timeout_note() : why);
  }
  if (!was_ready) {
    fail_waiting(uplink_outcome::failed, why);  // the TLS handshake failed: no use trying again
  } else if (!waiting_.empty()) {
    bool connecting = std::any_of(sessions_.begin(), sessions_.end(),
                                  [](const session& x) { return !x.ready && !x.draining; });
    if (!connecting && !retired_) open_session();
  }
  if (retired_ && sessions_.empty()) {
    fail_waiting(uplink_outcome::failed);  // no session will come for them any more
    auto last = std::move(keep_alive_);    // may destroy this owner on return
  }
}

void connection_owner::on_drain(transport::shard&, connection_handle handle) {
  if (auto* s = find_session(handle)) s->draining = true;
  close_idle_renewed_sessions();
}

void connection_owner::reconfigure(std::shared_ptr<const connection_config> config) {
  TR_ASSERT_ON_SHARD(home_);
  bool reopen =
      config->host != config_->host || config->port != config_->port || config->tls != config_->tls;
  if (!(config->key == config_->key)) signer_ = codecs::token_signer{config->key};
  config_ = std::move(config);
  apply_ceiling();
  publish_state();  // a pause or a resume is a transition
  if (!reopen) return;
  http1_only_ = !config_->tls;
  for (auto& s : sessions_) {
    s.draining = true;
    if (s.connecting) home_.cancel_connect(s.connecting);
  }
  std::erase_if(sessions_, [](const session& s) { return !s.handle; });
  close_idle_renewed_sessions();
  if (!waiting_.empty()) open_session();
}

void connection_owner::retire_into(std::shared_ptr<connection_owner> successor) {
  successor_ = std::move(successor);
  // The AS did not change: its fuse state (open, throttled) goes with the connection.
  flush_fuse();  // what this owner learned reaches the fuse before the successor's outcomes
  successor_->home().post([next = successor_, learned = gate_, losses = std::move(losses_),
                            state = published_state_](transport::shard&) mutable {
    next->gate_.apply(learned.current());  // unless the fuse already posted a newer one
    next->gate_.release_probe();           // a probe in flight stays with the old owner
    next->losses_ = std::move(losses);
    next->published_state_ = state;
    next->publish_state();
  });
  losses_ = loss_table{};
  retire(true);
}

void connection_owner::forward_to_successor(const shared_report& report) {
  // Bounded without a count of its own: what reaches a retired owner was posted to it within its
  // own `queued` bound, or came from its own shard's ingress before the move was applied there.
  if (&successor_->home() == &home_) return successor_->send(report);
  bool posted = successor_->home().post(
      [next = successor_, report](transport::shard&) { next->send(report); });
  if (!posted) metrics_->count(uplink_outcome::shed);  // the successor's shard has stopped
}

void connection_owner::retire(bool graceful) {
  TR_ASSERT_ON_SHARD(home_);
  if (retired_) return;
  retired_ = true;
  keep_alive_ = shared_from_this();
  if (graceful) {
    // A move: what waits for a session (one may still be connecting) and what is in flight
    // finish here; new reports go to the successor. Sessions close as they become idle.
    graceful_ = true;
    if (waiting_.empty()) {
      for (auto& s : sessions_)
        if (s.connecting) home_.cancel_connect(s.connecting);
      std::erase_if(sessions_, [](const session& s) { return !s.handle; });
    }
    close_idle_renewed_sessions();
  } else {
    fail_waiting(uplink_outcome::failed);
    for (auto& s : sessions_) {
      if (s.connecting)
        home_.cancel_connect(s.connecting);
      else if (s.handle)
        home_.close(s.handle);
    }
    std::erase_if(sessions_, [](const session& s) { return !s.handle; });
  }
  if (sessions_.empty()) {
    fail_waiting(uplink_outcome::failed);
    keep_alive_.reset();
  }
}

void connection_owner::note_delivered() {
  failing_ = false;
  if (!failure_logged_) return;
  failure_logged_ = false;
  logging::info("connection delivering again",
                {{"connection", config_->name}, {"id", config_->id}});
}

}  // namespace tr::actors
