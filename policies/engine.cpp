#include "policies/engine.h"

#include <algorithm>

#include "policies/ascii.h"
#include "policies/base64url.h"
#include "policies/claims.h"
#include "policies/json_internal.h"

namespace jwt_sidecar::policies {
namespace {

std::string normalized_name(std::string_view s) {
  auto out = ascii_lowered(s);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

bool same_source(const config::TokenSource& a, const config::TokenSource& b) {
  if (a.kind != b.kind) return false;
  return a.kind == config::TokenSource::Kind::header ? ascii_lowered(a.name) == ascii_lowered(b.name) : a.name == b.name;
}

void add_source(std::vector<config::TokenSource>& sources, const config::TokenSource& s) {
  for (const auto& existing : sources) {
    if (same_source(existing, s)) return;
  }
  sources.push_back(s);
}

VerifyOptions verify_options(const config::Provider& p, const config::Limits& limits,
                             std::vector<config::ConfigError>& errors) {
  VerifyOptions o;
  if (!p.algorithms.empty()) {
    o.algorithms = AlgorithmSet{};
    for (const auto& name : p.algorithms) {
      if (const auto alg = algorithm_from_name(name)) {
        o.algorithms.insert(*alg);
      } else {
        errors.push_back({p.algorithms_mark, "provider '" + p.name + "': unsupported algorithm '" + name + "'"});
      }
    }
  }
  o.claims.issuer = p.issuer;
  o.claims.audiences = p.audiences;
  o.claims.clock_skew = std::chrono::duration_cast<std::chrono::seconds>(p.clock_skew).count();
  o.claims.require_exp = p.require_exp;
  if (p.max_lifetime) {
    o.claims.max_lifetime = std::chrono::duration_cast<std::chrono::seconds>(*p.max_lifetime).count();
  }
  o.max_token_bytes = limits.max_token_bytes;
  return o;
}

// Inline keys are part of the config: every problem with them is a config error.
void load_inline_keys(const Provider& provider, std::vector<config::ConfigError>& errors) {
  const auto& cfg = provider.config();
  const std::string who = "provider '" + cfg.name + "': jwks: ";
  auto loaded = load_jwks(*cfg.jwks_inline);
  if (!loaded.error.empty()) {
    errors.push_back({cfg.jwks_mark, who + loaded.error});
    return;
  }
  for (const auto& s : loaded.skipped) {
    std::string kid = s.kid ? " (kid \"" + *s.kid + "\")" : "";
    errors.push_back({cfg.jwks_mark, who + "key " + std::to_string(s.index) + kid + " is unusable: " + s.reason});
  }
  if (loaded.keys->empty() && loaded.skipped.empty()) {
    errors.push_back({cfg.jwks_mark, who + "no keys"});
  }
  if (loaded.skipped.empty()) provider.keys().publish(loaded.keys, 0);
}

Decision reject(unsigned status, std::string_view reason, std::string_view error, bool challenge) {
  Decision d;
  d.outcome = Decision::Outcome::reject;
  d.http_status = status;
  d.reason = reason;
  d.error = error;
  d.challenge = challenge;
  return d;
}

Decision invalid_token(Status s) {
  Decision d = reject(401, policies::reason(s), "invalid_token", true);
  d.token_status = s;
  return d;
}

}  // namespace

std::unique_ptr<PolicyEngine> PolicyEngine::compile(const config::Config& config,
                                                    std::vector<config::ConfigError>& errors) {
  const auto before = errors.size();
  std::unique_ptr<PolicyEngine> engine(new PolicyEngine());
  engine->max_token_bytes_ = config.limits.max_token_bytes;
  auto routes = RouteTable::compile(config.routes, errors);
  if (routes) engine->routes_ = std::move(*routes);

  for (const auto& p : config.providers) {
    auto provider = std::make_unique<Provider>(p, verify_options(p, config.limits, errors));
    if (p.jwks_inline) load_inline_keys(*provider, errors);
    if (!engine->by_issuer_.emplace(p.issuer, provider.get()).second) {
      errors.push_back({p.mark, "provider '" + p.name + "': issuer '" + p.issuer +
                                    "' is already used by another provider; tokens are matched to "
                                    "providers by issuer, so each needs its own"});
    }
    for (const auto& s : p.token_from) add_source(engine->all_sources_, s);
    for (const auto& [claim, header] : p.forward_claims) {
      engine->protected_headers_.push_back(normalized_name(header));
    }
    if (p.forward_payload_header) engine->protected_headers_.push_back(normalized_name(*p.forward_payload_header));
    engine->providers_.push_back(std::move(provider));
  }
  for (const auto& s : engine->all_sources_) {
    const auto name = s.kind == config::TokenSource::Kind::header ? ascii_lowered(s.name)
                      : s.kind == config::TokenSource::Kind::cookie ? std::string("cookie") : std::string();
    if (!name.empty() && std::find(engine->token_headers_.begin(), engine->token_headers_.end(), name) ==
                             engine->token_headers_.end()) {
      engine->token_headers_.push_back(name);
    }
  }
  for (const auto& route : config.routes) {
    for (const auto& name : route.providers) {
      if (!engine->provider(name)) errors.push_back({route.mark, "route '" + route.name + "' names unknown provider '" + name + "'"});
    }
  }
  if (errors.size() != before) return nullptr;
  return engine;
}

const Provider* PolicyEngine::provider(std::string_view name) const {
  for (const auto& p : providers_) {
    if (p->name() == name) return p.get();
  }
  return nullptr;
}

bool PolicyEngine::ready() const {
  return std::all_of(providers_.begin(), providers_.end(), [](const auto& p) { return p->keys().loaded(); });
}

Decision PolicyEngine::decide(const RequestView& request, std::int64_t now, ParsedJws& scratch,
                              std::string& query_scratch, TokenCache* cache) const {
  const CompiledRoute* route = routes_.match(request.method, request.host, request.match_path);
  if (!route) return reject(404, "no_route", "", false);
  Decision d;
  switch (route->auth) {
    case config::AuthMode::deny:
      d = reject(403, "route_denied", "", false);
      break;
    case config::AuthMode::none:
      d.outcome = Decision::Outcome::allow;
      break;
    case config::AuthMode::optional:
    case config::AuthMode::required:
      d = authenticate(request, *route, now, scratch, query_scratch, cache);
      break;
  }
  d.route = route;
  return d;
}

Decision PolicyEngine::authenticate(const RequestView& request, const CompiledRoute& route,
                                    std::int64_t now, ParsedJws& scratch,
                                    std::string& query_scratch, TokenCache* cache) const {
  const auto ex = extract_token(request.headers, request.raw_query, all_sources_, query_scratch);
  if (ex.status == Status::multiple_tokens) {
    Decision d = reject(400, "multiple_tokens", "invalid_request", true);
    d.token_status = ex.status;
    return d;
  }
  if (ex.status != Status::ok && ex.status != Status::token_missing) return invalid_token(ex.status);
  if (ex.status != Status::ok) {
    if (route.auth == config::AuthMode::optional) {
      Decision d;
      d.outcome = Decision::Outcome::allow;
      return d;
    }
    // RFC 6750 3.1: a request without credentials gets a challenge without an error code.
    Decision d = reject(401, "token_missing", "", true);
    return d;
  }
  const config::TokenSource& source = all_sources_[ex.source];
  if (ex.token.size() > max_token_bytes_) return invalid_token(Status::token_too_large);

  // A cached token skips parsing and the signature, never the checks below.
  TokenCache::Entry* hit = cache ? cache->find(ex.token) : nullptr;
  const Provider* chosen = nullptr;
  if (hit) {
    chosen = hit->provider;
    scratch.copy_verified_from(hit->jws);
  } else {
    const Status parsed = parse_jws(ex.token, PayloadKind::jwt_claims, scratch);
    if (parsed != Status::ok) return invalid_token(parsed);
    const auto& c = scratch.claims();
    if (c.shape == Status::issuer_invalid) return invalid_token(Status::issuer_invalid);
    if (!c.iss) return invalid_token(Status::issuer_missing);
    const auto it = by_issuer_.find(*c.iss);
    if (it == by_issuer_.end()) return invalid_token(Status::unknown_issuer);
    chosen = it->second;
  }
  const Provider& provider = *chosen;

  auto fail = [&](Status s) {
    Decision d = invalid_token(s);
    d.provider = &provider;
    return d;
  };
  if (!route.providers.empty() &&
      std::find(route.providers.begin(), route.providers.end(), provider.name()) == route.providers.end()) {
    return fail(Status::issuer_not_allowed);
  }
  if (std::none_of(provider.token_from().begin(), provider.token_from().end(),
                   [&](const auto& s) { return same_source(s, source); })) {
    return fail(Status::token_source_not_allowed);
  }
  const auto keys = provider.keys().current();
  if (!keys) {
    Decision d = reject(503, policies::reason(Status::keys_unavailable), "temporarily_unavailable", false);
    d.retry_after = 5;
    d.provider = &provider;
    return d;
  }
  Decision::Cache cache_use = cache ? Decision::Cache::miss : Decision::Cache::none;
  Status s = Status::ok;
  if (hit && TokenCache::key_still_valid(*hit, keys)) {
    cache_use = Decision::Cache::hit;
  } else {
    if (hit) {
      // The key left the set: drop the entry and verify from scratch (the cached parts lack
      // the signature).
      cache->erase(ex.token);
      hit = nullptr;
      s = parse_jws(ex.token, PayloadKind::jwt_claims, scratch);
    }
    const Key* used = nullptr;
    if (s == Status::ok) s = verify_jws_signature(scratch, *keys, provider.options().algorithms, &used);
    if (s == Status::ok) s = check_claims(scratch.claims(), provider.options().claims, now);
    if (s == Status::ok && cache && used) cache->insert(ex.token, provider, keys, *used, scratch);
  }
  // Time claims are re-checked on every hit: a cached token still expires.
  if (s == Status::ok && hit) s = check_claims(scratch.claims(), provider.options().claims, now);
  if (s != Status::ok) {
    if (hit) cache->erase(ex.token);
    Decision d = fail(s);
    d.cache = cache_use;
    return d;
  }

  if (!route.claims.empty() && !route.claims.check(scratch.payload()).ok()) {
    Decision d = reject(403, policies::reason(Status::claims_requirement_failed), "insufficient_scope", true);
    d.provider = &provider;
    d.token_status = Status::claims_requirement_failed;
    d.cache = cache_use;
    d.verified = true;
    return d;
  }
  Decision d;
  d.outcome = Decision::Outcome::allow;
  d.provider = &provider;
  d.authenticated = true;
  d.verified = true;
  d.token_source = &source;
  d.cache = cache_use;
  return d;
}

}  // namespace jwt_sidecar::policies
