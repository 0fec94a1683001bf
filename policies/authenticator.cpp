#include "policies/authenticator.h"

#include <algorithm>
#include <chrono>

#include "common/ascii.h"
#include "policies/verify.h"

namespace jwt_sidecar::policies {
namespace {

using common::ascii_lowered;
using common::equals_ignore_case;

bool same_source(const config::TokenSource& a, const config::TokenSource& b) {
  if (a.kind != b.kind) return false;
  return a.kind == config::TokenSource::Kind::header ? equals_ignore_case(a.name, b.name) : a.name == b.name;
}

// The config was validated when it was read (config/): unknown algorithm names and
// out-of-range durations never get here.
VerifyOptions verify_options(const config::Provider& p, const config::Limits& limits) {
  VerifyOptions o;
  if (!p.algorithms.empty()) {
    o.algorithms = AlgorithmSet{};
    for (const auto& name : p.algorithms) {
      if (const auto alg = algorithm_from_name(name)) o.algorithms.insert(*alg);
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

}  // namespace

bool same_key_source(const config::Provider& a, const config::Provider& b) {
  const auto uri = [](const config::Provider& p) { return p.jwks_uri ? p.jwks_uri->text : std::string(); };
  return a.name == b.name && uri(a) == uri(b) && a.discovery == b.discovery &&
         (!a.discovery || a.issuer == b.issuer) && a.jwks_file == b.jwks_file && a.ca_file == b.ca_file &&
         a.jwks_inline == b.jwks_inline;
}

bool same_revocation_sources(const std::optional<config::RevocationConfig>& a,
                             const std::optional<config::RevocationConfig>& b) {
  if (!a || !b) return !a && !b;
  if (a->file != b->file || a->redis.has_value() != b->redis.has_value()) return false;
  if (!a->redis) return true;
  const auto& x = *a->redis;
  const auto& y = *b->redis;
  return x.url == y.url && x.username == y.username && x.password_file == y.password_file &&
         x.ca_file == y.ca_file && x.key_prefix == y.key_prefix && x.resync_interval == y.resync_interval;
}

Authenticator::Authenticator(const config::Config& config, const Authenticator* previous)
    : max_token_bytes_(config.limits.max_token_bytes) {
  revocation_config_ = config.revocation;
  if (config.revocation) {
    revocation_policy_ = revocation_policy(*config.revocation);
    if (previous && previous->revocation_ && same_revocation_sources(previous->revocation_config_, config.revocation)) {
      revocation_ = previous->revocation_;
    } else {
      std::vector<std::string> names;
      if (config.revocation->file) names.emplace_back("file");
      if (config.revocation->redis) names.emplace_back("redis");
      revocation_ = std::make_shared<Revocation>(std::move(names));
    }
  }
  for (const auto& p : config.providers) {
    std::shared_ptr<KeyStore> store;
    if (previous) {
      for (const auto& old : previous->providers_) {
        if (same_key_source(old->config(), p)) store = old->key_store();
      }
    }
    auto provider = std::make_unique<Provider>(p, verify_options(p, config.limits), std::move(store));
    by_issuer_.emplace(p.issuer, provider.get());  // config/ refused two providers with one issuer
    for (const auto& s : p.token_from) {
      if (std::none_of(sources_.begin(), sources_.end(), [&](const auto& e) { return same_source(e, s); })) {
        sources_.push_back(s);
      }
    }
    providers_.push_back(std::move(provider));
  }
  for (const auto& s : sources_) {
    const auto name = s.kind == config::TokenSource::Kind::header   ? ascii_lowered(s.name)
                      : s.kind == config::TokenSource::Kind::cookie ? std::string("cookie")
                                                                    : std::string();
    if (!name.empty() && std::find(token_headers_.begin(), token_headers_.end(), name) == token_headers_.end()) {
      token_headers_.push_back(name);
    }
  }
}

Authenticator Authenticator::single(config::Provider provider, VerifyOptions options) {
  Authenticator a;
  a.max_token_bytes_ = options.max_token_bytes;
  a.sources_ = provider.token_from;
  a.providers_.push_back(std::make_unique<Provider>(std::move(provider), std::move(options)));
  a.any_issuer_ = a.providers_.front().get();
  return a;
}

const Provider* Authenticator::provider(std::string_view name) const {
  for (const auto& p : providers_) {
    if (p->name() == name) return p.get();
  }
  return nullptr;
}

bool Authenticator::ready() const {
  return std::all_of(providers_.begin(), providers_.end(), [](const auto& p) { return p->keys().loaded(); }) &&
         (!revocation_ || revocation_->ready());
}

Authentication Authenticator::authenticate(std::span<const HeaderField> headers, std::string_view raw_query,
                                           std::span<const std::string> allowed, std::int64_t now,
                                           ParsedJws& scratch, std::string& query_scratch,
                                           TokenCache* cache) const {
  const auto ex = extract_token(headers, raw_query, sources_, query_scratch);
  Authentication a;
  a.status = ex.status;
  if (ex.status != Status::ok) return a;  // token_missing, multiple_tokens, malformed_token
  return verify_token(ex.token, TokenLocation{&sources_[ex.source]}, allowed, now, scratch, cache);
}

const Provider* Authenticator::provider_for(const ParsedJws& jws, Status& status) const {
  if (any_issuer_) return any_issuer_;
  const auto& c = jws.claims();
  if (c.shape == Status::issuer_invalid) {
    status = Status::issuer_invalid;
  } else if (!c.iss) {
    status = Status::issuer_missing;
  } else if (const auto it = by_issuer_.find(*c.iss); it != by_issuer_.end()) {
    return it->second;
  } else {
    status = Status::unknown_issuer;
  }
  return nullptr;
}

Authentication Authenticator::verify_token(std::string_view token, TokenLocation location,
                                           std::span<const std::string> allowed, std::int64_t now,
                                           ParsedJws& scratch, TokenCache* cache) const {
  Authentication a;
  a.location = location;
  a.status = Status::ok;
  if (token.size() > max_token_bytes_) {
    a.status = Status::token_too_large;
    return a;
  }
  // A cached token names its provider; anything else is parsed to find it by "iss".
  TokenCache::Entry* hit = cache ? cache->find(token) : nullptr;
  if (hit) {
    a.provider = hit->provider;
  } else {
    a.status = parse_jws(token, PayloadKind::jwt_claims, scratch);
    if (a.status == Status::ok) a.provider = provider_for(scratch, a.status);
    if (a.status != Status::ok) return a;
  }
  const Provider& provider = *a.provider;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), provider.name()) == allowed.end()) {
    a.status = Status::issuer_not_allowed;
  } else if (location.source && std::none_of(provider.token_from().begin(), provider.token_from().end(),
                                             [&](const auto& s) { return same_source(s, *location.source); })) {
    a.status = Status::token_source_not_allowed;
  } else {
    a.cache = cache ? Decision::Cache::miss : Decision::Cache::none;
    a.status = verify_with_cache(token, hit, provider, now, scratch, cache, a.cache);
  }
  return a;
}

// Signature and registered claims, through the cache: a hit skips parsing and the signature
// (its key must still be in the provider's set), never the time checks.
Status Authenticator::verify_with_cache(std::string_view token, TokenCache::Entry* hit, const Provider& provider,
                                        std::int64_t now, ParsedJws& scratch, TokenCache* cache,
                                        Decision::Cache& use) const {
  const auto keys = provider.keys().current();
  if (!keys) return Status::keys_unavailable;
  if (hit && TokenCache::key_still_valid(*hit, keys)) {
    scratch.copy_verified_from(hit->jws);
    use = Decision::Cache::hit;
    const Status s = check_claims(scratch.claims(), provider.options().claims, now);
    if (s != Status::ok) {
      cache->erase(token);
      return s;
    }
    return revocation_status(provider, scratch, hit->key_has_kid ? std::string_view(hit->kid) : std::string_view(), now);
  }
  if (hit) {
    // The key left the set: verify from scratch (the cached parts lack the signature).
    cache->erase(token);
    if (const Status s = parse_jws(token, PayloadKind::jwt_claims, scratch); s != Status::ok) return s;
  }
  const Key* used = nullptr;
  const Status s = verify_parsed(scratch, *keys, provider.options(), now, &used);
  if (s != Status::ok) return s;
  // Cached whether revoked or not: the list is consulted on every hit, so an entry removed
  // later lets the token through again without a new signature check.
  if (cache && used) cache->insert(token, provider, keys, *used, scratch);
  return revocation_status(provider, scratch, used && used->kid() ? std::string_view(*used->kid()) : std::string_view(), now);
}

Status Authenticator::revocation_status(const Provider& provider, const ParsedJws& jws, std::string_view kid,
                                        std::int64_t now) const {
  if (!revocation_) return Status::ok;
  const auto& claims = jws.claims();
  RevocationQuery q;
  q.issuer = claims.iss ? std::string_view(*claims.iss) : std::string_view(provider.issuer());
  q.claims = &claims;
  q.kid = kid;
  q.clock_skew = provider.options().claims.clock_skew;
  switch (revocation_->check(q, now, revocation_policy_)) {
    case Revocation::Verdict::pass: return Status::ok;
    case Revocation::Verdict::revoked: return Status::token_revoked;
    case Revocation::Verdict::unavailable: return Status::revocation_unavailable;
  }
  return Status::revocation_unavailable;
}

}  // namespace jwt_sidecar::policies
