#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace tr::logging {

// The router's log lines: one line per event, on stderr, written whole (lines of several
// threads never interleave). Two forms, chosen once at start by `log.format`:
//
//   text  tunnel-router: warning: connection failing connection="AS 1" id=0190… reason="refused"
//   json  {"time":"2026-12-06T04:30:00.123Z","level":"warning","msg":"connection failing",
//          "connection":"AS 1","id":"0190…","reason":"refused"}
//
// JSON lines suit log collectors (Kubernetes, Loki, …). Lines below `log.level` are dropped
// before any formatting. Use:
//
//   logging::warning("connection failing", {{"connection", name}, {"reason", why}});
//
// and for events that may repeat fast, a rate_limit per source (see below).

/// How severe a line is; `log.level` drops the lines below it.
enum class level : std::uint8_t { debug, info, warning, error };

/// The form of every line: `text` for people, `json` (one object a line) for collectors.
enum class format : std::uint8_t { text, json };

/// `debug|info|warning|error` → the level, or nothing for another word.
std::optional<level> parse_level(std::string_view text);
/// `text|json` → the format, or nothing for another word.
std::optional<format> parse_format(std::string_view text);
std::string_view to_string(level value);

/// Sets the form and the lowest level written (process-wide; call once at start).
void configure(format form, level lowest);
/// The current form.
format current_format();
/// True when a line of `value` would be written.
bool enabled(level value);

/// One `key=value` of a line. Values are text; JSON escapes them, text quotes them when needed.
struct field {
  std::string_view key;
  std::string_view value;
};

/// Writes one line (if its level is enabled).
void write(level value, std::string_view message, std::initializer_list<field> fields = {});

inline void debug(std::string_view message, std::initializer_list<field> fields = {}) {
  write(level::debug, message, fields);
}
inline void info(std::string_view message, std::initializer_list<field> fields = {}) {
  write(level::info, message, fields);
}
inline void warning(std::string_view message, std::initializer_list<field> fields = {}) {
  write(level::warning, message, fields);
}
inline void error(std::string_view message, std::initializer_list<field> fields = {}) {
  write(level::error, message, fields);
}

/// The line as it would be written (without the newline): for tests.
std::string format_line(format form, level value, std::string_view message,
                        std::initializer_list<field> fields,
                        std::chrono::system_clock::time_point at);

/// At most one line per `interval` from one source (a connection, a peer): the first event
/// passes, those within the interval are counted and the next line that passes says how many
/// were held back. Not thread-safe: one per source, used from the source's own thread.
class rate_limit {
 public:
  using clock = std::chrono::steady_clock;

  explicit rate_limit(clock::duration interval = std::chrono::seconds{60}) : interval_(interval) {}

  /// True when a line may be written now; false counts the event as suppressed.
  bool allow(clock::time_point now);
  /// True when allow() would be; counts nothing.
  bool ready(clock::time_point now) const { return !last_ || now - *last_ >= interval_; }
  /// Events held back before the last allowed one (as text, for a `suppressed` field).
  std::uint64_t suppressed() const { return reported_suppressed_; }

 private:
  clock::duration interval_;
  std::optional<clock::time_point> last_;
  std::uint64_t suppressed_ = 0;
  std::uint64_t reported_suppressed_ = 0;
};

}  // namespace tr::logging
