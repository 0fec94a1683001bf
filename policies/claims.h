// Registered JWT claims (RFC 7519 section 4.1) and the checks a provider applies to them.
// Time is a parameter: nothing here reads a clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/limits.h"
#include "policies/status.h"

namespace jwt_sidecar::policies {

// Both limits are defined once, in common/limits.h (config/ checks against the same ones).
using common::kMaxNumericDate;
using common::kMaxPolicySeconds;

struct Claims {
  std::optional<std::string> iss;
  std::optional<std::string> sub;  // only when "sub" is a string
  std::optional<std::string> jti;  // only when "jti" is a string (revocation)
  std::vector<std::string> aud;    // a string "aud" becomes one element
  bool has_aud = false;
  std::optional<double> exp, nbf, iat;
  // The first registered claim with a bad type or range, or ok. Reported only after the
  // signature verified, so a forged token learns nothing from it.
  Status shape = Status::ok;

  void clear();
};

struct ClaimPolicy {
  std::optional<std::string> issuer;  // exact match when set
  std::vector<std::string> audiences; // "aud" must contain one of them when non-empty
  std::int64_t clock_skew = 60;       // seconds, 0..kMaxPolicySeconds
  bool require_exp = true;
  std::optional<std::int64_t> max_lifetime;  // seconds: exp - iat must not exceed it
};

// Checks in a fixed order: iss, exp, nbf, iat, lifetime, aud. `now` is seconds since the epoch.
Status check_claims(const Claims& claims, const ClaimPolicy& policy, std::int64_t now) noexcept;

}  // namespace jwt_sidecar::policies
