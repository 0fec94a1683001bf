// The header fields an HTTP/2 stream's request carries to the upstream, and the fields an
// HTTP/2 response may not carry. The same rules as HTTP/1.1's message_head.cpp, for fields
// that arrive already split and lower-cased.
#include <algorithm>

#include "common/ascii.h"
#include "proxy/http2/forward.h"

namespace jwt_sidecar::proxy::h2 {

bool is_connection_specific(std::string_view n) {
  // RFC 9113 8.2.2, and the classic hop-by-hop set of RFC 9110 7.6.1.
  return n == "connection" || n == "keep-alive" || n == "proxy-connection" || n == "transfer-encoding" ||
         n == "upgrade" || n == "te" || n == "trailer" || n == "proxy-authenticate" || n == "proxy-authorization" ||
         n == "http2-settings";
}

std::vector<Field> upstream_request_fields(const Stream& stream, const Runtime& rt, const policies::Decision& d,
                                           const SessionScratch& scratch, std::string_view authority,
                                           const std::string& client_ip, bool tls) {
  const auto& protected_names = rt.engine->protected_header_names();
  const policies::TokenLocation* strip = d.strip_token ? &d.token_location : nullptr;
  std::vector<Field> out;
  out.reserve(stream.headers.size() + 4 + scratch.request.claim_headers.size());
  std::string cookie, xff;
  bool any_cookie = false, any_xff = false;
  for (const auto& f : stream.headers) {
    const std::string_view name = f.name;
    if (name.empty() || name.front() == ':' || name == "host" || name.find('_') != std::string_view::npos) continue;
    // gRPC needs "te: trailers" end to end (its servers refuse calls without it); any other
    // TE value is connection-specific, and nghttp2 refuses those itself.
    if (name == "te") {
      if (common::equals_ignore_case(f.value, "trailers")) out.push_back(f);
      continue;
    }
    // Framing is the forwarder's to state (each writes content-length once, from the value it
    // checked): the client's copy would be a second one.
    if (is_connection_specific(name) || name == "content-length") continue;
    if (name == "x-forwarded-for") {
      xff.append(any_xff ? ", " : "").append(f.value);
      any_xff = true;
      continue;
    }
    if (name == "x-forwarded-proto" || name == "x-forwarded-host") continue;
    if (std::any_of(protected_names.begin(), protected_names.end(),
                    [&](const std::string& p) { return common::equals_ignore_case(name, p); })) {
      continue;
    }
    std::string value = f.value;
    if (strip) {
      if (const auto without = strip->strip_from_header(name, f.value)) {
        if (without->empty()) continue;
        value = *without;
      }
    }
    if (name == "cookie") {
      cookie.append(any_cookie ? "; " : "").append(value);
      any_cookie = true;
      continue;
    }
    out.push_back({f.name, std::move(value)});
  }
  if (any_cookie) out.push_back({"cookie", std::move(cookie)});
  out.push_back({"x-forwarded-for", any_xff ? xff + ", " + client_ip : client_ip});
  out.push_back({"x-forwarded-proto", tls ? "https" : "http"});
  out.push_back({"x-forwarded-host", std::string(authority)});
  for (const auto& [name, value] : scratch.request.claim_headers) {
    out.push_back({common::ascii_lowered(name), value});
  }
  return out;
}

}  // namespace jwt_sidecar::proxy::h2
