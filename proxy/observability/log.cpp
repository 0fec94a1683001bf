#include "proxy/runtime/clock.h"
#include "proxy/observability/log.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/json_text.h"
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

// Lines wait here for the writer thread, so a slow or stalled stdout (a full pipe, a paused
// log collector) never blocks a worker: the writer takes everything queued in one swap and
// writes it with one write(2) per batch. Past kQueueCap bytes, access lines are dropped and
// counted (jwt_sidecar_access_log_dropped_total); operational lines are rare and always kept.
class Logger::Queue {
 public:
  explicit Queue(const std::atomic<int>& fd) : fd_(fd), writer_([this] { run(); }) {}
  ~Queue() { finish(std::chrono::seconds(2)); }

  // Writes what is queued and stops the writer; true when it finished within `patience`. A
  // reader that never reads (a stalled pipe) must not keep the process from exiting: the
  // writer is then left blocked in write(2) and detached, and the caller leaks the Queue.
  bool finish(std::chrono::milliseconds patience) {
    if (!writer_.joinable()) return true;
    std::unique_lock lock(mu_);
    stopping_ = true;
    wake_.notify_one();
    if (!finished_.wait_for(lock, patience, [&] { return done_; })) {
      writer_.detach();
      return false;
    }
    lock.unlock();
    writer_.join();
    return true;
  }

  // Returns false when the line was dropped.
  bool push(std::string_view line, bool droppable) {
    bool notify = false;
    {
      std::lock_guard lock(mu_);
      if (droppable && pending_.size() + line.size() > kQueueCap) return false;
      const bool was_below = pending_.size() < kFlushBytes;
      pending_.append(line);
      // Wake the writer when it sleeps with nothing to do, or when a batch is full; between
      // those it comes back by itself (kBatchWindow), so a busy proxy pays no wake-up per line.
      notify = (idle_ && pending_.size() == line.size()) || (was_below && pending_.size() >= kFlushBytes);
    }
    if (notify) wake_.notify_one();
    return true;
  }

 private:
  static constexpr std::size_t kQueueCap = 1u << 20;
  static constexpr std::size_t kFlushBytes = 64u << 10;
  static constexpr auto kBatchWindow = std::chrono::milliseconds(2);

  void run() {
    std::string batch;
    std::unique_lock lock(mu_);
    while (true) {
      if (pending_.empty()) {
        if (stopping_) {
          done_ = true;
          finished_.notify_all();
          return;
        }
        idle_ = true;
        wake_.wait(lock, [&] { return !pending_.empty() || stopping_; });
        idle_ = false;
        // Let a burst gather into one write.
        wake_.wait_for(lock, kBatchWindow, [&] { return pending_.size() >= kFlushBytes || stopping_; });
      }
      batch.swap(pending_);
      lock.unlock();
      write_all(fd_.load(std::memory_order_relaxed), batch);
      batch.clear();
      if (batch.capacity() > kFlushBytes * 4) batch.shrink_to_fit();
      lock.lock();
    }
  }

  static void write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::write(fd, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return;  // nowhere to report a failing log
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  const std::atomic<int>& fd_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  bool done_ = false;
  std::string pending_;
  bool idle_ = false;
  bool stopping_ = false;
  std::thread writer_;  // last: starts once the members above exist
};

Logger::Logger() : queue_(std::make_unique<Queue>(fd_)) {}
Logger::~Logger() {
  if (!queue_->finish(std::chrono::seconds(2))) (void)queue_.release();  // still in use by its writer
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
  if (!queue_->push(line, droppable)) Metrics::instance().access_log_dropped();
}

}  // namespace jwt_sidecar::proxy
