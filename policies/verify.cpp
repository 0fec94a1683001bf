#include "policies/verify.h"

#include "policies/signature.h"

namespace jwt_sidecar::policies {

Status verify_jws_signature(const ParsedJws& jws, const KeySet& keys,
                            const AlgorithmSet& allowed, const Key** used) noexcept {
  const Algorithm alg = jws.alg();
  if (!allowed.contains(alg)) return Status::alg_not_allowed;

  if (jws.has_kid()) {
    if (const Key* key = keys.find(jws.kid())) {
      if (!key->usable_with(alg)) return Status::key_algorithm_mismatch;
      const Status s = verify_signature(alg, *key, jws.signing_input(), jws.signature());
      if (s == Status::ok && used) *used = key;
      return s;
    }
  }

  // No kid, or a kid that names no key: keys without a kid of their own that fit the
  // algorithm are candidates (RFC 7517 4.5 makes kid optional on both sides).
  std::size_t candidates = 0;
  for (const Key& key : keys.keys()) {
    if ((!jws.has_kid() || !key.kid()) && key.usable_with(alg)) ++candidates;
  }
  if (candidates == 0) return Status::key_not_found;
  if (candidates > kMaxKidlessCandidates) return Status::kid_missing;
  Status last = Status::signature_invalid;
  for (const Key& key : keys.keys()) {
    if ((jws.has_kid() && key.kid()) || !key.usable_with(alg)) continue;
    last = verify_signature(alg, key, jws.signing_input(), jws.signature());
    if (last == Status::ok) {
      if (used) *used = &key;
      return last;
    }
  }
  return last;
}

Status verify_jwt(std::string_view token, const KeySet& keys, const VerifyOptions& options,
                  std::int64_t now, ParsedJws& out, const Key** used) noexcept {
  if (token.size() > options.max_token_bytes) return Status::token_too_large;
  const Status s = parse_jws(token, PayloadKind::jwt_claims, out);
  if (s != Status::ok) return s;
  return verify_parsed(out, keys, options, now, used);
}

Status verify_parsed(const ParsedJws& jws, const KeySet& keys, const VerifyOptions& options,
                     std::int64_t now, const Key** used) noexcept {
  const Status s = verify_jws_signature(jws, keys, options.algorithms, used);
  if (s != Status::ok) return s;
  return check_claims(jws.claims(), options.claims, now);
}

}  // namespace jwt_sidecar::policies
