// Registered JWT claims (RFC 7519 section 4.1) and the checks a provider applies to them.
// Time is a parameter: nothing here reads a clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policies/status.h"

namespace jwt_sidecar::policies {

// Latest NumericDate we accept: 9999-12-31T23:59:59Z. Anything larger is hostile or a bug,
// and the bound keeps every comparison below far from overflow.
inline constexpr double kMaxNumericDate = 253402300799.0;
// Largest clock skew or lifetime a policy may use (one year); configs are checked against it.
inline constexpr std::int64_t kMaxPolicySeconds = 366LL * 24 * 3600;

struct Claims {
  std::optional<std::string> iss;
  std::optional<std::string> sub;  // only when "sub" is a string
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
