#include "proxy/observability/metrics.h"

#include <cmath>
#include <cstdio>
#include <unordered_map>

namespace jwt_sidecar::proxy {
namespace {

std::string format_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

void append_label(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += "=\"";
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
}

void Histogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::llround(seconds * 1e9)), std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += name;
    out += "_bucket{le=\"";
    out += i < kBounds.size() ? format_double(kBounds[i]) : "+Inf";
    out += "\"} ";
    out += std::to_string(cumulative);
    out += '\n';
  }
  out += name;
  out += "_sum ";
  out += format_double(static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
  out += '\n';
  out += name;
  out += "_count ";
  out += std::to_string(count_.load(std::memory_order_relaxed));
  out += '\n';
}

Metrics& Metrics::instance() {
  static Metrics metrics;
  return metrics;
}

Metrics::Counter Metrics::*Metrics::member(Family family) {
  switch (family) {
    case kRequests: return &Metrics::requests_;
    case kRejections: return &Metrics::rejections_;
    case kFetches: return &Metrics::fetches_;
    case kRevocationFailures: return &Metrics::revocation_failures_;
    case kH2Calm: return &Metrics::h2_calm_;
    default: return &Metrics::reloads_;
  }
}

namespace {

struct LabelHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

void Metrics::add(Family family, std::string_view labels) {
  thread_local std::array<std::unordered_map<std::string, std::atomic<std::uint64_t>*, LabelHash, std::equal_to<>>,
                          kFamilies>
      known;
  auto& mine = known[family];
  auto it = mine.find(labels);
  if (it == mine.end()) {
    std::atomic<std::uint64_t>* value = nullptr;
    {
      std::lock_guard lock(mu_);
      value = &(this->*member(family)).try_emplace(std::string(labels), 0).first->second;
    }
    it = mine.emplace(std::string(labels), value).first;
  }
  it->second->fetch_add(1, std::memory_order_relaxed);
}

namespace {

// Label text is built in a per-thread buffer: no allocation per request once warm.
std::string& label_buffer_keep() {
  thread_local std::string buffer;
  return buffer;
}

std::string& label_buffer() {
  auto& buffer = label_buffer_keep();
  buffer.clear();
  return buffer;
}

// `a="x",b="y"` in the per-thread buffer.
std::string_view two_labels(std::string_view a, std::string_view x, std::string_view b, std::string_view y) {
  auto& labels = label_buffer();
  append_label(labels, a, x);
  labels += ',';
  append_label(labels, b, y);
  return labels;
}

}  // namespace

void Metrics::request(std::string_view route, std::string_view decision, unsigned code,
                      double seconds, std::string_view listener, std::string_view protocol) {
  two_labels("route", route, "decision", decision);
  auto& labels = label_buffer_keep();  // the same buffer, still holding the two labels
  labels += ",code=\"";
  labels += std::to_string(code);  // three digits: fits the small-string buffer
  labels += '"';
  if (!listener.empty()) {
    labels += ',';
    append_label(labels, "listener", listener);
  }
  labels += ',';
  append_label(labels, "protocol", protocol);
  add(kRequests, labels);
  request_duration_.observe(seconds);
}

void Metrics::token_rejection(std::string_view provider, std::string_view reason) {
  add(kRejections, two_labels("provider", provider, "reason", reason));
}

void Metrics::jwks_fetch(std::string_view provider, std::string_view result) {
  add(kFetches, two_labels("provider", provider, "result", result));
}

void Metrics::revocation_sync_failure(std::string_view source) {
  auto& labels = label_buffer();
  append_label(labels, "source", source);
  add(kRevocationFailures, labels);
}

void Metrics::h2_goaway(std::string_view reason) {
  auto& labels = label_buffer();
  append_label(labels, "reason", reason);
  add(kH2Calm, labels);
}

void Metrics::config_reload(std::string_view result) {
  auto& labels = label_buffer();
  append_label(labels, "result", result);
  add(kReloads, labels);
}

void Metrics::render_counter(std::string& out, std::string_view name, std::string_view help,
                             const Counter& counter) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " counter\n";
  for (const auto& [labels, value] : counter) {
    out += name;
    out += '{';
    out += labels;
    out += "} ";
    out += std::to_string(value.load(std::memory_order_relaxed));
    out += '\n';
  }
}

std::string Metrics::render(const std::vector<ProviderGauge>& providers,
                            const std::vector<RevocationGauge>& revocation) const {
  std::string out;
  out.reserve(4096);
  {
    std::lock_guard lock(mu_);
    render_counter(out, "jwt_sidecar_requests_total", "Requests by route, decision and status code.", requests_);
    render_counter(out, "jwt_sidecar_token_rejections_total", "Rejected tokens by provider and reason.", rejections_);
    render_counter(out, "jwt_sidecar_jwks_fetches_total", "JWKS fetches by provider and result.", fetches_);
    render_counter(out, "jwt_sidecar_config_reloads_total", "Configuration reloads by result.", reloads_);
    if (!h2_calm_.empty()) {
      render_counter(out, "jwt_sidecar_h2_flood_goaways_total",
                     "HTTP/2 connections ended with GOAWAY ENHANCE_YOUR_CALM, by flood rule.", h2_calm_);
    }
    if (!revocation.empty() || !revocation_failures_.empty()) {
      render_counter(out, "jwt_sidecar_revocation_sync_failures_total",
                     "Failed reads of a revocation list (unreadable, malformed, source down) by source.",
                     revocation_failures_);
    }
  }
  // One gauge family: a value per labelled item; negative values (never read) are left out.
  const auto gauge = [&out](std::string_view name, std::string_view help, std::string_view label, const auto& items,
                            const auto& label_of, const auto& value_of) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ").append(name).append(" gauge\n");
    for (const auto& item : items) {
      const double v = value_of(item);
      if (v < 0) continue;
      out.append(name).append("{");
      append_label(out, label, label_of(item));
      out.append("} ").append(format_double(v)).append("\n");
    }
  };
  const auto source = [](const RevocationGauge& r) -> std::string_view { return r.source; };
  const auto provider = [](const ProviderGauge& p) -> std::string_view { return p.provider; };
  if (!revocation.empty()) {
    gauge("jwt_sidecar_revocation_entries", "Entries in the revocation list per source.", "source", revocation, source,
          [](const RevocationGauge& r) { return static_cast<double>(r.entries); });
    gauge("jwt_sidecar_revocation_seconds_since_sync",
          "Seconds since the revocation list was last confirmed current, per source.", "source", revocation, source,
          [](const RevocationGauge& r) { return r.seconds_since_sync; });
  }
  gauge("jwt_sidecar_jwks_keys", "Usable keys per provider.", "provider", providers, provider,
        [](const ProviderGauge& p) { return static_cast<double>(p.keys); });
  gauge("jwt_sidecar_jwks_seconds_since_success", "Seconds since the last good key set per provider.", "provider",
        providers, provider, [](const ProviderGauge& p) { return p.seconds_since_success; });
  const auto plain_counter = [&out](std::string_view name, std::string_view help, std::uint64_t value) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ").append(name);
    out.append(" counter\n").append(name).append(" ").append(std::to_string(value)).append("\n");
  };
  plain_counter("jwt_sidecar_token_cache_hits_total", "Verified-token cache hits.", cache_hits_.load());
  plain_counter("jwt_sidecar_token_cache_misses_total", "Verified-token cache misses.", cache_misses_.load());
  plain_counter("jwt_sidecar_tls_handshake_failures_total", "Client TLS handshakes that failed.",
                tls_handshake_failures_.load());
  plain_counter("jwt_sidecar_access_log_dropped_total",
                "Access log lines dropped because stdout did not keep up.", access_log_dropped_.load());
  out += "# HELP jwt_sidecar_request_duration_seconds Time from request header to response end.\n"
         "# TYPE jwt_sidecar_request_duration_seconds histogram\n";
  request_duration_.render(out, "jwt_sidecar_request_duration_seconds");
  out += "# HELP jwt_sidecar_upstream_duration_seconds Time spent waiting on and relaying from the upstream.\n"
         "# TYPE jwt_sidecar_upstream_duration_seconds histogram\n";
  upstream_duration_.render(out, "jwt_sidecar_upstream_duration_seconds");
  out += "# HELP jwt_sidecar_connections_active Open client connections.\n"
         "# TYPE jwt_sidecar_connections_active gauge\n"
         "jwt_sidecar_connections_active " + std::to_string(connections_active()) + "\n";
  return out;
}

}  // namespace jwt_sidecar::proxy
