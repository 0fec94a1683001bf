#include "tests/support/test_keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <map>
#include <optional>
#include <stdexcept>

#include "common/base64url.h"

namespace jwt_sidecar::testing {
namespace {

using policies::Algorithm;
using policies::AlgorithmFamily;

[[noreturn]] void die(const char* what) { throw std::runtime_error(std::string("openssl: ") + what); }

policies::EvpPkeyPtr generate(const char* type, const OSSL_PARAM* params) {
  policies::EvpPkeyCtxPtr ctx{EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)};
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) die("keygen_init");
  if (params && EVP_PKEY_CTX_set_params(ctx.get(), params) != 1) die("set_params");
  if (EVP_PKEY_generate(ctx.get(), &pkey) != 1) die("generate");
  return policies::EvpPkeyPtr{pkey};
}

std::string bn_param(EVP_PKEY* pkey, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) die("get_bn_param");
  policies::BignumPtr owned{bn};
  const int len = pad > 0 ? pad : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(len), '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len) != len) die("bn2bin");
  return out;
}

int field_bytes(std::string_view crv) { return crv == "P-256" ? 32 : crv == "P-384" ? 48 : 66; }

const EVP_MD* md_for(Algorithm alg) {
  switch (policies::algorithm_digest_bytes(alg)) {
    case 32: return EVP_sha256();
    case 48: return EVP_sha384();
    case 64: return EVP_sha512();
    default: return nullptr;
  }
}

}  // namespace

TestKey TestKey::rsa(int bits) {
  std::size_t b = static_cast<std::size_t>(bits);
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &b),
                         OSSL_PARAM_construct_end()};
  TestKey k;
  k.pkey_ = generate("RSA", params);
  return k;
}

TestKey TestKey::ec(std::string_view crv) {
  const char* group = crv == "P-256" ? "prime256v1" : crv == "P-384" ? "secp384r1" : "secp521r1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                          const_cast<char*>(group), 0),
                         OSSL_PARAM_construct_end()};
  TestKey k;
  k.pkey_ = generate("EC", params);
  k.crv_ = std::string(crv);
  return k;
}

TestKey TestKey::okp(std::string_view crv) {
  TestKey k;
  k.pkey_ = generate(crv == "Ed448" ? "ED448" : "ED25519", nullptr);
  k.crv_ = std::string(crv);
  return k;
}

TestKey TestKey::adopt(policies::EvpPkeyPtr pkey, std::string_view crv) {
  TestKey k;
  k.pkey_ = std::move(pkey);
  k.crv_ = std::string(crv);
  return k;
}

TestKey TestKey::oct(std::string secret) {
  TestKey k;
  k.secret_ = std::move(secret);
  return k;
}

const TestKey& TestKey::shared_rsa() {
  static const TestKey key = rsa(2048);
  return key;
}

const TestKey& TestKey::shared_ec(std::string_view crv) {
  static const TestKey p256 = ec("P-256"), p384 = ec("P-384"), p521 = ec("P-521");
  return crv == "P-256" ? p256 : crv == "P-384" ? p384 : p521;
}

const TestKey& TestKey::shared_okp(std::string_view crv) {
  static const TestKey ed25519 = okp("Ed25519"), ed448 = okp("Ed448");
  return crv == "Ed448" ? ed448 : ed25519;
}

const TestKey& TestKey::shared_for(Algorithm alg) {
  static const TestKey hmac = oct(std::string(64, '\x5a') + "-test-secret");
  switch (policies::algorithm_family(alg)) {
    case AlgorithmFamily::hmac: return hmac;
    case AlgorithmFamily::rsa_pkcs1:
    case AlgorithmFamily::rsa_pss: return shared_rsa();
    case AlgorithmFamily::ecdsa:
      return shared_ec(alg == Algorithm::ES256 ? "P-256" : alg == Algorithm::ES384 ? "P-384" : "P-521");
    case AlgorithmFamily::eddsa: return shared_okp("Ed25519");
  }
  return hmac;
}

std::string TestKey::jwk(std::string_view kid, std::string_view extra) const {
  std::string out = "{";
  if (!secret_.empty() || !pkey_) {
    out += R"("kty":"oct","k":")" + b64(secret_) + "\"";
  } else if (EVP_PKEY_is_a(pkey_.get(), "RSA")) {
    out += R"("kty":"RSA","n":")" + b64(bn_param(pkey_.get(), OSSL_PKEY_PARAM_RSA_N)) +
           R"(","e":")" + b64(bn_param(pkey_.get(), OSSL_PKEY_PARAM_RSA_E)) + "\"";
  } else if (EVP_PKEY_is_a(pkey_.get(), "EC")) {
    const int n = field_bytes(crv_);
    out += R"("kty":"EC","crv":")" + crv_ + R"(","x":")" +
           b64(bn_param(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_X, n)) + R"(","y":")" +
           b64(bn_param(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, n)) + "\"";
  } else {
    std::string raw(64, '\0');
    std::size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(pkey_.get(), reinterpret_cast<unsigned char*>(raw.data()),
                                    &len) != 1) {
      die("get_raw_public_key");
    }
    raw.resize(len);
    out += R"("kty":"OKP","crv":")" + crv_ + R"(","x":")" + b64(raw) + "\"";
  }
  if (!kid.empty()) out += R"(,"kid":")" + std::string(kid) + "\"";
  if (!extra.empty()) {
    out += ",";
    out += extra;
  }
  out += "}";
  return out;
}

// Signs with `pkey`; `pss_salt` >= 0 or RSA_PSS_SALTLEN_DIGEST selects RSASSA-PSS.
static std::string digest_sign(EVP_PKEY* pkey, const EVP_MD* md, std::string_view input,
                        std::optional<int> pss_salt) {
  policies::EvpMdCtxPtr ctx{EVP_MD_CTX_new()};
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, pkey) != 1) die("DigestSignInit");
  if (pss_salt && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                   EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, *pss_salt) != 1 ||
                   EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1)) {
    die("PSS parameters");
  }
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) die("DigestSign size");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     input.size()) != 1) {
    die("DigestSign");
  }
  sig.resize(len);
  return sig;
}

std::string TestKey::sign_der(Algorithm alg, std::string_view input) const {
  const bool eddsa = policies::algorithm_family(alg) == AlgorithmFamily::eddsa;
  return digest_sign(pkey_.get(), eddsa ? nullptr : md_for(alg), input, std::nullopt);
}

std::string TestKey::sign(Algorithm alg, std::string_view input, int pss_salt) const {
  const auto family = policies::algorithm_family(alg);
  if (family == AlgorithmFamily::hmac) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(md_for(alg), secret_.data(), static_cast<int>(secret_.size()),
              reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len)) {
      die("HMAC");
    }
    return std::string(reinterpret_cast<char*>(mac), len);
  }
  if (family == AlgorithmFamily::ecdsa) {
    return ecdsa_der_to_raw(sign_der(alg, input), field_bytes(crv_));
  }
  if (family != AlgorithmFamily::rsa_pss) return sign_der(alg, input);
  return digest_sign(pkey_.get(), md_for(alg), input,
                     pss_salt >= 0 ? pss_salt : RSA_PSS_SALTLEN_DIGEST);
}

std::string TestKey::public_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio || PEM_write_bio_PUBKEY(bio, pkey_.get()) != 1) die("PEM_write_bio_PUBKEY");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::string TestKey::public_der() const {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey_.get(), &der);
  if (len <= 0) die("i2d_PUBKEY");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string ecdsa_der_to_raw(std::string_view der, int half) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) die("d2i_ECDSA_SIG");
  std::string raw(static_cast<std::size_t>(2 * half), '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, half);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + half, half);
  ECDSA_SIG_free(sig);
  return raw;
}

std::string b64(std::string_view bytes) { return common::base64url_encode(bytes); }

std::string make_token(const TestKey& key, Algorithm alg, std::string_view header_json,
                       std::string_view payload_json) {
  const std::string input = b64(header_json) + "." + b64(payload_json);
  return input + "." + b64(key.sign(alg, input));
}

std::string jwks_of(std::initializer_list<std::string> jwks) {
  std::string out = R"({"keys":[)";
  bool first = true;
  for (const auto& j : jwks) {
    if (!first) out += ",";
    out += j;
    first = false;
  }
  return out + "]}";
}

}  // namespace jwt_sidecar::testing
