// The JWS algorithm names jwt-sidecar implements (RFC 7518 section 3, RFC 8037 section 3.1),
// in policies::Algorithm's order. config/ checks `algorithms:` against this list; policies/
// maps the same names to its enum. "none" is not among them.
#pragma once

#include <array>
#include <string_view>

namespace jwt_sidecar::common {

inline constexpr std::array<std::string_view, 13> kAlgorithmNames = {
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
    "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"};

}  // namespace jwt_sidecar::common
