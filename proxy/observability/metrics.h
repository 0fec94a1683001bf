// Prometheus metrics (DESIGN.md "Metrics"), rendered in the text exposition format 0.0.4.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jwt_sidecar::proxy {

class Histogram {
 public:
  // Upper bounds in seconds, from 100 µs to 30 s.
  static constexpr std::array<double, 14> kBounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                  0.025,  0.05,    0.1,    0.25,  1,      5,     30};
  void observe(double seconds);
  void render(std::string& out, std::string_view name) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

class Metrics {
 public:
  static Metrics& instance();

  // `listener`: "" for proxied requests (the v1 labels), "auth_service" for checks.
  // `protocol`: "http/1.1" or "h2", the last label of every series.
  void request(std::string_view route, std::string_view decision, unsigned code, double seconds,
               std::string_view listener = {}, std::string_view protocol = "http/1.1");
  void upstream(double seconds) { upstream_duration_.observe(seconds); }
  void token_rejection(std::string_view provider, std::string_view reason);
  void jwks_fetch(std::string_view provider, std::string_view result);
  void config_reload(std::string_view result);
  void revocation_sync_failure(std::string_view source);
  // An HTTP/2 connection ended with GOAWAY ENHANCE_YOUR_CALM, by flood rule.
  void h2_goaway(std::string_view reason);
  void cache_hit() { cache_hits_.fetch_add(1, std::memory_order_relaxed); }
  void cache_miss() { cache_misses_.fetch_add(1, std::memory_order_relaxed); }
  void tls_handshake_failure() { tls_handshake_failures_.fetch_add(1, std::memory_order_relaxed); }
  void access_log_dropped() { access_log_dropped_.fetch_add(1, std::memory_order_relaxed); }
  void connection_opened() { connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { connections_.fetch_sub(1, std::memory_order_relaxed); }
  std::int64_t connections_active() const { return connections_.load(std::memory_order_relaxed); }

  // Gauges that belong to other components, passed in when rendering.
  struct ProviderGauge {
    std::string provider;
    std::size_t keys = 0;
    double seconds_since_success = -1;  // < 0: never fetched
  };
  struct RevocationGauge {
    std::string source;  // "file" or "redis"
    std::size_t entries = 0;
    double seconds_since_sync = -1;  // < 0: never read
  };
  std::string render(const std::vector<ProviderGauge>& providers,
                     const std::vector<RevocationGauge>& revocation = {}) const;


 private:
  Metrics() = default;  // one per process: workers cache pointers into its counters

  // Values are atomics in map nodes, which never move or go away: a worker finds a labelled
  // counter under the lock once, then counts through its own cached pointer without it.
  using Counter = std::map<std::string, std::atomic<std::uint64_t>, std::less<>>;
  enum Family { kRequests, kRejections, kFetches, kReloads, kRevocationFailures, kH2Calm, kFamilies };
  static Counter Metrics::*member(Family family);
  void add(Family family, std::string_view labels);
  static void render_counter(std::string& out, std::string_view name, std::string_view help,
                             const Counter& counter);

  mutable std::mutex mu_;
  Counter requests_, rejections_, fetches_, reloads_, revocation_failures_, h2_calm_;
  Histogram request_duration_, upstream_duration_;
  std::atomic<std::uint64_t> cache_hits_{0}, cache_misses_{0}, tls_handshake_failures_{0};
  std::atomic<std::uint64_t> access_log_dropped_{0};
  std::atomic<std::int64_t> connections_{0};
};

// `name="value"` with Prometheus escaping of backslash, quote and newline.
void append_label(std::string& out, std::string_view name, std::string_view value);

}  // namespace jwt_sidecar::proxy
