// Strict base64url (RFC 4648 section 5) as JWS requires it (RFC 7515 section 2): URL-safe
// alphabet only, no padding, no whitespace, and the unused trailing bits must be zero so that
// every byte string has exactly one encoding.
#pragma once

#include <string>
#include <string_view>

namespace jwt_sidecar::common {

// Decodes `in` into `out` (replacing its contents, reusing its capacity). Returns false, with
// `out` unspecified, on any character outside the alphabet, a length of 1 mod 4, or non-zero
// trailing bits.
bool base64url_decode(std::string_view in, std::string& out);

std::string base64url_encode(std::string_view bytes);

}  // namespace jwt_sidecar::common
