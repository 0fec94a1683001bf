// Where a request's bearer token is found: the provider's `token_from` sources (DESIGN.md
// "Config schema v1"), in the way Envoy's jwt_authn extractor reads them. A request that
// presents more than one token is refused rather than guessed at.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "policies/status.h"

namespace jwt_sidecar::policies {

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

struct ExtractResult {
  static constexpr std::size_t kNoSource = static_cast<std::size_t>(-1);
  // ok; token_missing; multiple_tokens; malformed_token when an Authorization header has the
  // Bearer scheme but its credential is not a b64token (RFC 6750 2.1).
  Status status = Status::token_missing;
  std::string_view token;            // into `headers`, or into `scratch` for a query source
  std::size_t source = kNoSource;    // index into `sources`
};

// Looks for a token in every source and reports the one found. Sources:
// - header "Authorization" (name compared case-insensitively, as every header name):
//   "Bearer" (any case), one or more spaces, a b64token; trailing whitespace is ignored.
//   Another scheme (Basic ...) is no token. Two Authorization headers are multiple_tokens,
//   whatever their schemes.
// - any other header: its whole trimmed value, with an optional "Bearer " prefix removed.
// - cookie: the named cookie in the Cookie header(s) (RFC 6265 5.4), names case-sensitive,
//   a quoted value unquoted.
// - query: the named parameter of `raw_query`, name and value percent-decoded ("+" is a
//   space, as in application/x-www-form-urlencoded); the value is decoded into `scratch`.
// Empty values are no token. A token in more than one place (twice in one source, or in two
// sources) is multiple_tokens. An empty `sources` means the default: Authorization: Bearer.
ExtractResult extract_token(std::span<const HeaderField> headers, std::string_view raw_query,
                            const std::vector<config::TokenSource>& sources,
                            std::string& scratch) noexcept;

// For `forward_token: false`. The Cookie header value without every cookie called `name`
// ("a=1; b=2"); "" when none is left, and the header should then be dropped.
std::string remove_cookie(std::string_view cookie_header, std::string_view name);

// The raw query without every parameter whose decoded name is `name`; every other parameter
// is kept byte for byte, in order.
std::string remove_query_param(std::string_view raw_query, std::string_view name);

}  // namespace jwt_sidecar::policies
