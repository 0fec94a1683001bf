// Fuzz target: policies::parse_jws and policies::verify_jwt (policies/jws.h, verify.h).
//
// Input layout:
//   byte 0  verification options
//           bits 0-1 algorithms: all | asymmetric (the default) | HS256,HS384,HS512 |
//                    RS256,ES256,EdDSA
//           bits 2-3 issuer: none | "joe" | "https://idp.example.test" | "fuzz"
//           bit 4    require_exp          bit 5  audiences ["orders-api", "fuzz"]
//           bit 6    max_lifetime 1h      bit 7  max_token_bytes 512 instead of 8192
//   byte 1  bits 0-1 now: 1300819280 (the RFC 7515 examples) | 1800000000 | 0 | 4102444800
//           bits 2-3 clock_skew: 0 | 60 | 3600 | one year
//           bits 4-6 signing mode, below
//           bit 7    a larger key set: two more P-256 keys, so a token without "kid" has too
//                    many ES256 candidates (kid_missing)
//   rest    mode 0, 6, 7: the token, verbatim.
//           modes 1-5: "<header JSON>\xff<payload JSON>"; the target base64url-encodes both
//           parts and signs them, so mutations reach the claim checks behind the signature:
//           1 HS256, RFC 7515 A.1 secret (no kid)   2 HS256, RFC 7520 3.5 secret (its kid)
//           3 HS512, "fuzz-hs512"   4 EdDSA, "fuzz-ed25519"   5 ES256, "fuzz-es256"
//
// Keys: every JWK of tests/data/vectors/*.json and config/examples/jwks.json (HMAC, RSA,
// P-256, P-521, Ed25519), plus keys derived here from fixed seeds (tests/fuzz/make_corpus.js
// derives the same ones to sign seed tokens). Loaded once, through load_jwks.
//
// Checked on every input:
//  - no exception; the status is declared and one verify_jwt may return (never
//    verification_error with these keys); the OpenSSL error queue is left empty;
//  - `used` is set exactly when the signature verified; that key fits the token's alg, the
//    allow-list holds the alg, a kid naming a key means that key verified;
//  - the key choice and signature outcome match an independent model of verify.h's rules
//    using fresh OpenSSL objects (signature_oracle.h);
//  - a verified, accepted token really meets the policy (iss, exp, nbf, iat, lifetime, aud),
//    read back from the payload independently;
//  - parse_jws agrees with verify_jwt; what it decoded re-encodes to the token's segments
//    (strict base64url) and its alg/kid are the header's; PayloadKind::any_bytes differs only
//    in ignoring the payload;
//  - a warm (reused) ParsedJws gives the same results as a fresh one.
//
// JWT_SIDECAR_FUZZ_VERBOSE=1 in the environment prints each input's status and key.
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "policies/algorithm.h"
#include "policies/claims.h"
#include "policies/jwk.h"
#include "policies/jws.h"
#include "policies/status.h"
#include "policies/verify.h"
#include "tests/fuzz/fuzz_check.h"
#include "policies/openssl_ptr.h"
#include "tests/fuzz/signature_oracle.h"
#include "tests/support/test_keys.h"

namespace {

namespace fs = std::filesystem;
namespace dom = simdjson::dom;
using namespace jwt_sidecar::policies;
using jwt_sidecar::fuzz::b64url;
using jwt_sidecar::fuzz::expected_signature;
using jwt_sidecar::fuzz::oracle_usable;
using jwt_sidecar::fuzz::oracle_verify;
using jwt_sidecar::fuzz::printable;
using jwt_sidecar::testing::TestKey;

[[noreturn]] void setup_failed(const std::string& what) {
  std::fprintf(stderr, "token_fuzz setup: %s\n", what.c_str());
  std::abort();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) setup_failed("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string sha(const char* digest, std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), out.data(), &len, EVP_get_digestbyname(digest),
                 nullptr) != 1) {
    setup_failed("EVP_Digest");
  }
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

using PkeyPtr = jwt_sidecar::policies::EvpPkeyPtr;

// The Ed25519 key whose 32-byte seed is SHA-256("jwt-sidecar fuzz ed25519").
PkeyPtr ed25519_key(std::string& jwk) {
  const std::string seed = sha("SHA256", "jwt-sidecar fuzz ed25519");
  PkeyPtr key(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  std::array<unsigned char, 32> pub{};
  std::size_t len = pub.size();
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1) {
    setup_failed("Ed25519 key");
  }
  jwk = R"({"kty":"OKP","crv":"Ed25519","kid":"fuzz-ed25519","x":")" +
        b64url({reinterpret_cast<const char*>(pub.data()), len}) + "\"}";
  return key;
}

// The P-256 key whose private scalar is SHA-256(label), pinned to ES256.
PkeyPtr p256_key(std::string_view label, std::string_view kid, std::string& jwk) {
  const std::string d = sha("SHA256", label);
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  BIGNUM* priv = BN_bin2bn(reinterpret_cast<const unsigned char*>(d.data()), 32, nullptr);
  EC_POINT* point = group ? EC_POINT_new(group) : nullptr;
  std::array<unsigned char, 65> pub{};
  if (!group || !priv || !point ||
      EC_POINT_mul(group, point, priv, nullptr, nullptr, nullptr) != 1 ||
      EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, pub.data(), pub.size(),
                         nullptr) != pub.size()) {
    setup_failed("P-256 key");
  }
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, "group", "prime256v1", 0);
  OSSL_PARAM_BLD_push_BN(bld, "priv", priv);
  OSSL_PARAM_BLD_push_octet_string(bld, "pub", pub.data(), pub.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1) {
    setup_failed("P-256 EVP_PKEY");
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  EC_POINT_free(point);
  BN_free(priv);
  EC_GROUP_free(group);
  const auto* p = reinterpret_cast<const char*>(pub.data());
  jwk = R"({"kty":"EC","crv":"P-256","alg":"ES256","kid":")" + std::string(kid) +
        R"(","x":")" + b64url({p + 1, 32}) + R"(","y":")" + b64url({p + 33, 32}) + "\"}";
  return PkeyPtr(pkey);
}

struct Fixture {
  std::shared_ptr<const KeySet> keys;        // the vectors' keys and the derived ones
  std::shared_ptr<const KeySet> more_keys;   // the same plus two P-256 keys
  std::string a1_secret, rfc7520_secret, hs512_secret;
  TestKey ed25519, es256;
};

std::shared_ptr<const KeySet> load_set(const std::vector<std::string>& jwks) {
  std::string text = "{\"keys\":[";
  for (std::size_t i = 0; i < jwks.size(); ++i) text += (i ? "," : "") + jwks[i];
  text += "]}";
  auto loaded = load_jwks(text);
  if (!loaded.error.empty()) setup_failed("key set refused: " + loaded.error);
  for (const auto& s : loaded.skipped) {
    setup_failed("key " + std::to_string(s.index) + " skipped: " + s.reason);
  }
  return loaded.keys;
}

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture out;
    const fs::path root = JWT_SIDECAR_SOURCE_DIR;
    std::vector<std::string> jwks;  // minified JWK objects, each once
    std::set<std::string> kids;
    auto add_keys_of = [&](const std::string& text, bool nested) {
      dom::parser parser;
      dom::element doc;
      dom::array array;
      if (parser.parse(text).get(doc) != simdjson::SUCCESS ||
          (nested ? doc["jwks"]["keys"] : doc["keys"]).get(array) != simdjson::SUCCESS) {
        setup_failed("not a key set: " + text.substr(0, 80));
      }
      for (auto key : array) {
        auto minified = simdjson::minify(key);
        if (std::find(jwks.begin(), jwks.end(), minified) != jwks.end()) continue;
        // RFC 7520 uses one kid for its RSA and its P-521 key: the later one gets "#2" added,
        // so both are in the set (and the ES512 vector's kid names the RSA key).
        std::string_view kid;
        if (key["kid"].get(kid) == simdjson::SUCCESS && !kids.insert(std::string(kid)).second) {
          const std::string from = "\"kid\":\"" + std::string(kid) + "\"";
          minified.replace(minified.find(from), from.size(),
                           "\"kid\":\"" + std::string(kid) + "#2\"");
        }
        jwks.push_back(minified);
      }
    };
    std::vector<fs::path> vectors;
    for (const auto& entry : fs::directory_iterator(root / "tests/data/vectors")) {
      if (entry.path().extension() == ".json") vectors.push_back(entry.path());
    }
    std::sort(vectors.begin(), vectors.end());  // a fixed key order, whatever the directory's
    for (const auto& path : vectors) add_keys_of(read_file(path), true);
    add_keys_of(read_file(root / "config/examples/jwks.json"), false);

    std::string jwk;
    out.ed25519 = TestKey::adopt(ed25519_key(jwk), "Ed25519");
    jwks.push_back(jwk);
    out.es256 = TestKey::adopt(p256_key("jwt-sidecar fuzz es256", "fuzz-es256", jwk), "P-256");
    jwks.push_back(jwk);
    out.hs512_secret = sha("SHA512", "jwt-sidecar fuzz hs512");
    jwks.push_back(R"({"kty":"oct","kid":"fuzz-hs512","alg":"HS512","k":")" +
                   b64url(out.hs512_secret) + "\"}");
    out.keys = load_set(jwks);
    for (const char* extra : {"b", "c"}) {
      (void)p256_key(std::string("jwt-sidecar fuzz es256 ") + extra,
                     std::string("fuzz-es256-") + extra, jwk);
      jwks.push_back(jwk);
    }
    out.more_keys = load_set(jwks);

    for (const Key& key : out.keys->keys()) {
      if (key.type() == KeyType::oct && !key.kid()) out.a1_secret = key.secret();
    }
    if (const Key* key = out.keys->find("018c0ae5-4d9b-471b-bfd6-eef314bc7037")) {
      out.rfc7520_secret = key->secret();
    }
    if (out.a1_secret.size() != 64 || out.rfc7520_secret.size() != 32) {
      setup_failed("the RFC 7515 A.1 / RFC 7520 3.5 HMAC keys are not in tests/data/vectors");
    }
    // The oracle's notion of a usable key must match the library's on the fixed set, or
    // every later comparison is meaningless.
    for (const auto* set : {out.keys.get(), out.more_keys.get()}) {
      for (const Key& key : set->keys()) {
        for (std::size_t a = 0; a < kAlgorithmCount; ++a) {
          const auto alg = static_cast<Algorithm>(a);
          if (key.usable_with(alg) != oracle_usable(alg, key)) setup_failed("usable_with differs");
        }
      }
    }
    return out;
  }();
  return f;
}

// The one signer the tests use (tests/support/test_keys): HMAC, EdDSA, and ES256 as JWS R || S.
std::string sign(const Fixture& f, unsigned mode, std::string_view input) {
  switch (mode) {
    case 1: return TestKey::oct(f.a1_secret).sign(Algorithm::HS256, input);
    case 2: return TestKey::oct(f.rfc7520_secret).sign(Algorithm::HS256, input);
    case 3: return TestKey::oct(f.hs512_secret).sign(Algorithm::HS512, input);
    case 4: return f.ed25519.sign(Algorithm::EdDSA, input);
    default: return f.es256.sign(Algorithm::ES256, input);
  }
}

// ---- Status classes ----------------------------------------------------------------------

bool is_parse_status(Status s) {
  return s >= Status::malformed_token && s <= Status::payload_duplicate_member &&
         s != Status::alg_not_allowed;  // listed with the header statuses, decided later
}
bool is_key_status(Status s) {
  return s == Status::alg_not_allowed || s == Status::kid_missing || s == Status::key_not_found ||
         s == Status::key_algorithm_mismatch || s == Status::signature_invalid;
}
bool is_claim_status(Status s) {
  return s >= Status::issuer_missing && s <= Status::lifetime_too_long;
}

std::string name(Status s) { return std::string(reason(s)); }

// ---- A verified, accepted token meets the policy -----------------------------------------

bool numeric_date(dom::element e, double& out) {
  if (e.is<double>()) {
    out = e.get<double>().value();
  } else if (e.is<std::int64_t>()) {
    out = static_cast<double>(e.get<std::int64_t>().value());
  } else if (e.is<std::uint64_t>()) {
    out = static_cast<double>(e.get<std::uint64_t>().value());
  } else {
    return false;
  }
  return out >= 0 && out <= kMaxNumericDate;
}

void check_accepted(const ParsedJws& jws, const VerifyOptions& options, std::int64_t now) {
  dom::parser parser;
  dom::object payload;
  FUZZ_CHECK(parser.parse(std::string(jws.payload())).get(payload) == simdjson::SUCCESS,
             "accepted a payload that is not a JSON object: " + printable(jws.payload()));
  const double t = static_cast<double>(now);
  const auto skew = static_cast<double>(options.claims.clock_skew);
  std::optional<double> exp, iat;
  bool has_aud = false, aud_match = false;
  std::string iss;
  bool has_iss = false;
  for (auto field : payload) {
    const std::string_view k = field.key;
    double v = 0;
    if (k == "iss") {
      std::string_view s;
      FUZZ_CHECK(field.value.get(s) == simdjson::SUCCESS, "accepted a non-string iss");
      iss = s;
      has_iss = true;
    } else if (k == "aud") {
      has_aud = true;
      std::string_view s;
      auto matches = [&](std::string_view a) {
        const auto& want = options.claims.audiences;
        return std::find(want.begin(), want.end(), a) != want.end();
      };
      if (field.value.get(s) == simdjson::SUCCESS) {
        aud_match = matches(s);
      } else {
        dom::array list;
        FUZZ_CHECK(field.value.get(list) == simdjson::SUCCESS, "accepted a bad aud");
        for (auto item : list) {
          FUZZ_CHECK(item.get(s) == simdjson::SUCCESS, "accepted an aud with a non-string");
          aud_match = aud_match || matches(s);
        }
      }
    } else if (k == "exp") {
      FUZZ_CHECK(numeric_date(field.value, v), "accepted a bad exp");
      FUZZ_CHECK(t < v + skew, "accepted an expired token");
      exp = v;
    } else if (k == "nbf") {
      FUZZ_CHECK(numeric_date(field.value, v), "accepted a bad nbf");
      FUZZ_CHECK(t + skew >= v, "accepted a token before its nbf");
    } else if (k == "iat") {
      FUZZ_CHECK(numeric_date(field.value, v), "accepted a bad iat");
      FUZZ_CHECK(v <= t + skew, "accepted a token issued in the future");
      iat = v;
    }
  }
  if (options.claims.issuer) {
    FUZZ_CHECK(has_iss && iss == *options.claims.issuer, "accepted a foreign issuer");
  }
  if (options.claims.require_exp || options.claims.max_lifetime) {
    FUZZ_CHECK(exp.has_value(), "accepted a token without exp");
  }
  if (options.claims.max_lifetime) {
    FUZZ_CHECK(iat && *exp - *iat <= static_cast<double>(*options.claims.max_lifetime),
               "accepted a token living too long");
  }
  if (!options.claims.audiences.empty()) FUZZ_CHECK(has_aud && aud_match, "accepted a foreign aud");
}

// ---- parse_jws ---------------------------------------------------------------------------

std::string parts(const ParsedJws& j) {
  return "header=\"" + printable(j.header_json()) + "\" payload=\"" + printable(j.payload()) +
         "\" alg=" + std::string(algorithm_name(j.alg())) +
         " kid=" + (j.has_kid() ? "\"" + printable(j.kid()) + "\"" : std::string("-"));
}

bool same_parts(const ParsedJws& a, const ParsedJws& b, bool with_claims) {
  const bool same = a.header_json() == b.header_json() && a.payload() == b.payload() &&
                    a.signature() == b.signature() && a.signing_input() == b.signing_input() &&
                    a.alg() == b.alg() && a.has_kid() == b.has_kid() && a.kid() == b.kid();
  if (!same || !with_claims) return same;
  const Claims &x = a.claims(), &y = b.claims();
  return x.iss == y.iss && x.sub == y.sub && x.aud == y.aud && x.has_aud == y.has_aud &&
         x.exp == y.exp && x.nbf == y.nbf && x.iat == y.iat && x.shape == y.shape;
}

// What a successful parse must have found in `token`.
void check_parsed(std::string_view token, const ParsedJws& jws) {
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);
  FUZZ_CHECK(dot1 != std::string_view::npos && dot2 != std::string_view::npos &&
             token.find('.', dot2 + 1) == std::string_view::npos);
  FUZZ_CHECK(jws.signing_input() == token.substr(0, dot2));
  FUZZ_CHECK(jws.signing_input().data() == token.data(), "signing input is not the token's");
  // Strict base64url: each segment is the one canonical encoding of what it decoded to.
  FUZZ_CHECK(b64url(jws.header_json()) == token.substr(0, dot1), parts(jws));
  FUZZ_CHECK(b64url(jws.payload()) == token.substr(dot1 + 1, dot2 - dot1 - 1), parts(jws));
  FUZZ_CHECK(b64url(jws.signature()) == token.substr(dot2 + 1), parts(jws));
  FUZZ_CHECK(!jws.signature().empty() && !jws.payload().empty() && !jws.header_json().empty());
  FUZZ_CHECK(static_cast<std::size_t>(jws.alg()) < kAlgorithmCount);

  dom::parser parser;
  dom::object header;
  FUZZ_CHECK(parser.parse(std::string(jws.header_json())).get(header) == simdjson::SUCCESS,
             parts(jws));
  std::string_view alg;
  FUZZ_CHECK(header["alg"].get(alg) == simdjson::SUCCESS && alg == algorithm_name(jws.alg()),
             parts(jws));
  dom::element kid;
  const bool has_kid = header["kid"].get(kid) == simdjson::SUCCESS;
  FUZZ_CHECK(has_kid == jws.has_kid(), parts(jws));
  if (has_kid) {
    std::string_view text;
    FUZZ_CHECK(kid.get(text) == simdjson::SUCCESS && text == jws.kid(), parts(jws));
  }
  for (const char* refused : {"crit", "b64", "enc", "zip"}) {
    dom::element e;
    FUZZ_CHECK(header[refused].get(e) != simdjson::SUCCESS, parts(jws));
  }
}

VerifyOptions options_from(std::uint8_t a, std::uint8_t b, std::int64_t& now) {
  static const std::array<AlgorithmSet, 4> kAlgorithms = [] {
    AlgorithmSet hmac, mixed;
    for (auto alg : {Algorithm::HS256, Algorithm::HS384, Algorithm::HS512}) hmac.insert(alg);
    for (auto alg : {Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA}) mixed.insert(alg);
    return std::array<AlgorithmSet, 4>{AlgorithmSet::all(), AlgorithmSet::asymmetric(), hmac,
                                       mixed};
  }();
  static constexpr std::array<const char*, 4> kIssuers = {nullptr, "joe",
                                                          "https://idp.example.test", "fuzz"};
  static constexpr std::array<std::int64_t, 4> kNow = {1300819280, 1800000000, 0, 4102444800};
  static constexpr std::array<std::int64_t, 4> kSkew = {0, 60, 3600, kMaxPolicySeconds};
  VerifyOptions o;
  o.algorithms = kAlgorithms[a & 3];
  if (const char* issuer = kIssuers[(a >> 2) & 3]) o.claims.issuer = issuer;
  o.claims.require_exp = (a & 0x10) != 0;
  if (a & 0x20) o.claims.audiences = {"orders-api", "fuzz"};
  if (a & 0x40) o.claims.max_lifetime = 3600;
  o.max_token_bytes = (a & 0x80) ? 512 : 8192;
  now = kNow[b & 3];
  o.claims.clock_skew = kSkew[(b >> 2) & 3];
  return o;
}

void one_input(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return;
  const Fixture& f = fixture();
  std::int64_t now = 0;
  const VerifyOptions options = options_from(data[0], data[1], now);
  const unsigned mode = (data[1] >> 4) & 7;
  const KeySet& keys = (data[1] & 0x80) ? *f.more_keys : *f.keys;
  const std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);

  std::string token;
  if (mode >= 1 && mode <= 5) {
    const auto split = rest.find('\xff');
    const auto header = rest.substr(0, split);
    const auto payload = split == std::string_view::npos ? std::string_view{} : rest.substr(split + 1);
    token = b64url(header) + "." + b64url(payload);
    token += "." + b64url(sign(f, mode, token));
  } else {
    token.assign(rest);
  }

  ERR_clear_error();
  ParsedJws fresh;
  const Key* used = nullptr;
  const Status s = verify_jwt(token, keys, options, now, fresh, &used);
  FUZZ_CHECK(static_cast<std::size_t>(s) < kStatusCount, "undeclared Status");
  static const bool verbose = std::getenv("JWT_SIDECAR_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "token_fuzz: %s (key %s) for %s\n", reason(s).data(),
                 used ? (used->kid() ? used->kid()->c_str() : "without kid") : "-",
                 printable(token, 120).c_str());
  }
  FUZZ_CHECK(reason(s) != "unknown" && !describe(s).empty());
  FUZZ_CHECK(ERR_peek_error() == 0, "verify_jwt left an OpenSSL error queued");
  FUZZ_CHECK(s == Status::ok || s == Status::token_too_large || is_parse_status(s) ||
                 is_key_status(s) || is_claim_status(s),
             "verify_jwt returned " + name(s));

  const bool verified = s == Status::ok || is_claim_status(s);
  FUZZ_CHECK(verified == (used != nullptr), "status " + name(s) + " with used=" +
                                                (used ? "set" : "null"));
  if (used) {
    FUZZ_CHECK(options.algorithms.contains(fresh.alg()), "verified a disallowed alg");
    FUZZ_CHECK(used->usable_with(fresh.alg()) && oracle_usable(fresh.alg(), *used),
               "verified with a key that cannot do " + std::string(algorithm_name(fresh.alg())));
    if (fresh.has_kid()) {
      if (const Key* named = keys.find(fresh.kid())) {
        FUZZ_CHECK(used == named, "the kid names a key, another verified");
      } else {
        FUZZ_CHECK(!used->kid(), "a kid naming no key was verified by a key with a kid");
      }
    }
    FUZZ_CHECK(&keys.keys().front() <= used && used <= &keys.keys().back(),
               "used is not in the key set");
  }

  // The same with a warm ParsedJws (it held the previous input's token).
  static ParsedJws warm;
  const Key* warm_used = nullptr;
  const Status warm_status = verify_jwt(token, keys, options, now, warm, &warm_used);
  FUZZ_CHECK(warm_status == s, "fresh " + name(s) + ", warm " + name(warm_status));
  FUZZ_CHECK(warm_used == used);

  if (s == Status::token_too_large) {
    FUZZ_CHECK(token.size() > options.max_token_bytes);
    return;
  }
  FUZZ_CHECK(token.size() <= options.max_token_bytes);

  // parse_jws on its own agrees with verify_jwt.
  ParsedJws parsed;
  const Status p = parse_jws(token, PayloadKind::jwt_claims, parsed);
  FUZZ_CHECK(p == Status::ok || is_parse_status(p), "parse_jws returned " + name(p));
  if (is_parse_status(s)) {
    FUZZ_CHECK(p == s, "verify_jwt " + name(s) + ", parse_jws " + name(p));
  } else {
    FUZZ_CHECK(p == Status::ok, "verify_jwt " + name(s) + ", parse_jws " + name(p));
  }
  ParsedJws any;
  const Status a = parse_jws(token, PayloadKind::any_bytes, any);
  const bool payload_problem = p == Status::payload_invalid_json ||
                               p == Status::payload_not_object ||
                               p == Status::payload_duplicate_member;
  FUZZ_CHECK(a == (p == Status::ok || payload_problem ? Status::ok : p),
             "jwt_claims " + name(p) + ", any_bytes " + name(a));
  if (a == Status::ok) {
    check_parsed(token, any);
    FUZZ_CHECK(any.claims().shape == Status::ok && !any.claims().exp && !any.claims().iss);
  }
  if (p != Status::ok) return;
  check_parsed(token, parsed);
  FUZZ_CHECK(same_parts(parsed, any, false), parts(parsed) + " / " + parts(any));
  FUZZ_CHECK(same_parts(parsed, fresh, true), parts(parsed) + " / " + parts(fresh));
  FUZZ_CHECK(same_parts(parsed, warm, true), parts(parsed) + " / " + parts(warm));

  // The key choice and signature, by the model.
  const auto want = expected_signature(parsed, keys, options.algorithms);
  const Key* direct_used = nullptr;
  const Status direct = verify_jws_signature(parsed, keys, options.algorithms, &direct_used);
  FUZZ_CHECK(ERR_peek_error() == 0, "verify_jws_signature left an OpenSSL error queued");
  FUZZ_CHECK(direct == want.status && direct_used == want.key,
             "verify_jws_signature " + name(direct) + ", the model " + name(want.status) + "; " +
                 parts(parsed));
  if (want.status == Status::ok) {
    FUZZ_CHECK(used == want.key, "verify_jwt " + name(s) + " but the model verifies");
    FUZZ_CHECK(check_claims(parsed.claims(), options.claims, now) == s);
  } else {
    FUZZ_CHECK(s == want.status, "verify_jwt " + name(s) + ", the model " + name(want.status));
  }
  if (s == Status::ok) check_accepted(parsed, options, now);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fixture();  // load the keys before the first input, so setup is not timed
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return jwt_sidecar::fuzz::guarded([&] { one_input(data, size); });
}
