// Test-only signing: keys generated with OpenSSL at test time, their public JWKs, and tokens
// signed with them. Never linked into the product.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "policies/algorithm.h"
#include "policies/openssl_ptr.h"

namespace jwt_sidecar::testing {

class TestKey {
 public:
  static TestKey rsa(int bits);
  static TestKey ec(std::string_view crv);   // "P-256", "P-384", "P-521"
  static TestKey okp(std::string_view crv);  // "Ed25519", "Ed448"
  static TestKey oct(std::string secret);
  // A key made elsewhere (the fuzz targets derive theirs from fixed seeds, to be reproducible).
  // `crv` as for ec()/okp(): "P-256", "Ed25519", ...
  static TestKey adopt(policies::EvpPkeyPtr pkey, std::string_view crv);

  // Keys are costly to generate (RSA especially): tests share one of each per process.
  static const TestKey& shared_rsa();
  static const TestKey& shared_ec(std::string_view crv);
  static const TestKey& shared_okp(std::string_view crv);
  static const TestKey& shared_for(policies::Algorithm alg);  // oct: a 64-byte secret

  // The public JWK as a JSON object. `extra` is raw JSON members appended inside the object,
  // e.g. R"("use":"sig")".
  std::string jwk(std::string_view kid = {}, std::string_view extra = {}) const;

  // A JWS signature over `input` (RFC 7518 encoding: R||S for ECDSA). `pss_salt` overrides the
  // PSS salt length (default: the digest length).
  std::string sign(policies::Algorithm alg, std::string_view input, int pss_salt = -1) const;
  // ECDSA only: the signature DER-encoded, as OpenSSL produces it.
  std::string sign_der(policies::Algorithm alg, std::string_view input) const;

  std::string public_pem() const;
  std::string public_der() const;
  EVP_PKEY* pkey() const { return pkey_.get(); }
  const std::string& secret() const { return secret_; }

 private:
  policies::EvpPkeyPtr pkey_;
  std::string secret_;
  std::string crv_;
};

std::string b64(std::string_view bytes);

// "<b64 header>.<b64 payload>.<b64 signature>", signed by `key` with `alg`. The header and
// payload are used byte for byte, so tests can sign anything, valid JSON or not.
std::string make_token(const TestKey& key, policies::Algorithm alg, std::string_view header_json,
                       std::string_view payload_json);

// An OpenSSL DER ECDSA signature as JWS R||S, each padded to `half` bytes.
std::string ecdsa_der_to_raw(std::string_view der, int half);

// {"keys":[...]} from JWK object texts.
std::string jwks_of(std::initializer_list<std::string> jwks);

}  // namespace jwt_sidecar::testing
