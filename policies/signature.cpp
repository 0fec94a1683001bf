#include "policies/signature.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <array>

namespace jwt_sidecar::policies {
namespace {

// Digests fetched once (OpenSSL 3 fetching takes a lock and a lookup; doing it per call is
// measurable on the hot path).
struct Digests {
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);

  const EVP_MD* for_alg(Algorithm alg) const {
    switch (algorithm_digest_bytes(alg)) {
      case 32: return sha256;
      case 48: return sha384;
      case 64: return sha512;
      default: return nullptr;
    }
  }
};

const Digests& digests() {
  static const Digests d;  // never freed: lives for the process, used by every thread
  return d;
}

std::size_t digest_index(Algorithm alg) {
  switch (algorithm_digest_bytes(alg)) {
    case 32: return 0;
    case 48: return 1;
    default: return 2;
  }
}

// An EVP_PKEY_CTX set up once for verifying with one key and one algorithm. Re-running
// EVP_DigestVerifyInit per token fetched the signature method and the digest again (a
// locked lookup each) and rebuilt the provider context: about 2 us of a 17 us RS256 verify.
// The context holds a reference to its key, so the pointer cannot be reused by another key
// while the entry exists.
struct Verifier {
  const EVP_PKEY* pkey = nullptr;
  Algorithm alg{};
  EvpPkeyCtxPtr ctx;
};

// Per-thread contexts, created on first use and reused for every verification.
struct ThreadContexts {
  EvpMdCtxPtr md{EVP_MD_CTX_new()};  // EdDSA only: it signs the message, not a digest
  // The key `md` was last initialised with. Re-initialising with the same key reuses its
  // EVP_PKEY_CTX, saving an allocation and a key copy per verification; another key needs a
  // reset first (OpenSSL 3 keeps the old key on re-init otherwise). The context holds a
  // reference to this key, so the pointer cannot be reused by another key meanwhile.
  const EVP_PKEY* md_key = nullptr;
  std::array<EvpMdCtxPtr, 3> digest;  // SHA-256, SHA-384, SHA-512, for RSA and ECDSA
  // The (key, algorithm) pairs verified most recently; a miss replaces them in turn. A
  // provider rarely has more than a few keys in use at once.
  std::array<Verifier, 8> verifiers;
  std::size_t next_victim = 0;
  std::array<EvpMacCtxPtr, 3> hmac;  // SHA-256, SHA-384, SHA-512, digest set once
  // Key::id() each HMAC context was last keyed with: the same key re-initialises with a
  // NULL key, skipping the key schedule (two hash blocks) on every token.
  std::array<std::uint64_t, 3> hmac_key{};

  EVP_MAC_CTX* hmac_for(Algorithm alg) {
    const std::size_t i = digest_index(alg);
    if (!hmac[i]) {
      const auto& d = digests();
      EvpMacCtxPtr ctx{d.hmac ? EVP_MAC_CTX_new(d.hmac) : nullptr};
      if (!ctx) return nullptr;
      const char* name = EVP_MD_get0_name(d.for_alg(alg));
      OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(name), 0),
          OSSL_PARAM_construct_end()};
      if (EVP_MAC_CTX_set_params(ctx.get(), params) != 1) return nullptr;
      hmac[i] = std::move(ctx);
    }
    return hmac[i].get();
  }

  // The verify context for `key` and `alg` (RSA or ECDSA), or null if OpenSSL refuses it.
  EVP_PKEY_CTX* verifier_for(const Key& key, Algorithm alg, const EVP_MD* hash_md) {
    for (const auto& v : verifiers) {
      if (v.ctx && v.pkey == key.pkey() && v.alg == alg) return v.ctx.get();
    }
    EvpPkeyCtxPtr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, key.pkey(), nullptr)};
    if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return nullptr;
    const auto family = algorithm_family(alg);
    if (family == AlgorithmFamily::rsa_pkcs1 && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
      return nullptr;
    }
    // RFC 7518 3.5: MGF1 with the same hash, salt as long as the hash output.
    if (family == AlgorithmFamily::rsa_pss &&
        (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
         EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) != 1 ||
         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), hash_md) != 1)) {
      return nullptr;
    }
    // The digest the signature must be over: for PKCS #1 v1.5 this also fixes the DigestInfo
    // (algorithm identifier) the signature has to carry.
    if (EVP_PKEY_CTX_set_signature_md(ctx.get(), hash_md) != 1) return nullptr;
    auto& slot = verifiers[next_victim];
    next_victim = (next_victim + 1) % verifiers.size();
    slot = Verifier{key.pkey(), alg, std::move(ctx)};
    return slot.ctx.get();
  }

  // SHA-2 of `input` into `out`; returns its length, or 0 on failure.
  unsigned hash(Algorithm alg, const EVP_MD* hash_md, std::string_view input, unsigned char* out) {
    auto& ctx = digest[digest_index(alg)];
    if (!ctx) ctx.reset(EVP_MD_CTX_new());
    unsigned len = 0;
    if (!ctx || EVP_DigestInit_ex2(ctx.get(), hash_md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), input.data(), input.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) {
      return 0;
    }
    return len;
  }
};

ThreadContexts& thread_contexts() {
  thread_local ThreadContexts contexts;
  return contexts;
}

Status fail(Status status) noexcept {
  ERR_clear_error();
  return status;
}

Status verify_hmac(Algorithm alg, const Key& key, std::string_view input,
                   std::string_view signature) noexcept {
  auto& tc = thread_contexts();
  EVP_MAC_CTX* ctx = tc.hmac_for(alg);
  if (!ctx) return fail(Status::verification_error);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  std::size_t mac_len = 0;
  auto& keyed = tc.hmac_key[digest_index(alg)];
  const auto secret = key.secret();
  const bool same_key = keyed == key.id() && key.id() != 0;
  keyed = 0;  // unknown until init succeeds
  if (EVP_MAC_init(ctx, same_key ? nullptr : reinterpret_cast<const unsigned char*>(secret.data()),
                   same_key ? 0 : secret.size(), nullptr) != 1) {
    return fail(Status::verification_error);
  }
  keyed = key.id();
  if (EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1 ||
      EVP_MAC_final(ctx, mac.data(), &mac_len, mac.size()) != 1) {
    return fail(Status::verification_error);
  }
  // The length is public (it follows from alg); only the bytes need a constant-time compare.
  if (signature.size() != mac_len) return Status::signature_invalid;
  return CRYPTO_memcmp(mac.data(), signature.data(), mac_len) == 0 ? Status::ok
                                                                   : Status::signature_invalid;
}

std::size_t ecdsa_half(Curve curve) {
  switch (curve) {
    case Curve::p256: return 32;
    case Curve::p384: return 48;
    case Curve::p521: return 66;
    default: return 0;
  }
}

Status verify_asymmetric(Algorithm alg, const Key& key, std::string_view input,
                         std::string_view signature) noexcept {
  const auto family = algorithm_family(alg);
  std::array<unsigned char, 160> der{};
  const unsigned char* sig = reinterpret_cast<const unsigned char*>(signature.data());
  std::size_t sig_len = signature.size();
  if (family == AlgorithmFamily::ecdsa) {
    // A DER signature, or raw R||S of any other length, is refused here (RFC 7518 3.4).
    sig_len = ecdsa_raw_to_der(signature, ecdsa_half(key.curve()), der.data(), der.size());
    if (sig_len == 0) return Status::signature_invalid;
    sig = der.data();
  }

  auto& tc = thread_contexts();
  if (family != AlgorithmFamily::eddsa) {
    const EVP_MD* md = digests().for_alg(alg);
    if (!md) return fail(Status::verification_error);
    EVP_PKEY_CTX* verifier = tc.verifier_for(key, alg, md);
    if (!verifier) return fail(Status::verification_error);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    const unsigned digest_len = tc.hash(alg, md, input, digest.data());
    if (digest_len == 0) return fail(Status::verification_error);
    // 1: valid. 0: a bad signature; negative: a malformed one (wrong length, r or s out of
    // range), equally the token's fault.
    if (EVP_PKEY_verify(verifier, sig, sig_len, digest.data(), digest_len) == 1) return Status::ok;
    return fail(Status::signature_invalid);
  }

  // EdDSA (RFC 8037) signs the message itself: one-shot EVP_DigestVerify, no digest.
  EVP_MD_CTX* ctx = tc.md.get();
  if (!ctx) return fail(Status::verification_error);
  if (tc.md_key != key.pkey()) {
    EVP_MD_CTX_reset(ctx);
    tc.md_key = nullptr;
  }
  if (EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key.pkey()) != 1) {
    EVP_MD_CTX_reset(ctx);
    tc.md_key = nullptr;
    return fail(Status::verification_error);
  }
  tc.md_key = key.pkey();
  const int rc = EVP_DigestVerify(ctx, sig, sig_len,
                                  reinterpret_cast<const unsigned char*>(input.data()),
                                  input.size());
  if (rc == 1) return Status::ok;
  // 0 is a bad signature; negative values are malformed signatures (wrong length, r or s
  // out of range) and are equally the token's fault.
  return fail(Status::signature_invalid);
}

// Appends a DER INTEGER holding the big-endian unsigned value `v`.
unsigned char* put_der_integer(unsigned char* p, const unsigned char* v, std::size_t n) {
  while (n > 1 && v[0] == 0) {
    ++v;
    --n;
  }
  const bool pad = (v[0] & 0x80) != 0;
  *p++ = 0x02;
  *p++ = static_cast<unsigned char>(n + (pad ? 1 : 0));
  if (pad) *p++ = 0x00;
  for (std::size_t i = 0; i < n; ++i) *p++ = v[i];
  return p;
}

}  // namespace

std::size_t ecdsa_raw_to_der(std::string_view raw, std::size_t half, unsigned char* out,
                             std::size_t out_size) noexcept {
  if (half == 0 || half > 66 || raw.size() != 2 * half) return 0;
  // Largest case (P-521): 2 + 2 * (2 + 1 + 66) = 140 bytes, with a 3-byte sequence header.
  if (out_size < 3 + 2 * (3 + half)) return 0;
  const auto* r = reinterpret_cast<const unsigned char*>(raw.data());
  const auto* s = r + half;
  std::array<unsigned char, 2 * (3 + 66)> body{};
  unsigned char* end = put_der_integer(body.data(), r, half);
  end = put_der_integer(end, s, half);
  const auto body_len = static_cast<std::size_t>(end - body.data());
  unsigned char* p = out;
  *p++ = 0x30;
  if (body_len >= 0x80) *p++ = 0x81;  // body_len <= 138: one length byte always suffices
  *p++ = static_cast<unsigned char>(body_len);
  for (std::size_t i = 0; i < body_len; ++i) *p++ = body[i];
  return static_cast<std::size_t>(p - out);
}

Status verify_signature(Algorithm alg, const Key& key, std::string_view signing_input,
                        std::string_view signature) noexcept {
  if (!key.usable_with(alg)) return Status::key_algorithm_mismatch;
  if (algorithm_family(alg) == AlgorithmFamily::hmac) {
    return verify_hmac(alg, key, signing_input, signature);
  }
  return verify_asymmetric(alg, key, signing_input, signature);
}

}  // namespace jwt_sidecar::policies
