#include "policies/claims.h"

#include <algorithm>

namespace jwt_sidecar::policies {

void Claims::clear() {
  iss.reset();
  sub.reset();
  jti.reset();
  aud.clear();
  has_aud = false;
  exp.reset();
  nbf.reset();
  iat.reset();
  shape = Status::ok;
}

Status check_claims(const Claims& claims, const ClaimPolicy& policy, std::int64_t now) noexcept {
  if (claims.shape != Status::ok) return claims.shape;

  if (policy.issuer) {
    if (!claims.iss) return Status::issuer_missing;
    if (*claims.iss != *policy.issuer) return Status::issuer_mismatch;
  }

  // Skew and now are bounded (policy validation, NumericDate range), and every value below is
  // far under 2^53, so the double arithmetic is exact and cannot overflow into "valid".
  const double skew = static_cast<double>(std::clamp<std::int64_t>(policy.clock_skew, 0, kMaxPolicySeconds));
  const double t = static_cast<double>(now);

  // RFC 7519 4.1.4: the current time MUST be before exp.
  if (claims.exp) {
    if (t >= *claims.exp + skew) return Status::token_expired;
  } else if (policy.require_exp || policy.max_lifetime) {
    return Status::exp_missing;
  }
  // RFC 7519 4.1.5: the current time MUST be after or equal to nbf.
  if (claims.nbf && t + skew < *claims.nbf) return Status::token_not_yet_valid;
  if (claims.iat && *claims.iat > t + skew) return Status::iat_in_future;
  if (policy.max_lifetime) {
    if (!claims.iat) return Status::iat_missing;
    if (*claims.exp - *claims.iat > static_cast<double>(*policy.max_lifetime)) {
      return Status::lifetime_too_long;
    }
  }

  if (!policy.audiences.empty()) {
    if (!claims.has_aud) return Status::audience_missing;
    const bool match = std::any_of(claims.aud.begin(), claims.aud.end(), [&](const auto& a) {
      return std::find(policy.audiences.begin(), policy.audiences.end(), a) !=
             policy.audiences.end();
    });
    if (!match) return Status::audience_mismatch;
  }
  return Status::ok;
}

}  // namespace jwt_sidecar::policies
