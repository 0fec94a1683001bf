// A second, deliberately plain opinion on JWS signatures for the fuzz targets: every check
// builds fresh OpenSSL objects (no cached contexts, no DER shortcuts), so a disagreement with
// policies::verify_signature points at the library's caching or encoding, not at OpenSSL.
// Also: which key may verify which algorithm (RFC 7518 section 3, RFC 8037), decided from the
// EVP_PKEY itself rather than from Key::type().
#pragma once

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policies/algorithm.h"
#include "policies/jwk.h"
#include "policies/jws.h"
#include "policies/status.h"
#include "policies/verify.h"
#include "tests/fuzz/fuzz_check.h"

namespace jwt_sidecar::fuzz {

using policies::Algorithm;
using policies::Key;

inline std::string b64url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(v >> shift) & 63];
  }
  if (bytes.size() - i == 1) {
    const unsigned v = byte(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    const unsigned v = byte(i) << 16 | byte(i + 1) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

inline const char* digest_name(Algorithm alg) {
  switch (alg) {
    case Algorithm::HS256: case Algorithm::RS256: case Algorithm::PS256: case Algorithm::ES256:
      return "SHA256";
    case Algorithm::HS384: case Algorithm::RS384: case Algorithm::PS384: case Algorithm::ES384:
      return "SHA384";
    case Algorithm::HS512: case Algorithm::RS512: case Algorithm::PS512: case Algorithm::ES512:
      return "SHA512";
    case Algorithm::EdDSA:
      return nullptr;
  }
  return nullptr;
}

inline std::size_t digest_size(Algorithm alg) {
  const char* name = digest_name(alg);
  if (!name) return 0;
  return std::strcmp(name, "SHA256") == 0 ? 32 : std::strcmp(name, "SHA384") == 0 ? 48 : 64;
}

// The EC group of `pkey` ("prime256v1", ...), or "".
inline std::string ec_group(EVP_PKEY* pkey) {
  std::array<char, 64> name{};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name.data(), name.size(),
                                     &len) != 1) {
    ERR_clear_error();
    return "";
  }
  return std::string(name.data(), len);
}

// Whether RFC 7518 / RFC 8037 let `key` verify `alg`: key type from the EVP_PKEY, the curve
// named by the ES algorithm, a pinned "alg", and an HMAC secret at least as long as the hash.
inline bool oracle_usable(Algorithm alg, const Key& key) {
  if (key.alg() && *key.alg() != alg) return false;
  EVP_PKEY* pkey = key.pkey();
  const int id = pkey ? EVP_PKEY_get_base_id(pkey) : EVP_PKEY_NONE;
  switch (alg) {
    case Algorithm::HS256: case Algorithm::HS384: case Algorithm::HS512:
      return !pkey && key.secret().size() >= digest_size(alg);
    case Algorithm::RS256: case Algorithm::RS384: case Algorithm::RS512:
    case Algorithm::PS256: case Algorithm::PS384: case Algorithm::PS512:
      return id == EVP_PKEY_RSA;
    case Algorithm::ES256:
      return id == EVP_PKEY_EC && ec_group(pkey) == "prime256v1";
    case Algorithm::ES384:
      return id == EVP_PKEY_EC && ec_group(pkey) == "secp384r1";
    case Algorithm::ES512:
      return id == EVP_PKEY_EC && ec_group(pkey) == "secp521r1";
    case Algorithm::EdDSA:
      return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448;
  }
  return false;
}

struct MdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct EcdsaSigFree { void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); } };

// Whether `signature` is a valid JWS signature of `input` by `key` with `alg`. Assumes
// oracle_usable(alg, key). Leaves the OpenSSL error queue empty.
inline bool oracle_verify(Algorithm alg, const Key& key, std::string_view input,
                          std::string_view signature) {
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
  const char* md_name = digest_name(alg);
  bool valid = false;
  if (alg == Algorithm::HS256 || alg == Algorithm::HS384 || alg == Algorithm::HS512) {
    std::array<unsigned char, 64> mac{};
    std::size_t mac_len = 0;
    const auto secret = key.secret();
    valid = EVP_Q_mac(nullptr, "HMAC", nullptr, md_name, nullptr, secret.data(), secret.size(),
                      in, input.size(), mac.data(), mac.size(), &mac_len) != nullptr &&
            mac_len == signature.size() && std::memcmp(mac.data(), sig, mac_len) == 0;
    ERR_clear_error();
    return valid;
  }

  std::string der;  // ECDSA: R || S re-encoded as the DER SEQUENCE OpenSSL verifies
  if (alg == Algorithm::ES256 || alg == Algorithm::ES384 || alg == Algorithm::ES512) {
    const auto half = static_cast<std::size_t>((EVP_PKEY_get_bits(key.pkey()) + 7) / 8);
    if (signature.size() != 2 * half) return false;
    std::unique_ptr<ECDSA_SIG, EcdsaSigFree> ecdsa(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(sig, static_cast<int>(half), nullptr);
    BIGNUM* s = BN_bin2bn(sig + half, static_cast<int>(half), nullptr);
    if (!ecdsa || !r || !s || ECDSA_SIG_set0(ecdsa.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      ERR_clear_error();
      return false;
    }
    unsigned char* encoded = nullptr;
    const int len = i2d_ECDSA_SIG(ecdsa.get(), &encoded);
    if (len <= 0) {
      ERR_clear_error();
      return false;
    }
    der.assign(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(len));
    OPENSSL_free(encoded);
    sig = reinterpret_cast<const unsigned char*>(der.data());
  }
  const std::size_t sig_len = der.empty() ? signature.size() : der.size();

  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (ctx && EVP_DigestVerifyInit_ex(ctx.get(), &pctx, md_name, nullptr, nullptr, key.pkey(),
                                     nullptr) == 1) {
    bool ready = true;
    if (alg == Algorithm::RS256 || alg == Algorithm::RS384 || alg == Algorithm::RS512) {
      ready = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    } else if (alg == Algorithm::PS256 || alg == Algorithm::PS384 || alg == Algorithm::PS512) {
      ready = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(digest_size(alg))) == 1 &&
              EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md_name, nullptr) == 1;
    }
    valid = ready && EVP_DigestVerify(ctx.get(), sig, sig_len, in, input.size()) == 1;
  }
  ERR_clear_error();
  return valid;
}

// What verify_jws_signature must answer, by verify.h's rules: the allow-list, then the key
// the kid names, else every usable key without a kid of its own (all usable keys when the token
// has no kid), at most kMaxKidlessCandidates of them, the first that verifies winning.
struct Expected {
  policies::Status status = policies::Status::signature_invalid;
  const Key* key = nullptr;  // the key that verifies, when status is ok
};

inline Expected expected_signature(const policies::ParsedJws& jws, const policies::KeySet& keys,
                                   policies::AlgorithmSet allowed) {
  using policies::Status;
  const Algorithm alg = jws.alg();
  if (!allowed.contains(alg)) return {Status::alg_not_allowed};
  if (jws.has_kid()) {
    if (const Key* key = keys.find(jws.kid())) {
      FUZZ_CHECK(key->kid() && *key->kid() == jws.kid(), "find() returned another kid");
      if (!oracle_usable(alg, *key)) return {Status::key_algorithm_mismatch};
      if (oracle_verify(alg, *key, jws.signing_input(), jws.signature())) {
        return {Status::ok, key};
      }
      return {Status::signature_invalid};
    }
  }
  std::vector<const Key*> candidates;
  for (const Key& key : keys.keys()) {
    if (jws.has_kid() && key.kid()) continue;  // a kid that names no key: kid-less keys only
    if (oracle_usable(alg, key)) candidates.push_back(&key);
  }
  if (candidates.empty()) return {Status::key_not_found};
  if (candidates.size() > policies::kMaxKidlessCandidates) return {Status::kid_missing};
  for (const Key* key : candidates) {
    if (oracle_verify(alg, *key, jws.signing_input(), jws.signature())) return {Status::ok, key};
  }
  return {Status::signature_invalid};
}

}  // namespace jwt_sidecar::fuzz
