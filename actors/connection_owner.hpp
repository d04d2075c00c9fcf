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
#include "transport/runtime/io_handler.hpp"
#include "transport/runtime/shard.hpp"
#include "transport/tls_context.hpp"

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
  std::string infos_prefix = "-1-";  ///< LrnInfos = AS_ID + prefix + sequence
  /// Called (on the owner's shard) when an owner failed with an exception: the supervisor
  /// replaces it with a fresh one; no other connection is touched.
  std::function<void(const std::string& connection_id)> on_crash;
};

/// The connection actor: one per configured connection, living on one shard and touched only
/// from that shard's thread (other threads reach it by posting to its shard).
///
/// For each report it asks its fuse gate (a local comparison), builds the signed uplink POST
/// (docs/protocol.md) in reused buffers, and submits it on a session to the AS: an HTTP/2
/// connection (TLS with ALPN h2, many streams, bounded by the AS's
/// SETTINGS_MAX_CONCURRENT_STREAMS; a few more open when one has no free stream), or a small pool
/// of HTTP/1.1 keep-alive connections when the AS offers only http/1.1 (and for http:// URLs);
/// the fuse's limit bounds what is in flight over all of them. Sessions open lazily on
/// the first report, without blocking the shard; reports that arrive while a session connects
/// wait for it only within the fuse's limit. Nothing is queued beyond that: a report that cannot
/// be sent is shed and counted. Every sent report ends in exactly one outcome (delivered,
/// failed, timeout) that feeds the metrics and, in batches, the connection's fuse actor, which
/// posts admission snapshots back; shed reports feed only the metrics.
///
/// A paused connection sends nothing: its reports are counted as `paused`. Every DevEUI_uplink
/// not delivered (shed, paused, failed, timeout) is counted per device in a bounded loss table,
/// and the next one delivered carries the count as `LostUplinksAS`. Each change of the fuse's
/// state (or of the pause) is logged once and counted by the state entered.
class connection_owner final : public transport::io_handler,
                               public std::enable_shared_from_this<connection_owner> {
 public:
  /// `fuse` is the connection's tie to its fuse (the fuse actor, or a local_fuse_link); the
  /// creator binds it to this owner (fuse_link::bind) so that admission snapshots reach it.
  connection_owner(transport::shard& home, std::shared_ptr<const connection_config> config,
                   const uplink_environment& environment, std::shared_ptr<fuse_link> fuse);
  ~connection_owner() override;

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
  /// True once an exception escaped this owner (it then sheds everything until replaced).
  bool crashed() const { return crashed_; }

  /// Requests in flight or waiting for a session.
  std::size_t in_flight() const { return in_flight_; }
  const fuse_gate& admission() const { return gate_; }
  /// Takes an admission snapshot from the fuse actor (home shard only).
  void apply_admission(const fuse::snapshot& s);
  /// The connection's tie to its fuse.
  const std::shared_ptr<fuse_link>& fuse_of() const { return fuse_link_; }
  /// The connection's figures (shared by every owner the connection has had).
  connection_metrics& figures() const { return *metrics_; }

  void on_close(transport::shard& owner, transport::connection_handle handle,
                const transport::io_status& why) override;
  /// Shutdown: the session takes no new requests and closes once its requests are answered.
  void on_drain(transport::shard& owner, transport::connection_handle handle) override;

 private:
  struct session;
  struct request_slot;
  struct waiting_request;
  struct test_waiter;

  void send_unguarded(const shared_report& shared);
  void forward_to_successor(const shared_report& report);
  /// Runs `fn`; an exception marks this owner crashed and asks for its replacement.
  template <class F>
  void guarded(F&& fn);
  bool submit_now(std::uint32_t slot, std::string_view target, std::string_view body);
  void open_session();
  void on_connected(std::uint32_t session_id, transport::connect_result result);
  void flush_waiting();
  void complete(std::uint32_t slot, std::uint32_t generation, const transport::error& err,
                const transport::response& res);
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
  void fail_waiting(uplink_outcome outcome, const failure_note& why = {});
  /// One uplink of `device` not delivered: counted for its next LostUplinksAS.
  void lose(std::uint64_t device);
  std::uint32_t take_slot(bool probe);
  session* find_session(std::uint32_t id);
  session* find_session(transport::connection_handle handle);
  transport::client_connection* client_of(const session& s) const;
  std::size_t session_limit() const;
  void close_idle_renewed_sessions();
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
  std::shared_ptr<const connection_config> config_;
  const uplink_environment& environment_;
  std::shared_ptr<connection_metrics> metrics_;
  codecs::token_signer signer_;
  fuse_gate gate_;
  std::shared_ptr<fuse_link> fuse_link_;
  std::vector<fuse_event> fuse_events_;  ///< not yet sent to the fuse
  transport::timer_id fuse_timer_{};
  transport::shard::clock::time_point fuse_due_{};  ///< when fuse_timer_ fires
  transport::shard::clock::time_point fuse_sent_{};  ///< when the last batch went
  std::vector<session> sessions_;
  std::vector<request_slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<waiting_request> waiting_;
  std::vector<test_waiter> tests_;
  loss_table losses_;
  std::uint8_t published_state_ = 0;  ///< fuse state, or 3 when paused, as last published
  std::size_t in_flight_ = 0;
  std::uint32_t next_session_id_ = 1;
  std::uint64_t sequence_ = 0;
  bool http1_only_ = false;  ///< the AS chose http/1.1 (or the URL is http://)
  bool retired_ = false;
  bool crashed_ = false;
  bool flush_posted_ = false;
  bool graceful_ = false;  ///< retiring after a move: finishing what waits and is in flight
  std::shared_ptr<connection_owner> successor_;
  bool fault_injected_ = false;
  std::shared_ptr<connection_owner> keep_alive_;  ///< held while sessions close after retire()
  std::string target_;
  std::string body_;
  std::string infos_;
  logging::rate_limit failure_lines_;
  bool failing_ = false;  ///< the last outcome was a failure
  bool failure_logged_ = false;  ///< a "failing" line was written since the last delivery
};

template <class F>
void connection_owner::guarded(F&& fn) {
  try {
    fn();
  } catch (const std::exception&) {
    if (crashed_) return;
    crashed_ = true;
    retired_ = true;
    metrics_->count(uplink_outcome::failed);
    if (environment_.on_crash) environment_.on_crash(config_->id);
  }
}

}  // namespace tr::actors
