#include "proxy/auth_service/original_request.h"

#include "common/ascii.h"
#include "common/host.h"

namespace jwt_sidecar::proxy {
namespace {

using Dialect = config::AuthServiceConfig::Dialect;
using common::equals_ignore_case;

// One header of the check: how often it came, and its (first) value.
struct Seen {
  std::string_view value;
  int count = 0;
  void add(std::string_view v) {
    if (count++ == 0) value = v;
  }
};

struct Fields {
  Seen fwd_method, fwd_uri, fwd_host, orig_method, orig_url, orig_uri, host;
};

Fields collect(std::span<const CheckField> fields) {
  Fields f;
  for (const auto& field : fields) {
    const auto n = field.name;
    if (equals_ignore_case(n, "x-forwarded-method")) f.fwd_method.add(field.value);
    else if (equals_ignore_case(n, "x-forwarded-uri")) f.fwd_uri.add(field.value);
    else if (equals_ignore_case(n, "x-forwarded-host")) f.fwd_host.add(field.value);
    else if (equals_ignore_case(n, "x-original-method")) f.orig_method.add(field.value);
    else if (equals_ignore_case(n, "x-original-url")) f.orig_url.add(field.value);
    else if (equals_ignore_case(n, "x-original-uri")) f.orig_uri.add(field.value);
    else if (equals_ignore_case(n, "host")) f.host.add(field.value);
  }
  return f;
}

// RFC 9110 method token, upper-case as every front proxy sends it (the proxy refuses a
// lower-case method too).
bool valid_method(std::string_view m) {
  if (m.empty() || m.size() > 32) return false;
  for (const char c : m) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

// "scheme://authority/path?query" -> authority and "/path?query" ("/" for an empty path).
bool split_absolute(std::string_view url, std::string_view& authority, std::string& target) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  const auto scheme = url.substr(0, sep);
  if (!equals_ignore_case(scheme, "http") && !equals_ignore_case(scheme, "https")) return false;
  const auto rest = url.substr(sep + 3);
  const auto end = rest.find_first_of("/?#");
  authority = rest.substr(0, end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return false;
  const auto tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  target = tail.empty() || tail.front() != '/' ? "/" + std::string(tail) : std::string(tail);
  return true;
}

}  // namespace

bool under_prefix(std::string_view target, std::string_view prefix) {
  if (prefix.empty() || target.substr(0, prefix.size()) != prefix) return false;
  if (target.size() == prefix.size()) return true;
  const char next = target[prefix.size()];
  return prefix.back() == '/' || next == '/' || next == '?';
}

std::optional<OriginalRequest> read_original_request(const CheckRequest& check,
                                                     const config::AuthServiceConfig& settings,
                                                     std::string_view& reason) {
  const auto allowed = [&](Dialect d) { return settings.dialect == Dialect::any || settings.dialect == d; };
  const Fields f = collect(check.fields);
  const bool envoy = allowed(Dialect::envoy) && settings.envoy_path_prefix &&
                     under_prefix(check.target, *settings.envoy_path_prefix);
  const bool forwarded = allowed(Dialect::forwarded) && f.fwd_uri.count > 0;
  const bool original = allowed(Dialect::original) && (f.orig_url.count + f.orig_uri.count) > 0;
  const int dialects = int(envoy) + int(forwarded) + int(original);
  if (dialects == 0) {
    reason = "original_request_missing";
    return std::nullopt;
  }
  // A client's own copy of a header that the front proxy also sets (or one it passes on)
  // must not decide what is judged: two dialects, or two copies of one header, are refused.
  const auto twice = [](const Seen& s) { return s.count > 1; };
  if (dialects > 1 || twice(f.host) || twice(f.fwd_host) ||
      (forwarded && (twice(f.fwd_uri) || twice(f.fwd_method))) ||
      (original && (twice(f.orig_url) || twice(f.orig_uri) || twice(f.orig_method)))) {
    reason = "original_request_ambiguous";
    return std::nullopt;
  }
  OriginalRequest o;
  if (envoy) {
    o.dialect = Dialect::envoy;
    o.method = check.method;
    o.host = f.host.value;
    const auto rest = check.target.substr(settings.envoy_path_prefix->size());
    o.target = rest.empty() || rest.front() != '/' ? "/" + std::string(rest) : std::string(rest);
  } else if (forwarded) {
    o.dialect = Dialect::forwarded;
    if (f.fwd_method.count == 0) {
      reason = "original_method_missing";
      return std::nullopt;
    }
    o.method = f.fwd_method.value;
    o.host = f.fwd_host.count ? f.fwd_host.value : f.host.value;
    o.target = std::string(f.fwd_uri.value);
  } else {
    o.dialect = Dialect::original;
    if (f.orig_method.count == 0) {
      reason = "original_method_missing";
      return std::nullopt;
    }
    o.method = f.orig_method.value;
    std::string_view authority;
    if (f.orig_url.count) {
      if (!split_absolute(f.orig_url.value, authority, o.target)) {
        reason = "original_uri_invalid";
        return std::nullopt;
      }
      o.host = authority;
    } else {
      o.host = f.fwd_host.count ? f.fwd_host.value : f.host.value;
      o.target = std::string(f.orig_uri.value);
    }
  }
  if (!valid_method(o.method)) {
    reason = "invalid_method";
    return std::nullopt;
  }
  if (o.target.empty() || o.target.front() != '/') {
    reason = "original_uri_invalid";
    return std::nullopt;
  }
  // The original host is judged as a Host header is (routes match on it): one host, valid.
  if (!o.host.empty() && !common::is_valid_host_header(o.host)) {
    reason = "invalid_host_header";
    return std::nullopt;
  }
  return o;
}

}  // namespace jwt_sidecar::proxy
