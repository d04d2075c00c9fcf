#pragma once

#include <chrono>
#include <cstdint>

namespace tr::actors {

/// The software fuse of one connection: decides, locally and cheaply, whether the next uplink
/// may be sent to the AS, and learns from the outcomes of the uplinks that were sent.
///
/// States (the `tunnel_router_fuse_state` gauge):
/// - closed (0): the AS keeps up. Admission only bounds in-flight requests by `max_limit`.
/// - throttling (1): the AS answered slowly (latency above `latency_target`), has left an uplink
///   unanswered that long (unanswered(): an AS that stops answering is throttled at the target,
///   not at the timeouts), or answered with overload errors. A concurrency limit adapts by AIMD: it
///   halves on a bad outcome (at most once per `decrease_interval`, so one burst of bad answers
///   counts once), grows by one per good answer while below the slow-start threshold and by one per
///   window of `limit` good answers above it. Uplinks beyond the limit are shed before they are
///   sent. When the limit is back at `max_limit`, the fuse closes; so it does once the limit no
///   longer holds traffic back: `calm_answers` good answers in a row, none of them sent with more
///   than half the limit in flight (a light load after an incident would otherwise take hours
///   of answers to grow the limit back, throttling in name only).
/// - open (2): `failure_threshold` consecutive failures (transport errors, timeouts, 5xx, 429),
///   or one uplink left unanswered past the request timeout while nothing at all was answered
///   since it was sent (timed_out(): a hung AS, which at a low concurrency would otherwise need
///   threshold × timeout to open; an AS that is slow but still answers stays throttling):
///   everything is shed for a back-off that starts at `backoff_initial`, doubles on every reopening
///   up to `backoff_max`, each with ±`jitter` so that fuses of many routers do not probe in step.
///   Then exactly one probe is admitted; its success moves to throttling from `min_limit` with
///   slow start (traffic comes back within a few round trips), its failure reopens with a longer
///   back-off.
///
/// Only outcomes of uplinks that were really sent are recorded: the fuse never counts its own
/// rejections as failures, which is how peers' fuses get stuck open. Answers 4xx other than 408
/// and 429 mean the AS is up and answering; they are failures for the metrics but healthy for the
/// fuse. The fuse holds no lock and keeps no history: it belongs to one thread at a time (in the
/// router, the connection's fuse actor, fuse_actor.hpp, which replays the owner's outcome
/// batches; the shard decides admission from its snapshots, fuse_gate.hpp), and time comes in
/// as an argument so tests drive a simulated clock.
class fuse {
 public:
  using clock = std::chrono::steady_clock;
  using duration = std::chrono::milliseconds;

  /// The fuse's tunables (config section `fuse`).
  struct params {
    std::uint32_t failure_threshold = 5;  ///< consecutive failures that open the fuse
    duration backoff_initial{2000};       ///< first open period
    duration backoff_max{30000};          ///< cap of the open period
    double jitter = 0.2;                  ///< ± fraction applied to each open period
    std::uint32_t min_limit = 1;          ///< lowest concurrency limit while throttling
    std::uint32_t max_limit = 512;        ///< in-flight bound while closed
    duration latency_target{500};         ///< answers slower than this are a throttle signal
    duration decrease_interval{100};      ///< at most one multiplicative decrease per interval
  };

  enum class state : std::uint8_t { closed = 0, throttling = 1, open = 2 };

  /// How one sent uplink ended, as far as the fuse is concerned.
  enum class signal : std::uint8_t {
    good,      ///< answered in time, 2xx or a 4xx that shows the AS is up
    overload,  ///< 5xx, 408 or 429: the AS is up but struggling
    failure,   ///< transport error, refused connection, TLS failure or timeout
  };

  explicit fuse(params p, std::uint64_t seed = 0x9e3779b97f4a7c15ULL);

  /// The admission verdict for one uplink.
  enum class admission : std::uint8_t {
    send,   ///< send it
    probe,  ///< send it as the open fuse's single probe; record its outcome with `probe = true`
    shed,   ///< drop it (counted as shed by the caller)
  };

  /// May one more uplink be sent now, given `in_flight` uplinks already awaiting an answer?
  admission admit(clock::time_point now, std::uint32_t in_flight);

  /// Learns from the outcome of one sent uplink that took `latency`, sent with `in_flight`
  /// uplinks in flight (itself included; 0: unknown). While open, only the probe's outcome
  /// counts; late answers of uplinks sent before the fuse opened are ignored.
  void record(signal s, duration latency, clock::time_point now, bool probe = false,
              std::uint32_t in_flight = 0);

  /// Good answers in a row, each sent with at most half the limit in flight, that close a
  /// throttling fuse.
  static constexpr std::uint32_t calm_answers = 32;

  /// An uplink sent at least `latency_target` ago is still unanswered: the same signal as a
  /// slow answer, given before the answer (or the timeout) comes, so that an AS that stops
  /// answering is throttled within about the latency target whatever the rate.
  void unanswered(clock::time_point now);

  /// An uplink sent at `sent` reached the request timeout unanswered. When nothing else was
  /// answered since then either, the AS is taken as down: the fuse opens (as after
  /// `failure_threshold` failures). Call before recording the timeout's outcome.
  void timed_out(clock::time_point sent, clock::time_point now);

  /// The probe admitted by admit() was not sent after all (no session could take it).
  void release_probe() { probe_in_flight_ = false; }
  /// While open: a probe was admitted elsewhere (a shard's fuse_gate, for this open period);
  /// its outcome is to be recorded with `probe = true`.
  void take_probe() {
    if (state_ == state::open) probe_in_flight_ = true;
  }

  /// What a shard needs to decide admission on its own (fuse_gate): the state, the limit, the
  /// end of the open period and which open period it is (`epoch`, one more on each opening).
  struct snapshot {
    state current = state::closed;
    std::uint32_t limit = 0;
    clock::time_point open_until{};
    std::uint32_t epoch = 0;
    const char* reason = "start";  ///< a string literal (see reason())
    std::uint64_t version = 0;     ///< stamped by the fuse_link that delivers it (newer wins)

    /// Same admission (reason and version aside).
    bool same_admission(const snapshot& other) const {
      return current == other.current && limit == other.limit &&
             open_until == other.open_until && epoch == other.epoch;
    }
  };
  /// The admission state as of now.
  snapshot admission_state() const { return {state_, limit_, open_until_, openings_, reason_, 0}; }
  /// Open periods so far (the `epoch` of admission_state()).
  std::uint32_t epoch() const { return openings_; }

  state current_state() const { return state_; }
  std::uint32_t limit() const { return limit_; }
  /// When the current open period ends (meaningful while open).
  clock::time_point open_until() const { return open_until_; }
  const params& parameters() const { return params_; }
  /// Why the state last changed: a short phrase for the transition log line.
  const char* reason() const { return reason_; }

  /// Replaces the tunables (configuration change); the state is kept, the limit clamped.
  void reconfigure(params p);

 private:
  void open(clock::time_point now, const char* why);
  void decrease(clock::time_point now, const char* why);
  void increase();
  void close(const char* why);
  duration jittered(duration d);

  params params_;
  state state_ = state::closed;
  std::uint32_t limit_;
  std::uint32_t slow_start_threshold_;
  std::uint32_t window_successes_ = 0;
  std::uint32_t calm_ = 0;  ///< good answers in a row sent with at most half the limit in flight
  std::uint32_t consecutive_failures_ = 0;
  std::uint32_t reopenings_ = 0;
  std::uint32_t openings_ = 0;
  bool probe_in_flight_ = false;
  clock::time_point open_until_{};
  clock::time_point last_decrease_{};
  clock::time_point last_answer_{};  ///< when the AS last answered anything (any status)
  const char* reason_ = "start";
  std::uint64_t rng_;
};

}  // namespace tr::actors
