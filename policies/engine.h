// The policy engine: the protocol-neutral seam every front end (HTTP/1.1 today; HTTP/2 and the
// auth service next) meets. A front end translates its request into a RequestView, asks
// decide(), and translates the Decision back. Routes and route claims are decided here; the
// token itself by the Authenticator. No sockets and no clock: the caller passes `now`.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "policies/authenticator.h"
#include "policies/decision.h"
#include "policies/jws.h"
#include "policies/route_table.h"
#include "policies/token_cache.h"

namespace jwt_sidecar::policies {

struct RequestView {
  std::string_view method;
  std::string_view host;        // the Host header (:authority) as sent (port and case are handled)
  std::string_view match_path;  // from normalize_target()
  std::span<const HeaderField> headers;  // at least every header named by token_header_names()
  std::string_view raw_query;
  // The request carries Origin and Access-Control-Request-Method (the front end looks at the
  // headers); with method OPTIONS that is a CORS preflight, which passes without a token on a
  // `cors_preflight: allow` route.
  bool cors_preflight = false;
};

// Working memory of one request, reused by a connection (or stream) for its next ones.
struct RequestScratch {
  ParsedJws jws;            // the decoded token
  std::string query_token;  // a percent-decoded query token
  // For an allowed request with a verified token: the claim headers to add (forward_claims,
  // forward_payload_header), computed from the payload decide() parsed. Names point into the
  // engine's config.
  std::vector<std::pair<std::string_view, std::string>> claim_headers;
};

class PolicyEngine {
 public:
  // Compiles routes and providers from a config that config/ validated. Problems only
  // policies can see (a route naming an unknown provider) are appended to `errors` with
  // their file:line:column; returns null when there were any.
  // `previous`, the running engine on a reload, lends its key stores to providers that keep
  // their key source.
  static std::unique_ptr<PolicyEngine> compile(const config::Config& config,
                                               std::vector<config::ConfigError>& errors,
                                               const PolicyEngine* previous = nullptr);

  // Decides one request. `cache`, the calling thread's verified-token cache, may be null.
  Decision decide(const RequestView& request, std::int64_t now, RequestScratch& scratch,
                  TokenCache* cache = nullptr) const;

  const RouteTable& routes() const { return routes_; }
  const Authenticator& authenticator() const { return auth_; }
  const std::vector<std::unique_ptr<Provider>>& providers() const { return auth_.providers(); }
  const Provider* provider(std::string_view name) const { return auth_.provider(name); }
  bool ready() const { return auth_.ready(); }
  const std::vector<std::string>& token_header_names() const { return auth_.token_header_names(); }
  // Header names the proxy sets itself from claims, lower-case: client-sent copies are removed
  // from every forwarded request.
  const std::vector<std::string>& protected_header_names() const { return protected_headers_; }

 private:
  PolicyEngine(const config::Config& config, const PolicyEngine* previous)
      : auth_(config, previous ? &previous->auth_ : nullptr) {}
  Decision authenticate(const RequestView& request, const CompiledRoute& route, std::int64_t now,
                        RequestScratch& scratch, TokenCache* cache) const;

  RouteTable routes_;
  Authenticator auth_;
  std::vector<std::string> protected_headers_;
};

}  // namespace jwt_sidecar::policies
