#include "proxy/runtime/clock.h"
#include "proxy/observability/log.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <algorithm>

#include "common/json_text.h"
#include "proxy/observability/log_sink.h"
#include "proxy/observability/metrics.h"

namespace jwt_sidecar::proxy {
namespace {

std::string_view level_name(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::debug: return "debug";
    case config::LogLevel::info: return "info";
    case config::LogLevel::warn: return "warn";
    case config::LogLevel::error: return "error";
  }
  return "info";
}

// Appends an RFC 3339 UTC time with milliseconds. The "YYYY-MM-DDTHH:MM:SS." part changes once
// a second, so each thread keeps the last one it formatted and only appends the milliseconds.
void append_time(std::string& line, std::int64_t unix_ms) {
  thread_local std::int64_t cached_second = -1;
  thread_local char prefix[32];
  thread_local std::size_t prefix_len = 0;
  const std::int64_t second = unix_ms / 1000;
  if (second != cached_second) {
    const std::time_t secs = static_cast<std::time_t>(second);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    const int n = std::snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    prefix_len = n > 0 ? std::min(static_cast<std::size_t>(n), sizeof prefix - 1) : 0;
    cached_second = second;
  }
  line.append(prefix, prefix_len);
  const int ms = static_cast<int>(unix_ms % 1000);
  const char digits[4] = {static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                          static_cast<char>('0' + ms % 10), 'Z'};
  line.append(digits, sizeof digits);
}

void begin_line(std::string& line, std::string_view level) {
  line += "{\"time\":\"";
  append_time(line, unix_ms());
  line += "\",\"level\":\"";
  line += level;
  line += '"';
}

void add_string(std::string& line, std::string_view key, std::string_view value) {
  line += ",\"";
  line += key;
  line += "\":";
  common::append_json_string(line, value);
}

void add_number(std::string& line, std::string_view key, std::int64_t value) {
  line += ",\"";
  line += key;
  line += "\":";
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec == std::errc()) line.append(buf, end);
}

}  // namespace

Logger::Logger() : sink_(std::make_unique<LogSink>(fd_)) {}
Logger::~Logger() {
  if (!sink_->finish(std::chrono::seconds(2))) (void)sink_.release();  // still in use by its writer
}

Logger& Logger::instance() {
  static Logger logger;
  return logger;
}

void Logger::configure(config::LogLevel level, bool access_log) {
  level_.store(static_cast<int>(level));
  access_.store(access_log);
}

bool Logger::enabled(config::LogLevel level) const {
  return static_cast<int>(level) >= level_.load(std::memory_order_relaxed);
}

void Logger::log(config::LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(256);
  begin_line(line, level_name(level));
  add_string(line, "msg", msg);
  for (const auto& f : fields) {
    if (f.is_number) {
      add_number(line, f.key, f.number);
    } else {
      add_string(line, f.key, f.text);
    }
  }
  write_line(line, /*droppable=*/false);
}

void Logger::access(const AccessLogEntry& e) {
  if (!access_.load(std::memory_order_relaxed)) return;
  thread_local std::string line;  // reused: no allocation per request once warm
  line.clear();
  begin_line(line, "info");
  add_string(line, "msg", "request");
  if (!e.listener.empty()) add_string(line, "listener", e.listener);
  add_string(line, "protocol", e.protocol);
  if (e.stream >= 0) add_number(line, "stream", e.stream);
  add_string(line, "method", e.method);
  add_string(line, "path", e.path);
  add_string(line, "route", e.route);
  add_number(line, "status", e.status);
  add_string(line, "decision", e.decision);
  add_string(line, "reason", e.reason);
  add_string(line, "provider", e.provider);
  add_string(line, "sub", e.sub);
  add_number(line, "duration_us", e.duration_us);
  if (e.upstream_us >= 0) add_number(line, "upstream_us", e.upstream_us);
  add_number(line, "bytes_in", static_cast<std::int64_t>(e.bytes_in));
  add_number(line, "bytes_out", static_cast<std::int64_t>(e.bytes_out));
  write_line(line, /*droppable=*/true);
}

void Logger::write_line(std::string& line, bool droppable) {
  line += "}\n";
  if (!sink_->push(line, droppable)) Metrics::instance().access_log_dropped();
}

}  // namespace jwt_sidecar::proxy
