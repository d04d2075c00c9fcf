#include "logging/log.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>

namespace tr::logging {

namespace {

std::atomic<format> form_{format::text};
std::atomic<level> lowest_{level::info};

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
          out += escaped;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

/// A text value as is when it is one plain word, else quoted like a JSON string.
void append_text_value(std::string& out, std::string_view text) {
  bool plain = !text.empty();
  for (char c : text)
    if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f)
      plain = false;
  if (plain) out += text;
  else append_json_string(out, text);
}

void append_time(std::string& out, std::chrono::system_clock::time_point at) {
  auto since = at.time_since_epoch();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since - seconds).count();
  std::time_t t = seconds.count();
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  out += text;
}

}  // namespace

std::optional<level> parse_level(std::string_view text) {
  if (text == "debug") return level::debug;
  if (text == "info") return level::info;
  if (text == "warning") return level::warning;
  if (text == "error") return level::error;
  return std::nullopt;
}

std::optional<format> parse_format(std::string_view text) {
  if (text == "text") return format::text;
  if (text == "json") return format::json;
  return std::nullopt;
}

std::string_view to_string(level value) {
  switch (value) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warning: return "warning";
    case level::error: return "error";
  }
  return "info";
}

void configure(format form, level lowest) {
  form_.store(form);
  lowest_.store(lowest);
}

format current_format() { return form_.load(); }

bool enabled(level value) { return value >= lowest_.load(std::memory_order_relaxed); }

std::string format_line(format form, level value, std::string_view message,
                        std::initializer_list<field> fields,
                        std::chrono::system_clock::time_point at) {
  std::string line;
  line.reserve(128);
  if (form == format::json) {
    line += "{\"time\":\"";
    append_time(line, at);
    line += "\",\"level\":\"";
    line += to_string(value);
    line += "\",\"msg\":";
    append_json_string(line, message);
    for (const auto& f : fields) {
      line.push_back(',');
      append_json_string(line, f.key);
      line.push_back(':');
      append_json_string(line, f.value);
    }
    line.push_back('}');
    return line;
  }
  line += "tunnel-router: ";
  if (value != level::info) {
    line += to_string(value);
    line += ": ";
  }
  line += message;
  for (const auto& f : fields) {
    line.push_back(' ');
    line += f.key;
    line.push_back('=');
    append_text_value(line, f.value);
  }
  return line;
}

void write(level value, std::string_view message, std::initializer_list<field> fields) {
  if (!enabled(value)) return;
  auto line = format_line(form_.load(std::memory_order_relaxed), value, message, fields,
                          std::chrono::system_clock::now());
  line.push_back('\n');
  // One fwrite per line: stdio locks the stream for the call, so lines never interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

bool rate_limit::allow(clock::time_point now) {
  if (last_ && now - *last_ < interval_) {
    ++suppressed_;
    return false;
  }
  last_ = now;
  reported_suppressed_ = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace tr::logging
