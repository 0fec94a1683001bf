#include "policies/jwk.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <array>
#include <unordered_set>

#include "common/base64url.h"
#include "policies/json_internal.h"
#include "common/json_text.h"

namespace jwt_sidecar::policies {

using common::json_string;
using common::base64url_decode;

namespace dom = simdjson::dom;

Key::~Key() {
  if (!secret_.empty()) OPENSSL_cleanse(secret_.data(), secret_.size());
}

bool Key::usable_with(Algorithm alg) const noexcept {
  if (alg_ && *alg_ != alg) return false;
  switch (algorithm_family(alg)) {
    case AlgorithmFamily::hmac:
      return type_ == KeyType::oct && secret_.size() >= algorithm_digest_bytes(alg);
    case AlgorithmFamily::rsa_pkcs1:
    case AlgorithmFamily::rsa_pss:
      return type_ == KeyType::rsa;
    case AlgorithmFamily::ecdsa:
      // RFC 7518 3.4: each ES algorithm names its curve.
      return type_ == KeyType::ec &&
             ((alg == Algorithm::ES256 && curve_ == Curve::p256) ||
              (alg == Algorithm::ES384 && curve_ == Curve::p384) ||
              (alg == Algorithm::ES512 && curve_ == Curve::p521));
    case AlgorithmFamily::eddsa:
      return type_ == KeyType::okp;
  }
  return false;
}

KeySet::KeySet(std::vector<Key> keys) : keys_(std::move(keys)) {
  by_kid_.reserve(keys_.size());
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].kid()) by_kid_.emplace(*keys_[i].kid(), i);
  }
}

const Key* KeySet::find(std::string_view kid) const {
  const auto it = by_kid_.find(kid);
  return it == by_kid_.end() ? nullptr : &keys_[it->second];
}

// Builds one Key from one JWK object, or says why it cannot.
class KeyBuilder {
 public:
  explicit KeyBuilder(dom::object jwk) : jwk_(jwk) {}

  // Returns "" on success, else a snake_case reason.
  std::string_view build(Key& key) {
    std::string_view kty;
    if (!member_string("kty", kty)) return "kty_missing";
    if (auto r = common_members(key); !r.empty()) return r;
    if (kty == "RSA") return build_rsa(key);
    if (kty == "EC") return build_ec(key);
    if (kty == "OKP") return build_okp(key);
    if (kty == "oct") return build_oct(key);
    return "kty_unsupported";
  }

  // kid, when present and a string; for reporting skipped keys.
  std::optional<std::string> kid() const {
    std::string_view k;
    if (member_string("kid", k)) return std::string(k);
    return std::nullopt;
  }

 private:
  bool has(const char* name) const {
    dom::element e;
    return jwk_[name].get(e) == simdjson::SUCCESS;
  }
  bool member_string(const char* name, std::string_view& out) const {
    dom::element e;
    return jwk_[name].get(e) == simdjson::SUCCESS && e.get(out) == simdjson::SUCCESS;
  }
  // A required base64url member, decoded.
  bool member_bytes(const char* name, std::string& out) const {
    std::string_view text;
    return member_string(name, text) && !text.empty() && base64url_decode(text, out);
  }

  std::string_view common_members(Key& key) {
    dom::element e;
    if (jwk_["kid"].get(e) == simdjson::SUCCESS) {
      std::string_view kid;
      if (e.get(kid) != simdjson::SUCCESS) return "kid_not_string";
      key.kid_.emplace(kid);
    }
    if (jwk_["use"].get(e) == simdjson::SUCCESS) {
      std::string_view use;
      if (e.get(use) != simdjson::SUCCESS || use != "sig") return "use_not_sig";
    }
    if (jwk_["key_ops"].get(e) == simdjson::SUCCESS) {
      dom::array ops;
      if (e.get(ops) != simdjson::SUCCESS) return "key_ops_invalid";
      bool verify = false;
      for (auto op : ops) {
        std::string_view name;
        if (op.get(name) != simdjson::SUCCESS) return "key_ops_invalid";
        verify = verify || name == "verify";
      }
      if (!verify) return "key_ops_without_verify";
    }
    if (jwk_["alg"].get(e) == simdjson::SUCCESS) {
      std::string_view name;
      if (e.get(name) != simdjson::SUCCESS) return "alg_not_string";
      const auto alg = algorithm_from_name(name);
      if (!alg) return "alg_unsupported";
      key.alg_ = *alg;
    }
    return "";
  }

  // Public keys only: a JWK carrying private members is a leaked private key, and using it
  // would hide the leak.
  bool has_private_members() const {
    static constexpr const char* kPrivate[] = {"d", "p", "q", "dp", "dq", "qi", "oth"};
    return std::any_of(std::begin(kPrivate), std::end(kPrivate),
                       [&](const char* m) { return has(m); });
  }

  std::string_view build_rsa(Key& key) {
    if (has_private_members()) return "private_key_material";
    std::string n, e;
    if (!member_bytes("n", n) || !member_bytes("e", e)) return "rsa_parameters_invalid";
    BignumPtr bn_n{BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                             static_cast<int>(n.size()), nullptr)};
    BignumPtr bn_e{BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                             static_cast<int>(e.size()), nullptr)};
    if (!bn_n || !bn_e) return "rsa_parameters_invalid";
    key.bits_ = BN_num_bits(bn_n.get());
    // NIST SP 800-131A / RFC 7518 3.3: 2048 bits at least.
    if (key.bits_ < 2048) return "rsa_modulus_too_small";
    if (key.bits_ > 16384) return "rsa_modulus_too_large";
    if (!BN_is_odd(bn_n.get())) return "rsa_parameters_invalid";
    // e must be odd and at least 3; keep it to 64 bits so verification stays cheap.
    if (!BN_is_odd(bn_e.get()) || BN_num_bits(bn_e.get()) < 2 || BN_num_bits(bn_e.get()) > 64) {
      return "rsa_exponent_invalid";
    }
    ParamBldPtr bld{OSSL_PARAM_BLD_new()};
    if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
      return "openssl_error";
    }
    return from_params(key, KeyType::rsa, "RSA", bld);
  }

  std::string_view build_ec(Key& key) {
    if (has_private_members()) return "private_key_material";
    std::string_view crv;
    if (!member_string("crv", crv)) return "ec_curve_missing";
    std::size_t len = 0;
    const char* group = nullptr;
    if (crv == "P-256") {
      key.curve_ = Curve::p256, len = 32, group = "prime256v1";
    } else if (crv == "P-384") {
      key.curve_ = Curve::p384, len = 48, group = "secp384r1";
    } else if (crv == "P-521") {
      key.curve_ = Curve::p521, len = 66, group = "secp521r1";
    } else {
      return "ec_curve_unsupported";
    }
    std::string x, y;
    if (!member_bytes("x", x) || !member_bytes("y", y)) return "ec_parameters_invalid";
    // RFC 7518 6.2.1.2: the coordinates are exactly the field size, leading zeros kept.
    if (x.size() != len || y.size() != len) return "ec_coordinate_length_invalid";
    std::string point;
    point.reserve(1 + 2 * len);
    point += '\x04';  // SEC 1 uncompressed point
    point += x;
    point += y;
    ParamBldPtr bld{OSSL_PARAM_BLD_new()};
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
      return "openssl_error";
    }
    if (auto r = from_params(key, KeyType::ec, "EC", bld); !r.empty()) {
      // Lengths are already right, so OpenSSL refusing the point means it is not on the curve.
      return r == "openssl_error" ? "ec_point_not_on_curve" : r;
    }
    // fromdata does not promise an on-curve check; an off-curve point enables invalid-curve
    // attacks, so check explicitly.
    EvpPkeyCtxPtr check{EVP_PKEY_CTX_new_from_pkey(nullptr, key.pkey_.get(), nullptr)};
    if (!check || EVP_PKEY_public_check(check.get()) != 1) {
      ERR_clear_error();
      return "ec_point_not_on_curve";
    }
    return "";
  }

  std::string_view build_okp(Key& key) {
    if (has_private_members()) return "private_key_material";
    std::string_view crv;
    if (!member_string("crv", crv)) return "okp_curve_missing";
    int type = 0;
    std::size_t len = 0;
    if (crv == "Ed25519") {
      key.curve_ = Curve::ed25519, type = EVP_PKEY_ED25519, len = 32;
    } else if (crv == "Ed448") {
      key.curve_ = Curve::ed448, type = EVP_PKEY_ED448, len = 57;
    } else {
      return "okp_curve_unsupported";  // X25519/X448 are for key agreement, not signatures
    }
    std::string x;
    if (!member_bytes("x", x)) return "okp_parameters_invalid";
    if (x.size() != len) return "okp_key_length_invalid";
    key.pkey_.reset(EVP_PKEY_new_raw_public_key(
        type, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size()));
    if (!key.pkey_) {
      ERR_clear_error();
      return "okp_parameters_invalid";
    }
    key.type_ = KeyType::okp;
    if (key.alg_ && *key.alg_ != Algorithm::EdDSA) return "alg_does_not_match_key";
    return "";
  }

  std::string_view build_oct(Key& key) {
    if (!member_bytes("k", key.secret_)) return "oct_key_invalid";
    key.type_ = KeyType::oct;
    if (key.alg_ && algorithm_family(*key.alg_) != AlgorithmFamily::hmac) {
      return "alg_does_not_match_key";
    }
    // RFC 7518 3.2: a key of the same size as the hash output or larger MUST be used.
    const std::size_t needed = key.alg_ ? algorithm_digest_bytes(*key.alg_) : 32;
    if (key.secret_.size() < needed) return "oct_key_too_short";
    return "";
  }

  std::string_view from_params(Key& key, KeyType type, const char* name, ParamBldPtr& bld) {
    ParamPtr params{OSSL_PARAM_BLD_to_param(bld.get())};
    EvpPkeyCtxPtr ctx{EVP_PKEY_CTX_new_from_name(nullptr, name, nullptr)};
    EVP_PKEY* pkey = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
      ERR_clear_error();
      return "openssl_error";
    }
    key.pkey_.reset(pkey);
    key.type_ = type;
    if (key.alg_ && !key.usable_with(*key.alg_)) return "alg_does_not_match_key";
    return "";
  }

  dom::object jwk_;
};

// Key::fingerprint_, from the DER public key or the secret.
bool fingerprint(Key& key) {
  std::string material;
  if (key.type() == KeyType::oct) {
    material = "oct:";
    material += key.secret();
  } else {
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(key.pkey(), &der);
    if (len <= 0) {
      ERR_clear_error();
      return false;
    }
    material.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
  }
  unsigned int out_len = 0;
  const bool ok = EVP_Digest(material.data(), material.size(), key.fingerprint_.data(), &out_len,
                             EVP_sha256(), nullptr) == 1;
  OPENSSL_cleanse(material.data(), material.size());
  return ok && out_len == key.fingerprint_.size();
}

namespace {

// The JWK objects of a JWK Set (or of a single JWK); "" or why the document is refused.
std::string jwk_objects(dom::element root, std::vector<dom::object>& jwks) {
  if (json::has_duplicate_members(root)) return "a JSON object repeats a member name";
  dom::object top;
  if (root.get(top) != simdjson::SUCCESS) return "a JWK Set must be a JSON object";
  dom::element keys_member;
  if (top["keys"].get(keys_member) == simdjson::SUCCESS) {
    dom::array keys;
    if (keys_member.get(keys) != simdjson::SUCCESS) return "\"keys\" must be an array";
    for (auto item : keys) {
      dom::object jwk;
      if (item.get(jwk) != simdjson::SUCCESS) return "every element of \"keys\" must be a JSON object";
      jwks.push_back(jwk);
    }
    return "";
  }
  if (dom::element kty; top["kty"].get(kty) == simdjson::SUCCESS) {
    jwks.push_back(top);  // a single JWK
    return "";
  }
  return "neither a JWK Set (no \"keys\") nor a JWK (no \"kty\")";
}

}  // namespace

JwksLoadResult load_jwks(std::string_view text) {
  JwksLoadResult result;
  dom::parser parser;
  dom::element root;
  if (const auto err = parser.parse(text.data(), text.size()).get(root); err != simdjson::SUCCESS) {
    result.error = std::string("not valid JSON: ") + simdjson::error_message(err);
    return result;
  }
  std::vector<dom::object> jwks;
  result.error = jwk_objects(root, jwks);
  if (!result.error.empty()) return result;

  std::vector<Key> usable;
  std::unordered_set<std::string> kids;
  for (std::size_t i = 0; i < jwks.size(); ++i) {
    KeyBuilder builder(jwks[i]);
    auto kid = builder.kid();
    if (kid && !kids.insert(*kid).second) {
      result.error = "two keys share the kid " + json_string(*kid);
      return result;
    }
    Key key;
    static std::atomic<std::uint64_t> next_id{1};
    key.id_ = next_id.fetch_add(1, std::memory_order_relaxed);
    if (const auto reason = builder.build(key); !reason.empty()) {
      result.skipped.push_back({i, std::move(kid), std::string(reason)});
      continue;
    }
    if (!fingerprint(key)) {
      result.skipped.push_back({i, key.kid(), "openssl_error"});
      continue;
    }
    usable.push_back(std::move(key));
  }
  result.keys = std::make_shared<const KeySet>(std::move(usable));
  return result;
}

}  // namespace jwt_sidecar::policies
