#include "proxy/clock.h"
#include "proxy/log.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <algorithm>

#include "policies/json_text.h"

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

// Appends an RFC 3339 UTC time with milliseconds, formatted on the stack.
void append_time(std::string& line, std::int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                              tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                              static_cast<int>(unix_ms % 1000));
  if (n > 0) line.append(buf, static_cast<std::size_t>(std::min(n, static_cast<int>(sizeof buf) - 1)));
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
  policies::append_json_string(line, value);
}

void add_number(std::string& line, std::string_view key, std::int64_t value) {
  line += ",\"";
  line += key;
  line += "\":";
  line += std::to_string(value);
}

}  // namespace

std::string format_time_utc(std::int64_t unix_ms) {
  std::string out;
  append_time(out, unix_ms);
  return out;
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
  write_line(line);
}

void Logger::access(const AccessLogEntry& e) {
  if (!access_.load(std::memory_order_relaxed)) return;
  thread_local std::string line;  // reused: no allocation per request once warm
  line.clear();
  begin_line(line, "info");
  add_string(line, "msg", "request");
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
  write_line(line);
}

void Logger::write_line(std::string& line) {
  line += "}\n";
  const int fd = fd_.load(std::memory_order_relaxed);
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const auto n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere to report a failing log; never block or crash the data plane
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace jwt_sidecar::proxy
