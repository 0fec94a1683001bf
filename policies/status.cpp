#include "policies/status.h"

#include <array>

namespace jwt_sidecar::policies {
namespace {

struct Entry {
  Status status;
  std::string_view reason;
  std::string_view description;
};

// Kept in enum order; the static_assert below and a unit test check it.
constexpr std::array<Entry, kStatusCount> kEntries{{
    {Status::ok, "ok", "the token is valid"},
    {Status::token_missing, "token_missing", "no bearer token was presented"},
    {Status::token_too_large, "token_too_large", "the token is longer than the configured limit"},
    {Status::multiple_tokens, "multiple_tokens", "more than one token was presented"},
    {Status::malformed_token, "malformed_token",
     "the token is not three non-empty base64url segments separated by dots"},
    {Status::encrypted_token_unsupported, "encrypted_token_unsupported",
     "the token is an encrypted JWE; only signed JWS tokens are accepted"},
    {Status::bad_base64url, "bad_base64url",
     "a token segment is not strict unpadded base64url"},
    {Status::header_invalid_json, "header_invalid_json",
     "the token header is not valid UTF-8 JSON within the nesting limit"},
    {Status::header_not_object, "header_not_object", "the token header is not a JSON object"},
    {Status::header_duplicate_member, "header_duplicate_member",
     "the token header repeats a member name"},
    {Status::alg_missing, "alg_missing", "the token header has no alg"},
    {Status::alg_invalid, "alg_invalid", "the token header's alg is not a string"},
    {Status::alg_none, "alg_none", "unsigned tokens (alg none) are never accepted"},
    {Status::alg_unsupported, "alg_unsupported", "the token's algorithm is not supported"},
    {Status::alg_not_allowed, "alg_not_allowed",
     "the token's algorithm is not allowed for this provider"},
    {Status::kid_invalid, "kid_invalid", "the token header's kid is not a string"},
    {Status::crit_unsupported, "crit_unsupported",
     "the token header lists critical extensions that are not implemented"},
    {Status::header_parameter_unsupported, "header_parameter_unsupported",
     "the token header uses b64, enc or zip, which signed JWTs must not use"},
    {Status::payload_invalid_json, "payload_invalid_json",
     "the token payload is not valid UTF-8 JSON within the nesting limit"},
    {Status::payload_not_object, "payload_not_object", "the token payload is not a JSON object"},
    {Status::payload_duplicate_member, "payload_duplicate_member",
     "the token payload repeats a member name"},
    {Status::keys_unavailable, "keys_unavailable",
     "the signing keys for this issuer have not been loaded yet"},
    {Status::unknown_issuer, "unknown_issuer", "no configured provider accepts this issuer"},
    {Status::issuer_not_allowed, "issuer_not_allowed",
     "the token's issuer is not accepted on this route"},
    {Status::token_source_not_allowed, "token_source_not_allowed",
     "the token was sent where its provider does not accept tokens"},
    {Status::kid_missing, "kid_missing",
     "the token has no kid and the key set has too many candidate keys"},
    {Status::key_not_found, "key_not_found", "no key in the key set matches the token's kid"},
    {Status::key_algorithm_mismatch, "key_algorithm_mismatch",
     "the key named by kid cannot be used with the token's algorithm"},
    {Status::signature_invalid, "signature_invalid",
     "the signature does not verify with the selected key"},
    {Status::verification_error, "verification_error",
     "the cryptographic library failed while verifying"},
    {Status::issuer_missing, "issuer_missing", "the token has no iss claim"},
    {Status::issuer_invalid, "issuer_invalid", "the token's iss claim is not a string"},
    {Status::issuer_mismatch, "issuer_mismatch", "the token's issuer is not the expected one"},
    {Status::audience_missing, "audience_missing", "the token has no aud claim"},
    {Status::audience_invalid, "audience_invalid",
     "the token's aud claim is neither a string nor an array of strings"},
    {Status::audience_mismatch, "audience_mismatch",
     "the token's audience does not include an accepted audience"},
    {Status::exp_missing, "exp_missing", "the token has no exp claim"},
    {Status::exp_invalid, "exp_invalid", "the token's exp claim is not a valid NumericDate"},
    {Status::token_expired, "token_expired", "the token has expired"},
    {Status::nbf_invalid, "nbf_invalid", "the token's nbf claim is not a valid NumericDate"},
    {Status::token_not_yet_valid, "token_not_yet_valid", "the token is not valid yet (nbf)"},
    {Status::iat_missing, "iat_missing",
     "the token has no iat claim, which a maximum lifetime requires"},
    {Status::iat_invalid, "iat_invalid", "the token's iat claim is not a valid NumericDate"},
    {Status::iat_in_future, "iat_in_future", "the token claims to be issued in the future"},
    {Status::lifetime_too_long, "lifetime_too_long",
     "the token's lifetime (exp - iat) exceeds the allowed maximum"},
    {Status::token_revoked, "token_revoked",
     "the token was revoked (its jti, its subject or its signing key is on the revocation list)"},
    {Status::revocation_unavailable, "revocation_unavailable",
     "the revocation list is not available, so no token can be accepted"},
    {Status::claims_requirement_failed, "claims_requirement_failed",
     "the token's claims do not meet the route's requirements"},
}};

constexpr bool entries_in_order() {
  for (std::size_t i = 0; i < kEntries.size(); ++i) {
    if (static_cast<std::size_t>(kEntries[i].status) != i) return false;
  }
  return true;
}
static_assert(entries_in_order(), "kEntries must list every Status in enum order");

}  // namespace

std::string_view reason(Status status) noexcept {
  const auto i = static_cast<std::size_t>(status);
  return i < kEntries.size() ? kEntries[i].reason : std::string_view{"unknown"};
}

std::string_view describe(Status status) noexcept {
  const auto i = static_cast<std::size_t>(status);
  return i < kEntries.size() ? kEntries[i].description : std::string_view{"unknown status"};
}

}  // namespace jwt_sidecar::policies
