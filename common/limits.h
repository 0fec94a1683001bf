// Limits that more than one layer enforces, defined once: config/ refuses a value beyond them
// with file:line:column, and policies/ and the CLI rely on the same number.
#pragma once

#include <cstdint>

namespace jwt_sidecar::common {

// Largest clock skew or token lifetime a policy may use (one leap year): beyond it a "skew" is
// no longer clock drift but a way of accepting expired tokens.
inline constexpr std::int64_t kMaxPolicySeconds = 366LL * 24 * 3600;

// Largest NumericDate (RFC 7519 2) accepted: 9999-12-31T23:59:59Z.
inline constexpr double kMaxNumericDate = 253402300799.0;

}  // namespace jwt_sidecar::common
