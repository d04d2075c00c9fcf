#include "actors/connection_owner.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>

#include "actors/detail/connection_owner_parts.hpp"
#include "actors/uplink_request.hpp"
#include "codecs/report_parser.hpp"
#include "codecs/time.hpp"
#include "transport/upstream_pool.hpp"

namespace tr::actors {

namespace {

/// The capacity of a request's buffers a free slot keeps, and how many free slots keep theirs.
constexpr std::size_t kept_request_bytes = 16 << 10;
constexpr std::size_t spare_request_buffers = 16;

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
      clock_(environment.clock ? *environment.clock : static_cast<transport::loop_clock&>(home)),
      config_(std::move(config)),
      environment_(environment),
      metrics_(environment.metrics->connection(config_->id)),
      signer_(config_->key),
      gate_(environment.fuse_params.max_limit),
      fuse_link_(std::move(fuse)) {
  metrics_->shard.store(static_cast<std::int32_t>(home.index()), std::memory_order_relaxed);
  published_state_ = config_->paused ? 3 : 0;
  apply_ceiling();
  publish_state();
}

template <class Reason>
void connection_owner::note_failure(Reason&& reason) {
  if (failure_logged_) return;  // this run of failures has its line
  // A run that starts within a minute of the last line is counted as held back; its line is
  // written at its first failure after that minute (a long run is never left unsaid).
  bool starts = !failing_;
  failing_ = true;
  if (!starts && !failure_lines_.ready(clock_.now())) return;
  if (!failure_lines_.allow(clock_.now())) return;
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
    if (!submit(slot, target, body)) finish(slot, uplink_outcome::shed, fuse::signal::good);
  });
}

void connection_owner::send_unguarded(const shared_report& shared) {
  const auto& report = *shared;
  if (body_.capacity() < 2048) {
    // The working buffers are sized when used (by the first uplink, then by each slot's first
    // request, the buffers going to the slot), not at set-up: a router loads up to 100,000
    // connections, most of them idle.
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
  auto verdict = gate_.admit(clock_.now(), static_cast<std::uint32_t>(in_flight_));
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
    r.told = losses_.take(r.device);
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
  auto& r = slots_[slot];
  r.target.swap(target_);
  r.body.swap(body_);
  r.resendable = true;
  if (!submit(slot, r.target, r.body))
    finish(slot, uplink_outcome::shed, fuse::signal::good);  // every session is at its limit
}

transport::upstream& connection_owner::upstream_now() {
  if (!upstream_) {
    transport::upstream_target target{config_->host, config_->port, config_->tls};
    transport::upstream_user& user = *this;
    if (environment_.make_upstream) {
      upstream_ = environment_.make_upstream(home_, target, user);
    } else {
      transport::upstream_options options;
      options.tls = &environment_.tls;
      options.client = environment_.client;
      options.http1_sessions = environment_.http1_pool_size;
      options.http2_sessions = environment_.http2_pool_size;
      options.connect_timeout = environment_.connect_timeout;
      options.handshake_timeout = environment_.handshake_timeout;
      options.idle_timeout = environment_.idle_timeout;
      if (environment_.allow_address) options.allow_address = &environment_.allow_address;
      upstream_ =
          std::make_shared<transport::upstream_pool>(home_, std::move(target), options, user);
    }
  }
  return *upstream_;
}

bool connection_owner::resend(std::uint32_t slot) {
  auto& r = slots_[slot];
  r.retried = true;
  if (!submit(slot, r.target, r.body)) return false;
  metrics_->resent.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool connection_owner::submit(std::uint32_t slot, std::string_view target, std::string_view body) {
  transport::header headers[8];
  std::size_t count = 0;
  for (auto& h : config_->headers) {
    if (count == std::size(headers)) break;
    headers[count++] = {h.name, h.value};
  }
  transport::client_request request;
  request.method = "POST";
  request.authority = config_->authority;
  request.path = target;
  request.headers = {headers, count};
  request.body = transport::as_bytes(body);
  auto cookie = (std::uint64_t{slots_[slot].generation} << 32) | slot;
  auto put = upstream_now().submit(request, cookie);
  if (put.what == transport::upstream::verdict::full) return false;
  slots_[slot].ticket = put.ticket;
  return true;
}

void connection_owner::on_answer(std::uint64_t cookie, const transport::error& err,
                                 const transport::response& res, bool sent) {
  guarded([&] {
    auto slot = static_cast<std::uint32_t>(cookie);
    auto generation = static_cast<std::uint32_t>(cookie >> 32);
    if (slot >= slots_.size() || !slots_[slot].live || slots_[slot].generation != generation)
      return;
    slots_[slot].ticket = {};
    complete(slot, err, res, sent);
  });
}

void connection_owner::complete(std::uint32_t slot, const transport::error& err,
                                const transport::response& res, bool sent) {
  if (slots_[slot].timed_out) {
    note_failure([&] {
      return "timeout: no answer within " + std::to_string(config_->request_timeout.count()) +
             " ms";
    });
    return finish(slot, uplink_outcome::timeout, fuse::signal::failure, timeout_note());
  }
  if (err && !sent && err.code() == transport::error_code::busy)
    return finish(slot, uplink_outcome::shed, fuse::signal::good);  // shutting down
  if (err && !sent && err.code() == transport::error_code::cancelled && !slots_[slot].test) {
    // No TCP connection within the connect timeout (a full accept queue): like a request
    // unanswered past its timeout, enough to open the fuse when nothing else is answered.
    tell_fuse({fuse_event::kind::timed_out, fuse::signal::failure, false, 0,
               slots_[slot].started, clock_.now()});
  }
  // A session the AS ends gracefully (GOAWAY: nginx after its keepalive_requests) or a stream it
  // refuses (REFUSED_STREAM) says the request was certainly not processed: it goes once more,
  // on another session, within its first timeout.
  if (err && sent && err.retryable() && !slots_[slot].retried && slots_[slot].resendable &&
      !retired_ && resend(slot))
    return;
  // Closed here (removed, replaced): nothing to say about the AS.
  if (err && !(retired_ && !graceful_)) note_failure([&] { return err.message(); });
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
  slots_[slot].timer = clock_.schedule(
      delay, [w = weak_from_this(), slot, generation = slots_[slot].generation, then] {
        if (auto self = w.lock()) self->guarded([&] { ((*self).*then)(slot, generation); });
      });
}

void connection_owner::on_unanswered(std::uint32_t slot, std::uint32_t generation) {
  if (slot >= slots_.size() || !slots_[slot].live || slots_[slot].generation != generation) return;
  tell_fuse({fuse_event::kind::unanswered, fuse::signal::failure, false, 0, slots_[slot].started,
             clock_.now()});
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
               clock_.now()});
  auto ticket = r.ticket;
  if (ticket && upstream_) upstream_->cancel(ticket);  // answers (as a timeout) from inside
  if (slots_[slot].live && slots_[slot].generation == generation)
    finish(slot, uplink_outcome::timeout, fuse::signal::failure, timeout_note());
}

void connection_owner::finish(std::uint32_t slot, uplink_outcome outcome, fuse::signal signal,
                              const failure_note& why) {
  auto& r = slots_[slot];
  if (r.timer) clock_.cancel(r.timer);
  if (r.test) {
    finish_test(slot, outcome, why);
  } else {
    auto now = clock_.precise_now();
    auto latency = std::chrono::duration_cast<std::chrono::microseconds>(now - r.started);
    metrics_->count(outcome);
    if (outcome == uplink_outcome::shed) {
      if (r.probe) gate_.release_probe();
    } else {
      // Latencies (the histogram and the status's percentiles) are of answers: a 2xx, or
      // another status. A refused connect or a timeout is no round trip of the AS's.
      if (outcome == uplink_outcome::delivered || why.what == failure_note::kind::http) {
        metrics_->latency.observe(latency);
        metrics_->health.observe(latency, now);
      }
      if (outcome != uplink_outcome::delivered) metrics_->health.fail(why);
      tell_fuse({fuse_event::kind::answer, signal, r.probe, r.epoch, r.started, now, r.among});
    }
    if (r.uplink) settle_loss(r.device, outcome == uplink_outcome::delivered, r.told);
  }
  r.live = false;
  r.timer = {};
  // The scratch buffers circulate through the slots. A free slot keeps its buffers only among
  // the few reused first (the free list is last in, first out), and never a large report's:
  // a burst up to the in-flight ceiling leaves no buffers behind.
  if (free_slots_.size() >= spare_request_buffers || r.body.capacity() > kept_request_bytes) {
    std::string{}.swap(r.body);
  }
  if (free_slots_.size() >= spare_request_buffers || r.target.capacity() > kept_request_bytes) {
    std::string{}.swap(r.target);
  }
  ++r.generation;
  free_slots_.push_back(slot);
  --in_flight_;
  publish_state();
  if (retired_ && in_flight_ == 0) release_when_done();
}

void connection_owner::finish_test(std::uint32_t slot, uplink_outcome outcome,
                                   const failure_note& why) {
  auto it = std::find_if(tests_.begin(), tests_.end(),
                         [&](const test_waiter& t) { return t.slot == slot; });
  if (it == tests_.end()) return;
  auto waiter = std::move(*it);
  tests_.erase(it);
  auto& result = waiter.result;
  bool http1 = upstream_ ? upstream_->http1() : !config_->tls;
  result.request = "POST " + waiter.target + (http1 ? " HTTP/1.1" : " HTTP/2");
  result.latency_ms =
      static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                              clock_.precise_now() - slots_[slot].started)
                              .count()) /
      1000.0;
  if (outcome == uplink_outcome::shed)
    result.error = "no session to the AS could take it now";
  else if (outcome != uplink_outcome::delivered && result.status == 0)
    result.error = std::string{name_of(why.what)} + ": " + std::string{why.message};
  if (waiter.done) waiter.done(std::move(result));
}

void connection_owner::settle_loss(std::uint64_t device, bool delivered, std::uint32_t told) {
  if (successor_) {
    // Retired by a move: the loss table went to the successor, which settles it there. Posted
    // even on this shard, so that it runs after the hand-over that carries the table.
    successor_->home().post([next = successor_, device, delivered, told](transport::shard&) {
      next->settle_loss(device, delivered, told);
    });
    return;
  }
  // Delivered: the AS knows what it told. Not: those are still untold, and so is this one.
  if (!delivered) lose(device, told + 1);
}

void connection_owner::lose(std::uint64_t device, std::uint32_t count) {
  if (!losses_.lose(device, count))
    metrics_->losses_untracked.fetch_add(count, std::memory_order_relaxed);
}

void connection_owner::release_when_done() {
  if (!keep_alive_) return;
  clock_.schedule(std::chrono::milliseconds{0}, [last = std::move(keep_alive_)] {});
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
  r.resendable = false;
  r.retried = false;
  r.ticket = {};
  r.started = clock_.precise_now();
  ++in_flight_;
  r.among = in_flight_;
  // The gauge moves with every send too: against an AS that answers nothing, no finish() would
  // ever publish it.
  if (!retired_)
    metrics_->in_flight.store(static_cast<std::int32_t>(in_flight_), std::memory_order_relaxed);
  return slot;
}

void connection_owner::reconfigure(std::shared_ptr<const connection_config> config) {
  TR_ASSERT_ON_SHARD(home_);
  bool reopen =
      config->host != config_->host || config->port != config_->port || config->tls != config_->tls;
  if (!(config->key == config_->key)) signer_ = codecs::token_signer{config->key};
  config_ = std::move(config);
  // A request sent before the change is not sent again as it was (its key, path or format may
  // be the old ones): refused by the AS, it fails.
  for (auto& r : slots_) r.resendable = false;
  apply_ceiling();
  publish_state();  // a pause or a resume is a transition
  if (!reopen || !upstream_) return;
  upstream_->retarget({config_->host, config_->port, config_->tls});
}

void connection_owner::retire_into(std::shared_ptr<connection_owner> successor) {
  successor_ = std::move(successor);
  // The AS did not change: its fuse state (open, throttled) goes with the connection.
  flush_fuse();  // what this owner learned reaches the fuse before the successor's outcomes
  successor_->home().post([next = successor_, learned = gate_, losses = std::move(losses_),
                           state = published_state_,
                           resumed = resumed_](transport::shard&) mutable {
    next->gate_.apply(learned.current());  // unless the fuse already posted a newer one
    next->gate_.release_probe();           // a probe in flight stays with the old owner
    next->losses_ = std::move(losses);
    next->published_state_ = state;
    next->resumed_ = resumed;
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
  // A move (graceful): what waits for a session (one may still be connecting) and what is in
  // flight finish here; new reports go to the successor. At once: all of it fails now.
  graceful_ = graceful;
  if (upstream_) upstream_->retire(graceful);
  if (in_flight_ == 0) release_when_done();
}

void connection_owner::note_delivered() {
  failing_ = false;
  if (!failure_logged_) return;
  failure_logged_ = false;
  logging::info("connection delivering again",
                {{"connection", config_->name}, {"id", config_->id}});
}

}  // namespace tr::actors
