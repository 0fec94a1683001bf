#include "policies/engine.h"

#include <algorithm>

#include "common/ascii.h"
#include "policies/claim_requirements_internal.h"
#include "policies/claims_forwarding.h"
#include "policies/json_internal.h"
#include "policies/key_publisher.h"

namespace jwt_sidecar::policies {
namespace {

Decision reject(unsigned status, std::string_view reason, std::string_view error, bool challenge) {
  Decision d;
  d.outcome = Decision::Outcome::reject;
  d.http_status = status;
  d.reason = reason;
  d.error = error;
  d.challenge = challenge;
  return d;
}

Decision allow() {
  Decision d;
  d.outcome = Decision::Outcome::allow;
  return d;
}

// A token's verdict (other than ok) as the answer the client gets.
Decision refusal(const Authentication& a, config::AuthMode mode) {
  Decision d;
  switch (a.status) {
    case Status::token_missing:
      if (mode == config::AuthMode::optional) return allow();
      // RFC 6750 3.1: a request without credentials gets a challenge without an error code.
      return reject(401, reason(Status::token_missing), "", true);
    case Status::multiple_tokens:
      d = reject(400, reason(a.status), "invalid_request", true);
      break;
    case Status::keys_unavailable:
    case Status::revocation_unavailable:
      d = reject(503, reason(a.status), "temporarily_unavailable", false);
      d.retry_after = 5;
      break;
    default:
      d = reject(401, reason(a.status), "invalid_token", true);
      break;
  }
  d.token_status = a.status;
  d.provider = a.provider;
  d.cache = a.cache;
  return d;
}

// Inline keys are part of the config: a key that cannot be used is a config error, with the
// position of `jwks`.
void publish_inline_keys(const Provider& provider, std::vector<config::ConfigError>& errors) {
  const auto& cfg = provider.config();
  const std::string who = "provider '" + cfg.name + "': jwks: ";
  const auto r = publish_key_set(provider.keys(), *cfg.jwks_inline, KeyOrigin::operator_owned, 0);
  for (const auto& s : r.skipped) {
    const std::string kid = s.kid ? " (kid \"" + *s.kid + "\")" : "";
    errors.push_back({cfg.jwks_mark, who + "key " + std::to_string(s.index) + kid + " is unusable: " + s.reason});
  }
  if (!r.error.empty() && (r.skipped.empty() || !r.published)) errors.push_back({cfg.jwks_mark, who + r.error});
}

}  // namespace

std::unique_ptr<PolicyEngine> PolicyEngine::compile(const config::Config& config,
                                                    std::vector<config::ConfigError>& errors,
                                                    const PolicyEngine* previous) {
  const auto before = errors.size();
  std::unique_ptr<PolicyEngine> engine(new PolicyEngine(config, previous));
  engine->routes_ = RouteTable::compile(config.routes);
  for (const auto& p : config.providers) {
    if (p.jwks_inline) publish_inline_keys(*engine->provider(p.name), errors);
    for (const auto& [claim, header] : p.forward_claims) {
      engine->protected_headers_.push_back(common::ascii_lowered(header));
    }
    if (p.forward_payload_header) engine->protected_headers_.push_back(common::ascii_lowered(*p.forward_payload_header));
  }
  for (const auto& route : config.routes) {
    for (const auto& name : route.providers) {
      if (!engine->provider(name)) errors.push_back({route.mark, "route '" + route.name + "' names unknown provider '" + name + "'"});
    }
  }
  if (errors.size() != before) return nullptr;
  return engine;
}

Decision PolicyEngine::decide(const RequestView& request, std::int64_t now, RequestScratch& scratch,
                              TokenCache* cache) const {
  scratch.claim_headers.clear();
  const CompiledRoute* route = routes_.match(request.method, request.host, request.match_path);
  if (!route) return reject(404, "no_route", "", false);
  Decision d;
  switch (route->auth) {
    case config::AuthMode::deny:
      d = reject(403, "route_denied", "", false);
      break;
    case config::AuthMode::none:
      d = allow();
      break;
    case config::AuthMode::optional:
    case config::AuthMode::required:
      if (request.cors_preflight && route->cors_preflight_allow && request.method == "OPTIONS") {
        d = allow();
        d.reason = "cors_preflight";
      } else {
        d = authenticate(request, *route, now, scratch, cache);
      }
      break;
  }
  d.route = route;
  return d;
}

// The token, then the route's claims and the claim headers, both from one parse of the payload
// (the one verification made, or one for a cached token).
Decision PolicyEngine::authenticate(const RequestView& request, const CompiledRoute& route, std::int64_t now,
                                    RequestScratch& scratch, TokenCache* cache) const {
  const auto a = auth_.authenticate(request.headers, request.raw_query, route.providers, now, scratch.jws,
                                    scratch.query_token, cache);
  if (a.status != Status::ok) return refusal(a, route.auth);
  simdjson::dom::element payload;
  const bool parsed = json::payload_root(scratch.jws, payload);
  Decision d;
  if (!parsed || (!route.claims.empty() && !check_claim_requirements(route.claims, payload).ok())) {
    d = reject(403, reason(Status::claims_requirement_failed), "insufficient_scope", true);
    d.token_status = Status::claims_requirement_failed;
  } else {
    d = allow();
    d.authenticated = true;
    d.token_location = a.location;
    d.strip_token = !a.provider->forward_token();
    append_claim_headers(a.provider->config(), payload, scratch.jws.payload(), scratch.claim_headers);
  }
  d.verified = true;
  d.provider = a.provider;
  d.cache = a.cache;
  return d;
}

}  // namespace jwt_sidecar::policies
