// Whole-token verification: parse, choose a key, check the signature, check the claims.
// Pure: no I/O, no clock (time is the `now` parameter), no exceptions, no allocation once the
// caller's ParsedJws is warm.
#pragma once

#include <cstdint>
#include <string_view>

#include "policies/algorithm.h"
#include "policies/claims.h"
#include "policies/jwk.h"
#include "policies/jws.h"
#include "policies/status.h"

namespace jwt_sidecar::policies {

// A token without "kid" is tried against at most this many keys that fit its algorithm;
// beyond that it is refused (kid_missing), so a large key set cannot be turned into a
// signature-verification amplifier.
inline constexpr std::size_t kMaxKidlessCandidates = 4;

struct VerifyOptions {
  AlgorithmSet algorithms = AlgorithmSet::asymmetric();
  ClaimPolicy claims;
  std::size_t max_token_bytes = 8192;
};

// Chooses the key(s) for `jws` from `keys` and checks the signature. `used`, when given,
// receives the key that verified.
Status verify_jws_signature(const ParsedJws& jws, const KeySet& keys,
                            const AlgorithmSet& allowed, const Key** used = nullptr) noexcept;

// Signature, then registered claims, of a token parse_jws() decoded: the steps after the
// token's provider (and so `options` and `keys`) is known.
Status verify_parsed(const ParsedJws& jws, const KeySet& keys, const VerifyOptions& options,
                     std::int64_t now, const Key** used = nullptr) noexcept;

// Verifies a compact JWT: parse and header checks, algorithm allow-list, key, signature, then
// claims. The signature is checked before any claim, so an unsigned or forged token is told
// nothing about its claims. `out` holds the decoded parts afterwards (also on failure, as far
// as parsing got).
Status verify_jwt(std::string_view token, const KeySet& keys, const VerifyOptions& options,
                  std::int64_t now, ParsedJws& out, const Key** used = nullptr) noexcept;

}  // namespace jwt_sidecar::policies
