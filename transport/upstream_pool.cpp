#include "transport/upstream_pool.hpp"

#include <algorithm>

#include "transport/tls_connection.hpp"

namespace tr::transport {

struct upstream_pool::session {
  std::uint32_t id = 0;
  connect_id connecting{};       ///< set while the TCP connect runs
  connection_handle handle{};    ///< set once adopted by the shard
  bool tls = true;
  bool ready = false;     ///< the client engine exists (plain: at once; TLS: after the handshake)
  bool draining = false;  ///< takes no new requests; closes when idle
  bool idle_armed = false;  ///< an idle check is scheduled
  bool timed_out = false;   ///< closed by the handshake timeout
  /// The engine adopted for it, typed (valid while `handle` is open): one of the two.
  tls_connection<client_connection>* tls_engine = nullptr;
  client_connection* plain_engine = nullptr;
  shard::clock::time_point last_used{};
};

struct upstream_pool::entry {
  std::uint64_t cookie = 0;
  std::uint32_t generation = 1;
  std::uint32_t session_id = 0;  ///< 0 while waiting for a session
  stream_id stream = 0;
  bool live = false;
};

/// A request waiting for a session, copied (the caller's views die with submit()).
struct upstream_pool::waiting_request {
  std::uint32_t index;
  std::string method, authority, path, body;
  std::vector<std::pair<std::string, std::string>> headers;
};

namespace {

/// A plain target speaks HTTP/1.1; a TLS one whatever its ALPN says (h2 until told otherwise).
bool starts_http1(const upstream_target& t) { return !t.tls; }

}  // namespace

upstream_pool::upstream_pool(shard& home, upstream_target target, const upstream_options& options,
                             upstream_user& user)
    : home_(home),
      target_(std::move(target)),
      options_(options),
      user_(&user),
      http1_only_(starts_http1(target_)) {}

upstream_pool::~upstream_pool() = default;

std::size_t upstream_pool::sessions() const { return sessions_.size(); }

upstream::submitted upstream_pool::submit(const client_request& req, std::uint64_t cookie) {
  TR_ASSERT_ON_SHARD(home_);
  if (retired_ || !user_) return {};
  auto index = take_entry(cookie);
  upstream_ticket ticket{index, entries_[index].generation};
  if (send_now(index, req)) return {verdict::sent, ticket};
  bool opening = connecting();
  if (!opening && (!may_open() || home_.draining())) {
    free_entry(index);  // every session at its limit, or shutting down: no new session
    return {};
  }
  waiting_request w{index, std::string{req.method}, std::string{req.authority},
                    std::string{req.path}, std::string{as_text(req.body)}, {}};
  for (auto& h : req.headers) w.headers.emplace_back(h.name, h.value);
  waiting_.push_back(std::move(w));
  if (!opening) open_session();
  return {verdict::waiting, ticket};
}

bool upstream_pool::send_now(std::uint32_t index, const client_request& req) {
  for (auto& s : sessions_) {
    if (!s.ready || s.draining) continue;
    auto* client = client_of(s);
    if (!client) continue;
    if (client->needs_new_connection()) {
      s.draining = true;  // GOAWAY or stream ids used up: closes when idle, others open
      continue;
    }
    if (!client->can_submit()) continue;
    client_request request = req;
    request.scheme = s.tls ? "https" : "http";
    auto generation = entries_[index].generation;
    auto stream = client->submit(request, [this, index, generation](const error& err,
                                                                     const response& res) {
      answered(index, generation, err, res);
    });
    if (!stream) continue;
    entries_[index].session_id = s.id;
    entries_[index].stream = *stream;
    s.last_used = home_.now();
    home_.mark_dirty(s.handle);
    return true;
  }
  return false;
}

void upstream_pool::cancel(upstream_ticket ticket) {
  if (ticket.index >= entries_.size()) return;
  auto& e = entries_[ticket.index];
  if (!e.live || e.generation != ticket.generation) return;
  if (e.session_id == 0) {
    std::erase_if(waiting_, [&](const waiting_request& w) { return w.index == ticket.index; });
    return answer(ticket.index, error{error_code::cancelled, "cancelled while waiting for a session"},
                  false);
  }
  auto* s = find_session(e.session_id);
  auto* client = s ? client_of(*s) : nullptr;
  if (client) {
    auto handle = s->handle;  // the answer may open a session and move sessions_
    client->cancel(e.stream);  // answers from inside
    home_.mark_dirty(handle);
  }
  auto& after = entries_[ticket.index];  // answers may have grown entries_
  if (after.live && after.generation == ticket.generation)
    answer(ticket.index, error{error_code::cancelled, "cancelled"}, true);
}

void upstream_pool::open_session() {
  if (retired_ && !graceful_) return;
  if (home_.draining()) {  // shutting down: no new connections
    return fail_waiting(error{error_code::busy, "shutting down: no new session"}, true);
  }
  if (sessions_.size() >= max_sessions()) {
    // Sessions that take no more (a GOAWAY) count until they close: a server that sends GOAWAY
    // on every session cannot make the pool open more and more of them.
    return fail_waiting(error{error_code::busy, "every session busy or closing"});
  }
  // A TLS server that ends each session after an answer or two would have the shard spend its
  // time in handshakes (~1 ms each): at most tls_sessions_per_second TLS sessions come up a
  // second. Plain connections cost little: an HTTP/1.0-style server closing after each answer
  // is not held back.
  auto now = home_.now();
  if (now - handshakes_since_ >= std::chrono::seconds{1}) {
    handshakes_since_ = now;
    handshakes_ = 0;
  }
  if (handshakes_ >= options_.tls_sessions_per_second)
    return fail_waiting(error{error_code::busy, "sessions to this server open too often"});
  auto id = next_session_id_++;
  session s;
  s.id = id;
  s.tls = target_.tls;
  sessions_.push_back(s);
  auto timeout = std::min(options_.connect_timeout, options_.handshake_timeout);
  auto done = [w = weak_from_this(), id](connect_result result) {
    if (auto self = w.lock()) self->on_connected(id, std::move(result));
  };
  connect_id connecting =
      options_.allow_address
          ? home_.connect(target_.host, target_.port, timeout, *options_.allow_address,
                          std::move(done))
          : home_.connect(target_.host, target_.port, timeout, std::move(done));
  if (auto* made = find_session(id)) made->connecting = connecting;
  // A handshake that never completes must not hold the requests: abandon the session.
  home_.schedule(options_.handshake_timeout, [w = weak_from_this(), id] {
    if (auto self = w.lock()) self->on_handshake_timeout(id);
  });
}

void upstream_pool::on_handshake_timeout(std::uint32_t session_id) {
  auto* s = find_session(session_id);
  if (!s || s->ready) return;
  if (s->handle) {
    s->timed_out = true;
    return home_.close(s->handle);  // on_close fails what waits
  }
  if (s->connecting) home_.cancel_connect(s->connecting);
  sessions_.erase(sessions_.begin() + (s - sessions_.data()));
  fail_waiting(error{error_code::tls_handshake_failed,
                     "no TCP connection and TLS handshake within the handshake timeout"});
}

void upstream_pool::on_connected(std::uint32_t session_id, connect_result result) {
  auto* s = find_session(session_id);
  if (!s) return;
  s->connecting = {};
  auto drop = [&](error why) {
    sessions_.erase(std::find_if(sessions_.begin(), sessions_.end(),
                                 [&](const session& x) { return x.id == session_id; }));
    fail_waiting(why);
  };
  if (!result) {
    if (result.status.failure == io_failure::timed_out)
      return drop(error{error_code::cancelled,
                        "connect: no TCP connection in time: " + result.status.message()});
    return drop(error{error_code::refused, "connect: " + result.status.message()});
  }
  if ((retired_ && !graceful_) || s->draining || !user_)
    return drop(error{error_code::connection_closed, "the session is no longer wanted"});
  std::unique_ptr<connection_engine> engine;
  tls_connection<client_connection>* tls_engine = nullptr;
  client_connection* plain_engine = nullptr;
  if (s->tls) {
    auto tls = options_.tls ? options_.tls->connect(target_.host)
                            : expected<tls_session>{error{error_code::tls_error, "no TLS context"}};
    if (!tls) return drop(error{error_code::tls_error, "TLS: " + tls.error_value().message()});
    auto made = std::make_unique<tls_connection<client_connection>>(
        std::move(*tls), [this, session_id](std::string_view alpn) {
          http1_only_ = alpn != "h2";
          home_.post([w = weak_from_this(), session_id](shard&) {
            auto self = w.lock();
            if (!self) return;
            if (auto* ready = self->find_session(session_id)) {
              ++self->handshakes_;
              ready->ready = true;
              ready->last_used = self->home_.now();
              self->arm_idle_check(*ready, ready->last_used);
              self->flush_waiting();
            }
          });
          return make_client_connection(alpn, options_.client);
        });
    tls_engine = made.get();
    engine = std::move(made);
  } else {
    auto made = make_client_connection("", options_.client);
    plain_engine = made.get();
    engine = std::move(made);
    s->ready = true;
  }
  auto handle = home_.adopt(std::move(result.connected), std::move(engine), *this);
  s = find_session(session_id);
  if (!s) return;
  if (!handle) return drop(error{error_code::connection_closed, "shutting down"});
  s->handle = handle;
  s->tls_engine = tls_engine;
  s->plain_engine = plain_engine;
  home_.mark_dirty(handle);
  if (s->ready) {
    s->last_used = home_.now();
    arm_idle_check(*s, s->last_used);
    flush_waiting();
  }
}

void upstream_pool::arm_idle_check(session& s, shard::clock::time_point at) {
  if (options_.idle_timeout.count() <= 0 || s.idle_armed) return;
  s.idle_armed = true;
  home_.schedule(at + options_.idle_timeout, [w = weak_from_this(), id = s.id] {
    if (auto self = w.lock()) self->on_idle_check(id);
  });
}

void upstream_pool::on_idle_check(std::uint32_t session_id) {
  auto* s = find_session(session_id);
  if (!s) return;
  s->idle_armed = false;
  auto* client = client_of(*s);
  if (!client) return;
  auto quiet_since = s->last_used;
  if (client->in_flight() == 0 && home_.now() - quiet_since >= options_.idle_timeout) {
    s->draining = true;
    return home_.close(s->handle);
  }
  // Busy, or used since: look again one idle period after its last use (at least 1 ms on).
  arm_idle_check(*s, std::max(quiet_since, home_.now() - options_.idle_timeout +
                                               std::chrono::milliseconds{1}));
}

void upstream_pool::flush_waiting() {
  std::size_t sent = 0;
  std::vector<header> headers;
  while (sent < waiting_.size()) {
    auto& w = waiting_[sent];
    headers.clear();
    for (auto& h : w.headers) headers.push_back({h.first, h.second});
    client_request req;
    req.method = w.method;
    req.authority = w.authority;
    req.path = w.path;
    req.headers = headers;
    req.body = as_bytes(w.body);
    if (!send_now(w.index, req)) break;
    ++sent;
  }
  waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(sent));
  if (waiting_.empty()) return;
  if (!connecting() && may_open()) open_session();
}

void upstream_pool::answered(std::uint32_t index, std::uint32_t generation, const error& err,
                             const response& res) {
  if (index >= entries_.size() || !entries_[index].live || entries_[index].generation != generation)
    return;
  auto cookie = entries_[index].cookie;
  free_entry(index);
  if (user_) user_->on_answer(cookie, err, res, true);
  settle();
}

void upstream_pool::answer(std::uint32_t index, const error& err, bool sent) {
  auto cookie = entries_[index].cookie;
  free_entry(index);
  if (user_) user_->on_answer(cookie, err, response{}, sent);
}

void upstream_pool::fail_waiting(const error& err, bool always) {
  bool ready = std::any_of(sessions_.begin(), sessions_.end(),
                           [](const session& s) { return s.ready && !s.draining; });
  if (!always && !retired_ && (connecting() || ready)) return;  // a session will take them
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& w : waiting) answer(w.index, err, false);
}

void upstream_pool::settle() {
  close_idle_renewed_sessions();
  // A stream or an HTTP/1.1 session may have just become free for a request that waits: flush
  // from a post, not from inside the engine call that got us here.
  if (!waiting_.empty() && !flush_posted_ && (!retired_ || graceful_)) {
    flush_posted_ = true;
    home_.post([w = weak_from_this()](shard&) {
      if (auto self = w.lock()) {
        self->flush_posted_ = false;
        self->flush_waiting();
      }
    });
  }
}

void upstream_pool::close_idle_renewed_sessions() {
  // Retiring gracefully: sessions serve what waits, then close once idle.
  bool retiring = (graceful_ && waiting_.empty()) || !user_;
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

void upstream_pool::on_close(shard&, connection_handle handle, const io_status& why_closed) {
  auto* s = find_session(handle);
  if (!s) return;
  auto self = shared_from_this();  // answers may drop the user's last reference
  auto id = s->id;
  bool was_ready = s->ready;
  bool timed_out = s->timed_out;
  sessions_.erase(sessions_.begin() + (s - sessions_.data()));
  std::string message = was_ready ? "the connection to the server closed" : "TLS handshake failed";
  if (timed_out)
    message = "no TCP connection and TLS handshake within the handshake timeout";
  else if (why_closed)
    message += ": " + why_closed.message();
  error why{was_ready ? error_code::connection_closed : error_code::tls_handshake_failed,
            std::move(message)};
  for (std::uint32_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].live && entries_[i].session_id == id) answer(i, why, true);
  if (!was_ready) {
    fail_waiting(why);  // the TLS handshake failed: no use trying again
  } else if (!waiting_.empty() && !connecting() && !retired_) {
    open_session();
  }
  if (retired_ && sessions_.empty())
    fail_waiting(error{error_code::connection_closed, "no session any more"}, true);
  close_idle_renewed_sessions();
  if (!user_ && !has_connections()) self_.reset();
}

void upstream_pool::on_drain(shard&, connection_handle handle) {
  if (auto* s = find_session(handle)) s->draining = true;
  close_idle_renewed_sessions();
}

void upstream_pool::retarget(const upstream_target& target) {
  target_ = target;
  http1_only_ = starts_http1(target_);
  for (auto& s : sessions_) {
    s.draining = true;
    if (s.connecting) home_.cancel_connect(s.connecting);
  }
  std::erase_if(sessions_, [](const session& s) { return !s.handle; });
  close_idle_renewed_sessions();
  if (!waiting_.empty()) open_session();
}

void upstream_pool::retire(bool graceful) {
  if (retired_) return;
  retired_ = true;
  if (graceful) {
    graceful_ = true;
    if (waiting_.empty()) {
      for (auto& s : sessions_)
        if (s.connecting) home_.cancel_connect(s.connecting);
      std::erase_if(sessions_, [](const session& s) { return !s.handle; });
    }
    close_idle_renewed_sessions();
  } else {
    fail_waiting(error{error_code::connection_closed, "the upstream was retired"}, true);
    for (auto& s : sessions_) {
      if (s.connecting)
        home_.cancel_connect(s.connecting);
      else if (s.handle)
        home_.close(s.handle);
    }
    std::erase_if(sessions_, [](const session& s) { return !s.handle; });
  }
  if (sessions_.empty()) fail_waiting(error{error_code::connection_closed, "no session"}, true);
}

void upstream_pool::detach() {
  user_ = nullptr;
  retired_ = true;
  waiting_.clear();
  for (auto& s : sessions_) {
    if (s.connecting)
      home_.cancel_connect(s.connecting);
    else if (s.handle)
      home_.close(s.handle);
  }
  std::erase_if(sessions_, [](const session& s) { return !s.handle; });
  if (has_connections()) self_ = shared_from_this();
}

std::uint32_t upstream_pool::take_entry(std::uint64_t cookie) {
  std::uint32_t index;
  if (!free_entries_.empty()) {
    index = free_entries_.back();
    free_entries_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
  }
  auto& e = entries_[index];
  e.cookie = cookie;
  e.live = true;
  e.session_id = 0;
  e.stream = 0;
  return index;
}

void upstream_pool::free_entry(std::uint32_t index) {
  auto& e = entries_[index];
  e.live = false;
  ++e.generation;
  free_entries_.push_back(index);
}

upstream_pool::session* upstream_pool::find_session(std::uint32_t id) {
  for (auto& s : sessions_)
    if (s.id == id) return &s;
  return nullptr;
}

upstream_pool::session* upstream_pool::find_session(connection_handle handle) {
  for (auto& s : sessions_)
    if (s.handle == handle && handle) return &s;
  return nullptr;
}

client_connection* upstream_pool::client_of(const session& s) const {
  if (!home_.is_open(s.handle)) return nullptr;
  return s.tls_engine ? s.tls_engine->engine() : s.plain_engine;
}

std::size_t upstream_pool::session_limit() const {
  return std::max<std::size_t>(1,
                               http1_only_ ? options_.http1_sessions : options_.http2_sessions);
}

std::size_t upstream_pool::max_sessions() const {
  return 2 * session_limit();
}

bool upstream_pool::may_open() const {
  return usable() < session_limit() && sessions_.size() < max_sessions();
}

bool upstream_pool::connecting() const {
  return std::any_of(sessions_.begin(), sessions_.end(),
                     [](const session& s) { return !s.ready && !s.draining; });
}

std::size_t upstream_pool::usable() const {
  return static_cast<std::size_t>(std::count_if(sessions_.begin(), sessions_.end(),
                                                [](const session& s) { return !s.draining; }));
}

bool upstream_pool::has_connections() const {
  return std::any_of(sessions_.begin(), sessions_.end(),
                     [&](const session& s) { return home_.is_open(s.handle); });
}

}  // namespace tr::transport
