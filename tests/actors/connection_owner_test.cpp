// The connection owner's decisions without sockets or threads: a scripted upstream stands for
// the sessions to the AS (it takes a request on a free stream, keeps it while a session
// connects, is full, answers 200 or 503, never answers, fails to connect) and a simulated clock
// for the shard's time and timers, advanced by the test. The shard the owner names as its home
// is never started: the owner takes its time and timers from the clock, its sessions from the
// upstream.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/connection_owner.hpp"
#include "actors/metrics.hpp"
#include "codecs/report_parser.hpp"
#include "tests/support/captured_stderr.hpp"
#include "transport/runtime/runtime.hpp"

using namespace tr;
using namespace std::chrono_literals;
using actors::uplink_outcome;
using transport::upstream;

namespace {

/// Time that moves only when the test says so; timers run in deadline order as it passes them.
class sim_clock final : public transport::loop_clock {
 public:
  clock::time_point now() const override { return now_; }
  clock::time_point precise_now() const override { return now_; }
  transport::timer_id schedule(clock::time_point deadline,
                               transport::unique_function<void()> fn) override {
    auto id = ++next_;
    timers_.emplace(std::make_pair(std::max(deadline, now_), id), std::move(fn));
    return transport::timer_id{id};
  }
  bool cancel(transport::timer_id id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second != id.value) continue;
      timers_.erase(it);
      return true;
    }
    return false;
  }
  /// Moves time on by `by`, running each timer due on the way at its own deadline.
  void advance(clock::duration by) {
    auto until = now_ + by;
    while (!timers_.empty() && timers_.begin()->first.first <= until) {
      auto it = timers_.begin();
      now_ = it->first.first;
      auto fn = std::move(it->second);
      timers_.erase(it);
      fn();
    }
    now_ = until;
  }
  std::size_t pending() const { return timers_.size(); }

 private:
  clock::time_point now_ = clock::time_point{} + 1000h;
  std::uint64_t next_ = 0;
  std::map<std::pair<clock::time_point, std::uint64_t>, transport::unique_function<void()>> timers_;
};

/// The sessions to the AS, as the test scripts them.
class scripted_upstream final : public upstream {
 public:
  struct taken {
    std::uint64_t cookie;
    transport::upstream_ticket ticket;
    std::string path;
    std::string body;
    bool sent;  ///< on a stream now (else waiting for a session)
    bool answered = false;
  };

  scripted_upstream(transport::upstream_user& user, std::shared_ptr<bool> detached)
      : detached_(std::move(detached)), user_(user) {}
  ~scripted_upstream() override { EXPECT_TRUE(*detached_) << "destroyed without detach()"; }

  verdict mode = verdict::sent;  ///< what submit() does with the next request
  std::vector<taken> requests;
  int retired = -1;  ///< -1: not retired; else 1 graceful, 0 at once
  std::vector<transport::upstream_target> retargets;

  submitted submit(const transport::client_request& req, std::uint64_t cookie) override {
    if (mode == verdict::full || retired >= 0) return {};
    transport::upstream_ticket ticket{static_cast<std::uint32_t>(requests.size()), 1};
    requests.push_back({cookie, ticket, std::string{req.path},
                        std::string{transport::as_text(req.body)}, mode == verdict::sent});
    return {mode, ticket};
  }
  void cancel(transport::upstream_ticket ticket) override {
    auto& r = requests.at(ticket.index);
    if (r.answered) return;
    answer_with(ticket.index, transport::error{transport::error_code::cancelled, "cancelled"});
  }
  bool http1() const override { return false; }
  void retarget(const transport::upstream_target& target) override { retargets.push_back(target); }
  void retire(bool graceful) override {
    retired = graceful ? 1 : 0;
    if (graceful) return;
    for (std::size_t i = 0; i < requests.size(); ++i)
      if (!requests[i].answered)
        answer_with(i, transport::error{transport::error_code::connection_closed, "retired"});
  }
  void detach() override { *detached_ = true; }

  /// The session came up: what waited goes out.
  void connected() {
    for (auto& r : requests) r.sent = true;
    mode = verdict::sent;
  }
  /// Request `i` is answered with `status`.
  void answer(std::size_t i, int status) {
    auto& r = requests.at(i);
    ASSERT_FALSE(r.answered);
    ASSERT_TRUE(r.sent);
    r.answered = true;
    transport::response res;
    res.status = status;
    user_.on_answer(r.cookie, {}, res, true);
  }
  /// Request `i` ends with `err` (not sent when it was still waiting).
  void answer_with(std::size_t i, const transport::error& err) {
    auto& r = requests.at(i);
    r.answered = true;
    user_.on_answer(r.cookie, err, {}, r.sent);
  }
  /// The session that was connecting failed: what waits for it fails with `err`.
  void fail_connect(const transport::error& err) {
    for (std::size_t i = 0; i < requests.size(); ++i)
      if (!requests[i].answered && !requests[i].sent) answer_with(i, err);
    mode = verdict::sent;
  }
  std::size_t unanswered() const {
    std::size_t n = 0;
    for (auto& r : requests) n += !r.answered;
    return n;
  }

 private:
  std::shared_ptr<bool> detached_;
  transport::upstream_user& user_;
};

/// A fuse link that keeps every batch for the test (no fuse answers: the test applies
/// admission snapshots itself).
class recording_fuse_link final : public actors::fuse_link {
 public:
  recording_fuse_link() : fuse_link(actors::fuse::params{}, 1) {}
  void report(std::vector<actors::fuse_event>&& batch) override {
    for (auto& e : batch) events.push_back(e);
  }
  std::size_t count(actors::fuse_event::kind what, actors::fuse::signal signal) const {
    std::size_t n = 0;
    for (auto& e : events) n += e.what == what && e.signal == signal;
    return n;
  }
  std::vector<actors::fuse_event> events;

 private:
  void reconfigure(const actors::fuse::params&) override {}
};

std::string uplink(const std::string& dev_eui) {
  return R"({"DevEUI_uplink":{"DevEUI":")" + dev_eui +
         R"(","FPort":1,"FCntUp":7,"payload_hex":"00","CustomerID":"1"}})";
}

struct connection_owner : ::testing::Test {
  transport::runtime rt{1};  // never started: the owner's home shard, by name only
  sim_clock clock;
  actors::metrics_registry metrics;
  actors::uplink_environment env = environment();
  std::shared_ptr<recording_fuse_link> fuse = std::make_shared<recording_fuse_link>();
  scripted_upstream* as = nullptr;  // made by the owner on its first report
  std::shared_ptr<bool> detached = std::make_shared<bool>(false);
  std::shared_ptr<actors::connection_owner> owner;

  actors::uplink_environment environment() {
    transport::tls_client_config tls;
    actors::uplink_environment made{*transport::tls_context::client(tls)};
    made.metrics = &metrics;
    made.fuse_params.max_limit = 4;
    made.fuse_params.latency_target = 500ms;
    made.clock = &clock;
    made.make_upstream = [this](transport::shard&, const transport::upstream_target& target,
                                transport::upstream_user& user) {
      EXPECT_EQ(target.host, "as.example");
      auto made = std::make_shared<scripted_upstream>(user, detached);
      as = made.get();
      return made;
    };
    return made;
  }

  static std::shared_ptr<actors::connection_config> config(bool paused = false) {
    auto c = std::make_shared<actors::connection_config>();
    c->id = "c1";
    c->as_id = "as.1";
    c->name = "AS one";
    c->key = *codecs::signing_key::parse(std::string(32, 'a'));
    c->host = "as.example";
    c->port = 443;
    c->authority = "as.example";
    c->path_prefix = "/uplink?";
    c->headers = {{"content-type", "application/json"}};
    c->request_timeout = 5000ms;
    c->paused = paused;
    return c;
  }

  void SetUp() override {
    owner = std::make_shared<actors::connection_owner>(rt.at(0), config(), env, fuse);
  }

  /// A report parsed once, as the ingress hands it to an owner.
  static actors::shared_report parsed(const std::string& body) {
    auto report = std::make_shared<codecs::report>();
    codecs::report_parser parser;
    EXPECT_TRUE(parser.parse_json(body, *report).ok());
    return report;
  }
  void send(const std::string& dev_eui = "70B3D5E750000001") { owner->send(parsed(uplink(dev_eui))); }
  std::uint64_t total(uplink_outcome o) { return metrics.connection("c1")->total(o); }
  /// An admission snapshot from the fuse, as its actor would post it.
  void admit(actors::fuse::state state, std::uint32_t limit, sim_clock::clock::duration open_for = {}) {
    actors::fuse::snapshot s;
    s.current = state;
    s.limit = limit;
    s.open_until = clock.now() + open_for;
    s.epoch = 1;
    s.version = ++version;
    owner->apply_admission(s);
  }
  std::uint64_t version = 0;
};

using kind = actors::fuse_event::kind;
using signal = actors::fuse::signal;

TEST_F(connection_owner, a_report_goes_out_on_a_free_stream_and_its_200_is_delivered) {
  send();
  ASSERT_NE(as, nullptr);
  ASSERT_EQ(as->requests.size(), 1u);
  EXPECT_EQ(as->requests[0].path.rfind("/uplink?", 0), 0u) << as->requests[0].path;
  EXPECT_NE(as->requests[0].body.find("70B3D5E750000001"), std::string::npos);
  EXPECT_EQ(owner->in_flight(), 1u);
  as->answer(0, 200);
  EXPECT_EQ(total(uplink_outcome::delivered), 1u);
  EXPECT_EQ(owner->in_flight(), 0u);
  clock.advance(200ms);  // a good answer while closed reaches the fuse with the next batch
  EXPECT_EQ(fuse->count(kind::answer, signal::good), 1u);
}

TEST_F(connection_owner, lets_go_of_the_report_while_its_request_is_in_flight) {
  // The ingress parses the next report into this one if no one else holds it; a report kept
  // until the answer made every report a new allocation (a fifth more CPU per uplink and more at
  // peak: BENCHMARKS.md).
  auto report = parsed(uplink("70B3D5E750000001"));
  owner->send(report);
  ASSERT_EQ(owner->in_flight(), 1u);
  EXPECT_EQ(report.use_count(), 1);
  // The request can still go once more, as it was.
  as->answer_with(0, {transport::error_code::refused, "stream refused by the server"});
  ASSERT_EQ(as->requests.size(), 2u);
  EXPECT_EQ(as->requests[1].path, as->requests[0].path);
  EXPECT_EQ(as->requests[1].body, as->requests[0].body);
}

TEST_F(connection_owner, a_request_sent_before_a_change_of_the_connection_is_not_sent_again) {
  // It was signed with the old key for the old path: refused unprocessed, it fails.
  send();
  auto changed = config();
  changed->key = *codecs::signing_key::parse(std::string(32, 'b'));
  owner->reconfigure(changed);
  as->answer_with(0, {transport::error_code::refused, "stream refused by the server"});
  EXPECT_EQ(as->requests.size(), 1u);
  EXPECT_EQ(total(uplink_outcome::failed), 1u);
  EXPECT_EQ(metrics.connection("c1")->resent.load(), 0u);
  // The next one goes with the new key and may go again.
  send();
  as->answer_with(1, {transport::error_code::refused, "stream refused by the server"});
  ASSERT_EQ(as->requests.size(), 3u);
  EXPECT_EQ(as->requests[2].path, as->requests[1].path);
  EXPECT_NE(as->requests[1].path, as->requests[0].path);
}

TEST_F(connection_owner, a_503_is_failed_and_tells_the_fuse_of_overload_at_once) {
  send();
  as->answer(0, 503);
  EXPECT_EQ(total(uplink_outcome::failed), 1u);
  EXPECT_EQ(total(uplink_outcome::delivered), 0u);
  EXPECT_EQ(fuse->count(kind::answer, signal::overload), 1u);  // news: no batch interval
}

TEST_F(connection_owner, a_request_the_as_did_not_process_goes_once_more_then_fails) {
  // A GOAWAY's unprocessed streams and REFUSED_STREAM say so (`refused`, sent): one resend.
  send();
  as->answer_with(0, {transport::error_code::refused, "above the GOAWAY last stream id 0"});
  ASSERT_EQ(as->requests.size(), 2u);
  EXPECT_EQ(as->requests[1].body, as->requests[0].body);
  EXPECT_EQ(total(uplink_outcome::failed), 0u);
  EXPECT_EQ(owner->in_flight(), 1u);
  as->answer(1, 200);
  EXPECT_EQ(total(uplink_outcome::delivered), 1u);
  EXPECT_EQ(metrics.connection("c1")->resent.load(), 1u);
  clock.advance(200ms);
  EXPECT_EQ(fuse->count(kind::answer, signal::failure), 0u) << "the AS did nothing wrong";

  // Refused again: failed, no third try.
  send();
  as->answer_with(2, {transport::error_code::refused, "stream refused by the server"});
  ASSERT_EQ(as->requests.size(), 4u);
  as->answer_with(3, {transport::error_code::refused, "stream refused by the server"});
  EXPECT_EQ(as->requests.size(), 4u);
  EXPECT_EQ(total(uplink_outcome::failed), 1u);
  EXPECT_EQ(owner->in_flight(), 0u);
}

TEST_F(connection_owner, reports_wait_for_a_connecting_session_only_within_the_gates_limit) {
  send();
  as->mode = upstream::verdict::waiting;  // e.g. the AS sent GOAWAY and a new session connects
  for (int i = 0; i < 5; ++i) send();
  // The gate's limit is 4 in flight: three more wait, two are shed, none is queued beyond.
  EXPECT_EQ(as->requests.size(), 4u);
  EXPECT_EQ(total(uplink_outcome::shed), 2u);
  EXPECT_EQ(owner->in_flight(), 4u);
  as->connected();
  for (std::size_t i = 0; i < 4; ++i) as->answer(i, 200);
  EXPECT_EQ(total(uplink_outcome::delivered), 4u);
  EXPECT_EQ(owner->in_flight(), 0u);
  send();
  EXPECT_EQ(as->requests.size(), 5u);  // room again
}

TEST_F(connection_owner, a_full_upstream_sheds_the_report_at_once) {
  send();
  as->answer(0, 200);
  as->mode = upstream::verdict::full;
  send();
  EXPECT_EQ(total(uplink_outcome::shed), 1u);
  EXPECT_EQ(owner->in_flight(), 0u);
  EXPECT_EQ(fuse->count(kind::answer, signal::failure), 0u);  // shedding says nothing of the AS
}

TEST_F(connection_owner, an_unanswered_report_tells_the_fuse_at_the_latency_target_then_times_out) {
  send();
  clock.advance(499ms);
  EXPECT_EQ(fuse->count(kind::unanswered, signal::failure), 0u);
  clock.advance(1ms);
  EXPECT_EQ(fuse->count(kind::unanswered, signal::failure), 1u);
  EXPECT_EQ(total(uplink_outcome::timeout), 0u);
  clock.advance(4499ms);
  EXPECT_EQ(total(uplink_outcome::timeout), 0u);
  clock.advance(1ms);  // as.request_timeout_ms: the owner cancels it on its session
  EXPECT_TRUE(as->requests[0].answered);
  EXPECT_EQ(total(uplink_outcome::timeout), 1u);
  EXPECT_EQ(owner->in_flight(), 0u);
  EXPECT_EQ(fuse->count(kind::timed_out, signal::failure), 1u);
}

TEST_F(connection_owner, a_report_waiting_for_a_session_that_never_comes_times_out_too) {
  send();
  as->answer(0, 200);
  as->mode = upstream::verdict::waiting;
  send();
  clock.advance(5000ms);
  EXPECT_TRUE(as->requests[1].answered);  // cancelled while waiting
  EXPECT_EQ(total(uplink_outcome::timeout), 1u);
  EXPECT_EQ(owner->in_flight(), 0u);
}

TEST_F(connection_owner, a_refused_connect_fails_what_waits_with_its_reason) {
  send();
  as->answer(0, 200);
  as->mode = upstream::verdict::waiting;
  send();
  send();
  as->fail_connect({transport::error_code::refused, "connect: system: Connection refused"});
  EXPECT_EQ(total(uplink_outcome::failed), 2u);
  EXPECT_EQ(as->requests.size(), 3u) << "a refused connect is not a request to send again";
  EXPECT_EQ(owner->in_flight(), 0u);
  EXPECT_EQ(fuse->count(kind::answer, signal::failure), 1u);  // news goes at once...
  clock.advance(2ms);  // ... at most one batch per 2 ms
  EXPECT_EQ(fuse->count(kind::answer, signal::failure), 2u);
  EXPECT_EQ(fuse->count(kind::timed_out, signal::failure), 0u);
  api::connection_status status;
  metrics.connection("c1")->health.summarize(clock.now(), status);
  ASSERT_FALSE(status.failures.empty());
  EXPECT_EQ(status.failures.back().kind, "refused");
  // The latency histogram holds the one answer, not the refusals (no round trip of the AS's).
  EXPECT_EQ(metrics.connection("c1")->latency.count(), 1u);
}

TEST_F(connection_owner, a_connect_timeout_counts_as_a_timeout_for_the_fuse) {
  send();
  as->answer(0, 200);
  as->mode = upstream::verdict::waiting;
  send();
  as->fail_connect({transport::error_code::cancelled, "connect: no TCP connection in time"});
  EXPECT_EQ(total(uplink_outcome::failed), 1u);
  EXPECT_EQ(fuse->count(kind::timed_out, signal::failure), 1u);
}

TEST_F(connection_owner, shutting_down_sheds_what_waits) {
  send();
  as->answer(0, 200);
  as->mode = upstream::verdict::waiting;
  send();
  as->fail_connect({transport::error_code::busy, "shutting down"});
  EXPECT_EQ(total(uplink_outcome::shed), 1u);
  EXPECT_EQ(total(uplink_outcome::failed), 0u);
}

TEST_F(connection_owner, the_next_delivered_uplink_of_a_device_carries_what_it_lost) {
  send("70B3D5E7500000AA");
  as->answer(0, 503);
  as->mode = upstream::verdict::full;
  send("70B3D5E7500000AA");  // shed
  send("70B3D5E7500000BB");  // shed, another device
  as->mode = upstream::verdict::sent;
  send("70B3D5E7500000AA");
  EXPECT_NE(as->requests[1].body.find(R"("LostUplinksAS":2)"), std::string::npos)
      << as->requests[1].body;
  as->answer(1, 200);
  send("70B3D5E7500000AA");
  EXPECT_NE(as->requests[2].body.find(R"("LostUplinksAS":0)"), std::string::npos)
      << as->requests[2].body;
  send("70B3D5E7500000BB");
  EXPECT_NE(as->requests[3].body.find(R"("LostUplinksAS":1)"), std::string::npos)
      << as->requests[3].body;
}

TEST_F(connection_owner, two_uplinks_of_a_device_in_flight_at_once_do_not_both_tell_its_losses) {
  owner->reconfigure(config(true));
  send("70B3D5E7500000AA");
  send("70B3D5E7500000AA");  // two lost while paused
  owner->reconfigure(config(false));
  send("70B3D5E7500000AA");
  send("70B3D5E7500000AA");  // before the first one's answer
  ASSERT_EQ(as->requests.size(), 2u);
  EXPECT_NE(as->requests[0].body.find(R"("LostUplinksAS":2)"), std::string::npos)
      << as->requests[0].body;
  EXPECT_NE(as->requests[1].body.find(R"("LostUplinksAS":0)"), std::string::npos)
      << as->requests[1].body;
  // The one that told them fails: they are told again, with it, by the next one.
  as->answer(0, 500);
  as->answer(1, 200);
  send("70B3D5E7500000AA");
  EXPECT_NE(as->requests[2].body.find(R"("LostUplinksAS":3)"), std::string::npos)
      << as->requests[2].body;
}

TEST_F(connection_owner, a_count_carried_by_an_uplink_that_fails_is_not_lost) {
  send("70B3D5E7500000AA");
  as->answer(0, 503);
  send("70B3D5E7500000AA");
  EXPECT_NE(as->requests[1].body.find(R"("LostUplinksAS":1)"), std::string::npos);
  as->answer(1, 500);
  send("70B3D5E7500000AA");
  EXPECT_NE(as->requests[2].body.find(R"("LostUplinksAS":2)"), std::string::npos)
      << as->requests[2].body;
}

/// How many lines of `text` hold `what`.
std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(connection_owner, a_run_of_failures_held_back_by_the_minute_is_logged_once_the_minute_ends) {
  std::size_t answered = 0;
  auto fail_one = [&] {
    send();
    as->answer(answered++, 503);
  };
  auto log = tr::test::stderr_of([&] {
    fail_one();  // a first run: its line
    send();
    as->answer(answered++, 200);  // and the delivery again
    clock.advance(10s);
    fail_one();  // a second run within the minute: held back
    clock.advance(20s);
    fail_one();
  });
  EXPECT_EQ(count_of(log, "connection failing"), 1u) << log;
  EXPECT_EQ(count_of(log, "connection delivering again"), 1u) << log;
  // The second run goes on past the minute: its line comes then, counting the one held back.
  log = tr::test::stderr_of([&] {
    clock.advance(40s);
    fail_one();
    fail_one();
  });
  EXPECT_EQ(count_of(log, "connection failing"), 1u) << log;
  EXPECT_NE(log.find("suppressed=1"), std::string::npos) << log;
}

TEST_F(connection_owner, a_paused_connection_sends_nothing_and_counts_the_losses) {
  owner->reconfigure(config(true));
  send("70B3D5E7500000AA");
  send("70B3D5E7500000AA");
  EXPECT_EQ(as, nullptr);  // no session was even asked for
  EXPECT_EQ(total(uplink_outcome::paused), 2u);
  owner->reconfigure(config(false));
  send("70B3D5E7500000AA");
  ASSERT_NE(as, nullptr);
  EXPECT_NE(as->requests[0].body.find(R"("LostUplinksAS":2)"), std::string::npos);
}

TEST_F(connection_owner, an_open_fuse_sheds_until_its_period_ends_then_lets_one_probe_through) {
  send();
  as->answer(0, 200);
  admit(actors::fuse::state::open, 1, 2000ms);
  send();
  EXPECT_EQ(total(uplink_outcome::shed), 1u);
  clock.advance(2000ms);
  send();
  send();
  EXPECT_EQ(as->requests.size(), 2u);  // one probe, the other shed
  EXPECT_EQ(total(uplink_outcome::shed), 2u);
  as->answer(1, 200);
  EXPECT_EQ(fuse->events.back().what, kind::answer);
  EXPECT_TRUE(fuse->events.back().probe);
}

TEST_F(connection_owner, a_graceful_retire_finishes_what_is_in_flight_then_lets_go) {
  send();
  send();
  std::weak_ptr<actors::connection_owner> watch = owner;
  owner->retire(true);
  EXPECT_EQ(as->retired, 1);
  owner.reset();  // what the data plane does: the retired owner keeps itself
  ASSERT_FALSE(watch.expired());
  watch.lock()->send(parsed(uplink("70B3D5E750000001")));
  EXPECT_EQ(as->requests.size(), 2u);  // new reports are not sent by a retired owner
  EXPECT_EQ(total(uplink_outcome::shed), 1u);
  as->answer(0, 200);
  as->answer(1, 200);
  EXPECT_EQ(total(uplink_outcome::delivered), 2u);
  EXPECT_FALSE(*detached);
  clock.advance(1ms);
  EXPECT_TRUE(watch.expired());
  EXPECT_TRUE(*detached);
}

TEST_F(connection_owner, retiring_at_once_fails_what_is_in_flight_without_telling_the_fuse) {
  send();
  send();
  std::weak_ptr<actors::connection_owner> watch = owner;
  auto events_before = fuse->events.size();
  owner->retire(false);
  EXPECT_EQ(as->retired, 0);
  EXPECT_EQ(total(uplink_outcome::failed), 2u);
  EXPECT_EQ(fuse->events.size(), events_before);  // closed here: nothing learned about the AS
  owner.reset();
  clock.advance(1ms);
  EXPECT_TRUE(watch.expired());
}

TEST_F(connection_owner, an_owner_that_goes_away_detaches_its_upstream_first) {
  send();
  as->answer(0, 200);
  owner->retire(false);
  owner.reset();
  EXPECT_FALSE(*detached);  // kept until the retire's release runs
  clock.advance(1ms);
  EXPECT_TRUE(*detached);
}

TEST_F(connection_owner, a_new_address_retargets_the_upstream_and_a_new_key_does_not) {
  send();
  auto moved = config();
  moved->host = "as2.example";
  moved->port = 8443;
  owner->reconfigure(moved);
  ASSERT_EQ(as->retargets.size(), 1u);
  EXPECT_EQ(as->retargets[0].host, "as2.example");
  EXPECT_EQ(as->retargets[0].port, 8443);
  EXPECT_TRUE(as->retargets[0].tls);
  auto rekeyed = std::make_shared<actors::connection_config>(*moved);
  rekeyed->key = *codecs::signing_key::parse(std::string(32, 'b'));
  owner->reconfigure(rekeyed);
  EXPECT_EQ(as->retargets.size(), 1u);
  as->answer(0, 200);  // what was in flight finishes where it was sent
  EXPECT_EQ(total(uplink_outcome::delivered), 1u);
}

TEST_F(connection_owner, a_test_uplink_reports_status_and_request_line) {
  api::test_uplink_result seen;
  bool done = false;
  owner->send_test([&](api::test_uplink_result r) {
    seen = std::move(r);
    done = true;
  });
  ASSERT_EQ(as->requests.size(), 1u);
  as->answer(0, 202);
  ASSERT_TRUE(done);
  EXPECT_EQ(seen.status, 202);
  EXPECT_EQ(seen.request.rfind("POST /uplink?", 0), 0u) << seen.request;
  EXPECT_NE(seen.request.find("HTTP/2"), std::string::npos);
  EXPECT_EQ(total(uplink_outcome::delivered), 0u);  // outside the figures
}

}  // namespace
