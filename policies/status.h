// The outcome of verifying one token. Every value has a stable snake_case reason that is used
// in logs, metrics labels and the error_description of 401/403 answers; never rename one.
#pragma once

#include <cstdint>
#include <string_view>

namespace jwt_sidecar::policies {

enum class Status : std::uint8_t {
  ok,

  // Where the token came from.
  token_missing,                // no token where one is required
  token_too_large,              // longer than limits.max_token_bytes
  multiple_tokens,              // more than one token in one request

  // Compact serialisation (RFC 7515 section 7.1).
  malformed_token,              // not three non-empty dot-separated segments
  encrypted_token_unsupported,  // five segments: a JWE (RFC 7516), which we do not decrypt
  bad_base64url,                // a segment is not strict unpadded base64url (RFC 7515 section 2)

  // JOSE header.
  header_invalid_json,          // not JSON, not UTF-8, or nested too deep
  header_not_object,            // JSON, but not an object
  header_duplicate_member,      // a member name appears twice (RFC 7515 section 4)
  alg_missing,                  // no "alg"
  alg_invalid,                  // "alg" is not a string
  alg_none,                     // "alg": "none" in any letter case; never accepted
  alg_unsupported,              // an algorithm we do not implement
  alg_not_allowed,              // implemented, but not in the provider's allow-list
  kid_invalid,                  // "kid" is not a string
  crit_unsupported,             // "crit" names an extension; we implement none (RFC 7515 4.1.11)
  header_parameter_unsupported, // "b64" (RFC 7797), "enc" or "zip" in a JWS header

  // JWT claims set (RFC 7519).
  payload_invalid_json,         // not JSON, not UTF-8, or nested too deep
  payload_not_object,           // JSON, but not an object
  payload_duplicate_member,     // a member name appears twice

  // Keys and signature.
  keys_unavailable,             // the provider's key set has not been loaded yet
  unknown_issuer,               // no configured provider has this "iss"
  issuer_not_allowed,           // the issuer's provider is not one the route accepts
  token_source_not_allowed,     // the token came from where its provider does not take tokens
  kid_missing,                  // no "kid" and too many candidate keys to try them all
  key_not_found,                // no key with the token's "kid" (or none fits its "alg")
  key_algorithm_mismatch,       // the "kid" key cannot be used with the token's "alg"
  signature_invalid,            // the signature does not verify
  verification_error,           // the crypto library failed (not the token's fault)

  // Claims.
  issuer_missing,
  issuer_invalid,               // "iss" is not a string
  issuer_mismatch,
  audience_missing,
  audience_invalid,             // "aud" is neither a string nor an array of strings
  audience_mismatch,
  exp_missing,
  exp_invalid,                  // not a number, negative, or out of range
  token_expired,
  nbf_invalid,
  token_not_yet_valid,
  iat_missing,                  // needed when max_lifetime is set
  iat_invalid,
  iat_in_future,
  lifetime_too_long,            // exp - iat exceeds max_lifetime

  // Revocation (after the signature and the claims; DESIGN.md "Revocation").
  token_revoked,                // a revocation entry names the token, its subject or its key
  revocation_unavailable,       // a revocation list is not read yet, or stale (on_stale: reject)

  // Route requirements (evaluated after a token verified).
  claims_requirement_failed,
};

inline constexpr std::size_t kStatusCount =
    static_cast<std::size_t>(Status::claims_requirement_failed) + 1;

// Stable snake_case code: "signature_invalid".
std::string_view reason(Status status) noexcept;

// One sentence for humans: "the signature does not verify with the selected key".
std::string_view describe(Status status) noexcept;

}  // namespace jwt_sidecar::policies
