// Where a request's bearer token is found: the provider's `token_from` sources (DESIGN.md
// "Config schema v1"), in the way Envoy's jwt_authn extractor reads them. A request that
// presents more than one token is refused rather than guessed at.
#pragma once

#include <cstddef>
#include <optional>
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

// Where a token was found, and so how it is taken out of a request forwarded with
// `forward_token: false` (as Envoy's JwtLocation owns its removal): every front end asks the
// location instead of knowing the rules itself.
struct TokenLocation {
  const config::TokenSource* source = nullptr;  // null: no token (or one given directly)

  // A request header as it should be forwarded without the token: nullopt keeps it as it is,
  // "" drops it, other text is its new value (the Cookie header without the token's cookie).
  std::optional<std::string> strip_from_header(std::string_view name, std::string_view value) const;
  // The raw query to forward: without the token's parameter (others byte for byte, in order).
  std::string strip_from_query(std::string_view raw_query) const;
};

}  // namespace jwt_sidecar::policies
