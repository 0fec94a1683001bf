// The policy engine: the config compiled once into immutable routes and providers, and the
// per-request decision (route -> auth mode -> token -> provider by iss -> verify -> claims).
// No sockets and no clock: the proxy passes the request's parts and `now`.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/config.h"
#include "policies/decision.h"
#include "policies/jws.h"
#include "policies/provider.h"
#include "policies/route_table.h"
#include "policies/token_cache.h"
#include "policies/token_extractor.h"

namespace jwt_sidecar::policies {

struct RequestView {
  std::string_view method;
  std::string_view host;        // the Host header as sent (port and case are handled)
  std::string_view match_path;  // from normalize_target()
  std::span<const HeaderField> headers;  // at least every header named by token_header_names()
  std::string_view raw_query;
};

class PolicyEngine {
 public:
  // Compiles routes, providers and inline key sets. Problems are appended to `errors` with the
  // config's file:line:column; returns null when there were any.
  static std::unique_ptr<PolicyEngine> compile(const config::Config& config,
                                               std::vector<config::ConfigError>& errors);

  // Decides one request. `scratch` holds the decoded token afterwards (its payload feeds
  // forwarded_headers()); `query_scratch` receives a percent-decoded query token. `cache`, the
  // calling thread's verified-token cache, may be null.
  Decision decide(const RequestView& request, std::int64_t now, ParsedJws& scratch,
                  std::string& query_scratch, TokenCache* cache = nullptr) const;

  const RouteTable& routes() const { return routes_; }
  const std::vector<std::unique_ptr<Provider>>& providers() const { return providers_; }
  const Provider* provider(std::string_view name) const;
  // True when every provider has a usable key set (readiness).
  bool ready() const;

  // Lower-case names of the request headers decide() looks at for tokens.
  const std::vector<std::string>& token_header_names() const { return token_headers_; }
  // Header names the proxy sets itself from claims, normalised (lower-case, '_' as '-'):
  // client-sent copies are removed from every forwarded request.
  const std::vector<std::string>& protected_header_names() const { return protected_headers_; }

  // The claim headers to add for an allowed request (forward_claims, forward_payload_header).
  // Strings as they are, other values as compact JSON; a string that a header cannot carry
  // faithfully (control bytes, leading or trailing whitespace) is left out.
  void forwarded_headers(const Decision& decision, const ParsedJws& jws,
                         std::vector<std::pair<std::string_view, std::string>>& out) const;

 private:
  PolicyEngine() = default;
  Decision authenticate(const RequestView& request, const CompiledRoute& route, std::int64_t now,
                        ParsedJws& scratch, std::string& query_scratch, TokenCache* cache) const;

  RouteTable routes_;
  std::vector<std::unique_ptr<Provider>> providers_;
  std::unordered_map<std::string, const Provider*> by_issuer_;
  std::vector<config::TokenSource> all_sources_;
  std::vector<std::string> token_headers_;
  std::vector<std::string> protected_headers_;
  std::size_t max_token_bytes_ = 8192;
};

}  // namespace jwt_sidecar::policies
