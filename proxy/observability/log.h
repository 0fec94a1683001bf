// Structured logs: one JSON object per line on stdout. Lines are queued whole, per thread, and
// written by one writer thread in batches (log_sink.h), so lines from several threads never
// interleave and a slow stdout never stalls the data plane. Tokens and secrets are never
// passed in here.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"

namespace jwt_sidecar::proxy {

class LogSink;

// A field value: a string (quoted and escaped) or a number.
struct LogField {
  std::string_view key;
  std::string_view text;
  std::int64_t number = 0;
  bool is_number = false;

  LogField(std::string_view k, std::string_view v) : key(k), text(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), text(v) {}
  LogField(std::string_view k, const char* v) : key(k), text(v) {}
  LogField(std::string_view k, std::int64_t v) : key(k), number(v), is_number(true) {}
  LogField(std::string_view k, int v) : key(k), number(v), is_number(true) {}
  LogField(std::string_view k, unsigned v) : key(k), number(v), is_number(true) {}
  LogField(std::string_view k, std::size_t v)
      : key(k), number(static_cast<std::int64_t>(v)), is_number(true) {}
};

struct AccessLogEntry {
  std::string_view listener;  // "" for the proxy; "auth_service" for checks
  std::string_view protocol = "http/1.1";  // "http/1.1" or "h2"
  std::int64_t stream = -1;   // the HTTP/2 stream id; -1 on HTTP/1.1
  std::string_view method, path, route, decision, reason, provider, sub;
  unsigned status = 0;
  std::int64_t duration_us = 0;
  std::int64_t upstream_us = -1;  // -1: not forwarded
  std::uint64_t bytes_in = 0, bytes_out = 0;
};

class Logger {
 public:
  static Logger& instance();
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void configure(config::LogLevel level, bool access_log);
  bool enabled(config::LogLevel level) const;

  void log(config::LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});
  void access(const AccessLogEntry& entry);

 private:
  Logger();
  void write_line(std::string& line, bool droppable);
  std::atomic<int> level_{static_cast<int>(config::LogLevel::info)};
  std::atomic<bool> access_{true};
  std::atomic<int> fd_{1};  // stdout
  std::unique_ptr<LogSink> sink_;
};

inline void log_info(std::string_view msg, std::initializer_list<LogField> f = {}) {
  Logger::instance().log(config::LogLevel::info, msg, f);
}
inline void log_warn(std::string_view msg, std::initializer_list<LogField> f = {}) {
  Logger::instance().log(config::LogLevel::warn, msg, f);
}
inline void log_error(std::string_view msg, std::initializer_list<LogField> f = {}) {
  Logger::instance().log(config::LogLevel::error, msg, f);
}
inline void log_debug(std::string_view msg, std::initializer_list<LogField> f = {}) {
  Logger::instance().log(config::LogLevel::debug, msg, f);
}

}  // namespace jwt_sidecar::proxy
