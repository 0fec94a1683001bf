// One JWS signature check with one key (RFC 7518 section 3, RFC 8037 section 3.1).
#pragma once

#include <string_view>

#include "policies/algorithm.h"
#include "policies/jwk.h"
#include "policies/status.h"

namespace jwt_sidecar::policies {

// Returns ok, signature_invalid, key_algorithm_mismatch (the key cannot do `alg`), or
// verification_error (OpenSSL failed for a reason of its own). Never throws; leaves the
// OpenSSL error queue empty. Digests are fetched once per process and contexts are reused
// per thread.
Status verify_signature(Algorithm alg, const Key& key, std::string_view signing_input,
                        std::string_view signature) noexcept;

// Converts a JWS ECDSA signature (R || S, each exactly `half` bytes; RFC 7518 section 3.4)
// into the DER SEQUENCE OpenSSL expects, without BIGNUMs. Returns the DER length, or 0 when
// `raw` is not exactly 2 * half bytes or `out_size` is too small. Exposed for tests.
std::size_t ecdsa_raw_to_der(std::string_view raw, std::size_t half, unsigned char* out,
                             std::size_t out_size) noexcept;

}  // namespace jwt_sidecar::policies
