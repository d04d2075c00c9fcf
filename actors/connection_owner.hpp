#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actors/connection_config.hpp"
#include "actors/fuse.hpp"
#include "actors/fuse_gate.hpp"
#include "actors/fuse_link.hpp"
#include "actors/loss_table.hpp"
#include "actors/metrics.hpp"
#include "actors/report_pool.hpp"
#include "api/live_connections.hpp"
#include "codecs/report.hpp"
#include "codecs/token_signer.hpp"
#include "logging/log.hpp"
#include "transport/client_connection.hpp"
#include "transport/runtime/loop_clock.hpp"
#include "transport/runtime/shard.hpp"
#include "transport/tls_context.hpp"
#include "transport/upstream.hpp"

namespace tr::actors {

/// What every connection owner of the router shares (set up once).
struct uplink_environment {
  explicit uplink_environment(transport::tls_context client_tls) : tls(std::move(client_tls)) {}

  transport::tls_context tls;  ///< client context: system store + as.ca_file
  metrics_registry* metrics = nullptr;
  fuse::params fuse_params;
  transport::client_options client;  ///< per AS session
  std::size_t http1_pool_size = 8;   ///< sessions to an AS that speaks only HTTP/1.1
  /// HTTP/2 sessions to one AS: a second one opens when the first has no free stream (the AS's
  /// SETTINGS_MAX_CONCURRENT_STREAMS), up to this many; the fuse's limit bounds the total.
  std::size_t http2_pool_size = 4;
  std::chrono::milliseconds connect_timeout{3000};
  /// A session whose TCP connect and TLS handshake are not done within this is abandoned (its
  /// waiting reports fail); the next report opens a new one.
  std::chrono::milliseconds handshake_timeout{5000};
  /// Which resolved AS addresses may be connected to (destination_policy); empty: any.
  transport::shard::address_filter allow_address;
  /// A session to an AS that carried nothing for this long closes (as.idle_timeout_ms); 0: never.
  std::chrono::milliseconds idle_timeout{60'000};
  std::string infos_prefix = "-1-";  ///< LrnInfos = AS_ID + prefix + sequence
  /// Called (on the owner's shard) when an owner failed with an exception: the supervisor
  /// replaces it with a fresh one; no other connection is touched.
  std::function<void(const std::string& connection_id)> on_crash;

  /// Unit tests: the owners' clock and timers instead of their shard's (null: the shard's).
  transport::loop_clock* clock = nullptr;
  /// Unit tests: makes an owner's upstream instead of a transport::upstream_pool (null: the pool).
  std::function<std::shared_ptr<transport::upstream>(
      transport::shard&, const transport::upstream_target&, transport::upstream_user&)>
      make_upstream;
};

/// The connection actor: one per configured connection, living on one shard and touched only
/// from that shard's thread (other threads reach it by posting to its shard).
///
/// For each report it asks its fuse gate (a local comparison), builds the signed uplink POST
/// (docs/protocol.md) in reused buffers, and gives it to its upstream (transport/upstream_pool:
/// up to a few HTTP/2 sessions with ALPN h2, or a small pool of HTTP/1.1 keep-alive connections
/// when the AS offers only http/1.1 and for http:// URLs, opened lazily on the first report
/// without blocking the shard, closed when idle for as.idle_timeout_ms); the fuse's limit bounds
/// what is in flight over all of them. Reports that arrive while a session connects wait for it
/// only within the fuse's limit. Nothing is queued beyond that: a report the upstream cannot
/// take is shed and counted. The owner reads time and sets timers through a transport::loop_clock
/// (its shard, or a unit test's simulated clock). Every sent report ends in exactly one outcome
/// (delivered, failed, timeout) that feeds the metrics and, in batches, the connection's fuse
/// actor, which posts admission snapshots back; shed reports feed only the metrics.
///
/// A paused connection sends nothing: its reports are counted as `paused`. Every DevEUI_uplink
/// not delivered (shed, paused, failed, timeout) is counted per device in a bounded loss table,
/// and the next one delivered carries the count as `LostUplinksAS`. Each change of the fuse's
/// state (or of the pause) is logged once and counted by the state entered.
class connection_owner final : private transport::upstream_user,
                               public std::enable_shared_from_this<connection_owner> {
 public:
  /// `fuse` is the connection's tie to its fuse (the fuse actor, or a local_fuse_link); the
  /// creator binds it to this owner (fuse_link::bind) so that admission snapshots reach it.
  connection_owner(transport::shard& home, std::shared_ptr<const connection_config> config,
                   const uplink_environment& environment, std::shared_ptr<fuse_link> fuse);
  ~connection_owner();

  /// The shard this owner runs on.
  transport::shard& home() const { return home_; }
  const connection_config& config() const { return *config_; }

  /// Sends one report, parsed once by an ingress on any shard (home shard only). The report is
  /// read during the call; it is kept (a copy of the pointer) only to hand it to a successor.
  void send(const shared_report& report);
  /// Sends one signed sample DevEUI_uplink (DevEUI `test_dev_eui`) outside the fuse and the
  /// figures, and calls `done` with what happened (home shard only).
  void send_test(std::function<void(api::test_uplink_result)> done);
  /// The DevEUI of test uplinks.
  static constexpr std::string_view test_dev_eui = "FFFFFFFFFFFFFFFF";

  /// Takes a new configuration; a new URL or TLS setting reopens the sessions (in-flight
  /// requests finish on the old ones), a new key or header set applies to the next report.
  void reconfigure(std::shared_ptr<const connection_config> config);
  /// Stops for good: new reports are shed. At once: sessions close, requests in flight and
  /// waiting end as failed. Gracefully (a move to another shard): requests in flight finish on
  /// their sessions, which close when idle.
  void retire(bool graceful = false);
  /// Retires gracefully, handing reports that still arrive here to `successor` (a move): they
  /// are posted to it as they are, without re-encoding or re-parsing.
  void retire_into(std::shared_ptr<connection_owner> successor);

  /// Reports posted from other shards and not yet taken (any thread): the ingress sheds beyond
  /// the fuse's maximum so that no shard's inbox grows without bound.
  std::atomic<std::uint32_t> queued{0};

  /// Makes the next send() fail with an exception, as a defect would: for the supervision tests.
  void inject_fault_for_testing() { fault_injected_ = true; }
  /// True once an exception escaped this owner (it then sheds everything until replaced). Any
  /// thread.
  bool crashed() const { return crashed_.load(std::memory_order_acquire); }

  /// Requests in flight or waiting for a session.
  std::size_t in_flight() const { return in_flight_; }
  const fuse_gate& admission() const { return gate_; }
  /// Takes an admission snapshot from the fuse actor (home shard only).
  void apply_admission(const fuse::snapshot& s);
  /// The connection's tie to its fuse.
  const std::shared_ptr<fuse_link>& fuse_of() const { return fuse_link_; }
  /// The connection's figures (shared by every owner the connection has had).
  connection_metrics& figures() const { return *metrics_; }

 private:
  struct request_slot;
  struct test_waiter;

  void send_unguarded(const shared_report& shared);
  void forward_to_successor(const shared_report& report);
  /// Runs `fn`; an exception marks this owner crashed and asks for its replacement.
  template <class F>
  void guarded(F&& fn);
  /// Sends a refused, unprocessed request once more, as it was (the AS did not take its token);
  /// false when it cannot go.
  bool resend(std::uint32_t slot);
  /// Gives the request to the upstream (made on first use); false when it cannot take it.
  bool submit(std::uint32_t slot, std::string_view target, std::string_view body);
  transport::upstream& upstream_now();
  void on_answer(std::uint64_t cookie, const transport::error& err, const transport::response& res,
                 bool sent) override;
  void complete(std::uint32_t slot, const transport::error& err, const transport::response& res,
                bool sent);
  void on_timeout(std::uint32_t slot, std::uint32_t generation);
  void on_unanswered(std::uint32_t slot, std::uint32_t generation);
  /// The request's one timer: `then(slot, generation)` after `delay`, if the owner still lives.
  void arm_timer(std::uint32_t slot, std::chrono::milliseconds delay,
                 void (connection_owner::*then)(std::uint32_t, std::uint32_t));
  /// Tells the fuse: batched, sent at once when it is news the fuse must react to.
  void tell_fuse(const fuse_event& e);
  void flush_fuse();
  void finish(std::uint32_t slot, uplink_outcome outcome, fuse::signal signal,
              const failure_note& why = {});
  void finish_test(std::uint32_t slot, uplink_outcome outcome, const failure_note& why);
  /// Retired and nothing in flight any more: lets go of itself (from a timer, not from a call
  /// that still runs on it).
  void release_when_done();
  /// `count` uplinks of `device` not delivered (or not told): for its next LostUplinksAS.
  void lose(std::uint64_t device, std::uint32_t count = 1);
  /// An uplink of `device` that told the AS of `told` losses ended, delivered or not: settled
  /// in the loss table, the successor's once this owner was retired into one (a move).
  void settle_loss(std::uint64_t device, bool delivered, std::uint32_t told);
  std::uint32_t take_slot(bool probe);
  void publish_state();
  /// Sets the fuse's in-flight ceiling to the configuration's share (cluster mode).
  void apply_ceiling();
  /// Failure log: one line when the connection starts failing (rate-limited), one when an
  /// uplink is delivered again after such a line. `reason()` gives the text, called only when
  /// a line is written (nothing is built for the failures that follow).
  template <class Reason>
  void note_failure(Reason&& reason);
  void note_delivered();

  transport::shard& home_;
  transport::loop_clock& clock_;  ///< home_, or a unit test's clock
  std::shared_ptr<const connection_config> config_;
  const uplink_environment& environment_;
  std::shared_ptr<connection_metrics> metrics_;
  codecs::token_signer signer_;
  fuse_gate gate_;
  std::shared_ptr<fuse_link> fuse_link_;
  std::vector<fuse_event> fuse_events_;  ///< not yet sent to the fuse
  transport::timer_id fuse_timer_{};
  transport::shard::clock::time_point fuse_due_{};   ///< when fuse_timer_ fires
  transport::shard::clock::time_point fuse_sent_{};  ///< when the last batch went
  std::shared_ptr<transport::upstream> upstream_;    ///< made on the first report
  std::vector<request_slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<test_waiter> tests_;
  loss_table losses_;
  std::uint8_t published_state_ = 0;  ///< fuse state, or 3 when paused, as last published
  bool resumed_ = false;  ///< the last published change of state was the operator's resume
  std::size_t in_flight_ = 0;
  std::uint64_t sequence_ = 0;
  bool retired_ = false;
  std::atomic<bool> crashed_{false};  ///< written on the home shard, read by the supervisor
  bool graceful_ = false;  ///< retiring after a move: finishing what waits and is in flight
  std::shared_ptr<connection_owner> successor_;
  bool fault_injected_ = false;
  std::shared_ptr<connection_owner> keep_alive_;  ///< held after retire() while requests finish
  std::string target_;
  std::string body_;
  std::string infos_;
  logging::rate_limit failure_lines_;
  bool failing_ = false;         ///< the last outcome was a failure
  bool failure_logged_ = false;  ///< a "failing" line was written since the last delivery
};

template <class F>
void connection_owner::guarded(F&& fn) {
  try {
    fn();
  } catch (const std::exception&) {
    if (crashed()) return;
    crashed_.store(true, std::memory_order_release);
    retired_ = true;
    metrics_->count(uplink_outcome::failed);
    if (environment_.on_crash) environment_.on_crash(config_->id);
  }
}

}  // namespace tr::actors
