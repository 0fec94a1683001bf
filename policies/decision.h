// What the proxy does with one request: forward it, or answer it with a status and a reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "config/config.h"
#include "policies/status.h"
#include "policies/token_extractor.h"

namespace jwt_sidecar::policies {

struct CompiledRoute;
class Provider;

struct Decision {
  enum class Outcome : std::uint8_t { allow, reject };
  Outcome outcome = Outcome::reject;
  unsigned http_status = 0;            // for reject: 400, 401, 403, 404, 503
  std::string_view reason = "ok";      // stable snake_case: a Status reason, or no_route, ...
  std::string_view error;              // RFC 6750 3.1 error code, or "" (no error attribute)
  bool challenge = false;              // send WWW-Authenticate: Bearer (RFC 6750 3)
  std::optional<unsigned> retry_after; // seconds, with 503
  Status token_status = Status::ok;    // the token's own verdict, when one was examined
  const CompiledRoute* route = nullptr;
  const Provider* provider = nullptr;  // the provider whose key verified the token
  bool authenticated = false;          // a token verified (and claims held)
  bool verified = false;               // a token verified, whether or not route claims held
  TokenLocation token_location;        // where the token was found (and how to remove it)
  bool strip_token = false;            // forward_token: false - forward without it
  enum class Cache : std::uint8_t { none, hit, miss };
  Cache cache = Cache::none;            // none: no cache, or no token got that far

  bool allowed() const { return outcome == Outcome::allow; }
};

}  // namespace jwt_sidecar::policies
