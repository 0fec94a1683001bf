// One token, from a request to a verdict: extract (token_from) -> provider by "iss" -> the
// verified-token cache -> key and signature -> registered claims. The only place a token is
// verified: the PolicyEngine (which adds routes and route claims) uses it for the proxy and
// every front end, `jwt-sidecar verify` and the benchmarks use it directly.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "policies/decision.h"
#include "policies/jws.h"
#include "policies/provider.h"
#include "policies/revocation.h"
#include "policies/token_cache.h"
#include "policies/token_extractor.h"

namespace jwt_sidecar::policies {

struct Authentication {
  // ok: the signature verified and the registered claims hold. token_missing: no token was
  // presented (never for a Bearer credential, which is judged whatever it holds).
  Status status = Status::token_missing;
  const Provider* provider = nullptr;           // once "iss" named one
  TokenLocation location;                       // where the token was found
  Decision::Cache cache = Decision::Cache::none;
};

class Authenticator {
 public:
  // The providers of `config`, each with its verification options. Key sets are published
  // into them by the key publisher; until then a provider answers keys_unavailable. A provider
  // whose key source `previous` (the running config's) also has shares its key store.
  explicit Authenticator(const config::Config& config, const Authenticator* previous = nullptr);
  // For `jwt-sidecar verify`: one provider that takes a token whatever its "iss" (the
  // options' claims.issuer, when set, still has to match).
  static Authenticator single(config::Provider provider, VerifyOptions options);

  // A request's token. `allowed` (a route's `providers`) empty means any provider. `scratch`
  // holds the decoded token afterwards; `query_scratch` a percent-decoded query token.
  Authentication authenticate(std::span<const HeaderField> headers, std::string_view raw_query,
                              std::span<const std::string> allowed, std::int64_t now,
                              ParsedJws& scratch, std::string& query_scratch, TokenCache* cache) const;
  // A token already in hand, found at `location` (the same steps after extraction).
  Authentication verify_token(std::string_view token, TokenLocation location,
                              std::span<const std::string> allowed, std::int64_t now,
                              ParsedJws& scratch, TokenCache* cache) const;

  const std::vector<std::unique_ptr<Provider>>& providers() const { return providers_; }
  const Provider* provider(std::string_view name) const;
  // Every provider has a key set and every revocation source was read once (readiness).
  bool ready() const;
  // The revocation sources' state, or null without `revocation:`. Shared with the previous
  // config's Authenticator when the sources are the same (same_revocation_sources).
  const std::shared_ptr<Revocation>& revocation() const { return revocation_; }
  // For `jwt-sidecar verify --revoked`: checks verified tokens against `revocation` too.
  void set_revocation(std::shared_ptr<Revocation> revocation, Revocation::Policy policy) {
    revocation_ = std::move(revocation);
    revocation_policy_ = policy;
  }
  // Lower-case names of the request headers tokens are read from ("cookie" for cookies).
  const std::vector<std::string>& token_header_names() const { return token_headers_; }

 private:
  Authenticator() = default;
  const Provider* provider_for(const ParsedJws& jws, Status& status) const;
  // `hit`: the token's cache entry found by verify_token(), or null.
  Status verify_with_cache(std::string_view token, TokenCache::Entry* hit, const Provider& provider,
                           std::int64_t now, ParsedJws& scratch, TokenCache* cache,
                           Decision::Cache& use) const;
  // ok, token_revoked or revocation_unavailable for a token that verified with the key `kid`.
  Status revocation_status(const Provider& provider, const ParsedJws& jws, std::string_view kid,
                           std::int64_t now) const;

  std::vector<std::unique_ptr<Provider>> providers_;
  std::unordered_map<std::string, const Provider*> by_issuer_;
  const Provider* any_issuer_ = nullptr;  // single(): the one provider, whatever the "iss"
  std::vector<config::TokenSource> sources_;  // every provider's, each once
  std::vector<std::string> token_headers_;
  std::size_t max_token_bytes_ = 8192;
  std::optional<config::RevocationConfig> revocation_config_;
  std::shared_ptr<Revocation> revocation_;
  Revocation::Policy revocation_policy_;
};

// Whether two configs read revocation lists from the same sources, so that the lists already
// read, and the sources reading them, carry over a reload.
bool same_revocation_sources(const std::optional<config::RevocationConfig>& a,
                             const std::optional<config::RevocationConfig>& b);

}  // namespace jwt_sidecar::policies
