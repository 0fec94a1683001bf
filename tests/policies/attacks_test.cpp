// One test per known attack on JWT verifiers; each asserts the exact reason.
#include <catch2/catch.hpp>

#include "common/base64url.h"
#include "policies/verify.h"
#include "tests/support/test_keys.h"

using namespace jwt_sidecar::policies;
using jwt_sidecar::testing::b64;
using jwt_sidecar::testing::jwks_of;
using jwt_sidecar::testing::make_token;
using jwt_sidecar::testing::TestKey;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kClaims =
    R"({"iss":"https://idp.example.test","aud":"api","sub":"alice","iat":1699999990,"exp":1700000300})";

// The configured keys: one of each asymmetric type, each with a kid.
const KeySet& configured() {
  static const auto loaded = load_jwks(jwks_of({
      TestKey::shared_rsa().jwk("rsa"),
      TestKey::shared_ec("P-256").jwk("p256"),
      TestKey::shared_okp("Ed25519").jwk("ed"),
  }));
  return *loaded.keys;
}

VerifyOptions options(AlgorithmSet algorithms = AlgorithmSet::all()) {
  VerifyOptions o;
  o.algorithms = algorithms;
  o.claims.issuer = "https://idp.example.test";
  o.claims.audiences = {"api"};
  return o;
}

Status verify(const std::string& token, const VerifyOptions& o = options(),
              const KeySet& keys = configured()) {
  ParsedJws jws;
  return verify_jwt(token, keys, o, kNow, jws);
}

std::string header(std::string_view alg, std::string_view kid, std::string_view extra = {}) {
  std::string h = R"({"alg":")" + std::string(alg) + "\"";
  if (!kid.empty()) h += R"(,"kid":")" + std::string(kid) + "\"";
  if (!extra.empty()) h += "," + std::string(extra);
  return h + "}";
}

std::string signed_by(const TestKey& key, Algorithm alg, std::string_view kid,
                      const std::string& claims = kClaims, std::string_view extra = {}) {
  return make_token(key, alg, header(algorithm_name(alg), kid, extra), claims);
}

std::string with_signature(const std::string& token, std::string_view raw_signature) {
  return token.substr(0, token.rfind('.') + 1) + b64(raw_signature);
}

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

}  // namespace

TEST_CASE("control: a valid token of every asymmetric type passes", "[attacks]") {
  CHECK(verify(signed_by(TestKey::shared_rsa(), Algorithm::RS256, "rsa")) == Status::ok);
  CHECK(verify(signed_by(TestKey::shared_rsa(), Algorithm::PS512, "rsa")) == Status::ok);
  CHECK(verify(signed_by(TestKey::shared_ec("P-256"), Algorithm::ES256, "p256")) == Status::ok);
  CHECK(verify(signed_by(TestKey::shared_okp("Ed25519"), Algorithm::EdDSA, "ed")) == Status::ok);
}

TEST_CASE("alg none is refused in every letter case, signed or not", "[attacks]") {
  for (int mask = 0; mask < 16; ++mask) {
    std::string name = "none";
    for (int i = 0; i < 4; ++i) {
      if (mask & (1 << i)) name[static_cast<std::size_t>(i)] = static_cast<char>(name[static_cast<std::size_t>(i)] - 32);
    }
    INFO(name);
    const auto unsigned_token = b64(header(name, "")) + "." + b64(kClaims) + ".";
    CHECK(verify(unsigned_token) == Status::alg_none);
    CHECK(verify(unsigned_token + b64("sig")) == Status::alg_none);
    CHECK(verify(b64(header(name, "rsa")) + "." + b64(kClaims) + ".") == Status::alg_none);
  }
}

TEST_CASE("HS256 signed with a public key as the secret never verifies", "[attacks]") {
  // The classic algorithm confusion: the attacker HMACs with bytes of the public key.
  const auto& rsa = TestKey::shared_rsa();
  const auto& ec = TestKey::shared_ec("P-256");
  for (const auto& secret : {rsa.public_pem(), rsa.public_der(), rsa.jwk("rsa"), rsa.jwk(),
                             ec.public_pem(), ec.public_der(), ec.jwk("p256")}) {
    const auto forger = TestKey::oct(secret);
    for (const auto alg : {Algorithm::HS256, Algorithm::HS384, Algorithm::HS512}) {
      CHECK(verify(signed_by(forger, alg, "rsa")) == Status::key_algorithm_mismatch);
      CHECK(verify(signed_by(forger, alg, "p256")) == Status::key_algorithm_mismatch);
      CHECK(verify(signed_by(forger, alg, "")) == Status::key_not_found);
      CHECK(verify(signed_by(forger, alg, "rsa"), options(AlgorithmSet::asymmetric())) ==
            Status::alg_not_allowed);
    }
  }
}

TEST_CASE("degenerate ECDSA signatures are refused", "[attacks][ecdsa]") {
  const auto token = signed_by(TestKey::shared_ec("P-256"), Algorithm::ES256, "p256");
  // P-256 group order n (SEC 2 / FIPS 186-4 D.1.2.3).
  const auto n = unhex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  const auto one = std::string(31, '\0') + '\x01';
  const auto sig_b64 = token.substr(token.rfind('.') + 1);
  std::string good;
  REQUIRE(jwt_sidecar::common::base64url_decode(sig_b64, good));
  CHECK(verify(with_signature(token, std::string(64, '\0'))) == Status::signature_invalid);
  CHECK(verify(with_signature(token, n + n)) == Status::signature_invalid);
  CHECK(verify(with_signature(token, one + n)) == Status::signature_invalid);
  CHECK(verify(with_signature(token, good.substr(0, 32) + std::string(32, '\0'))) == Status::signature_invalid);
  CHECK(verify(with_signature(token, std::string(32, '\0') + good.substr(32))) == Status::signature_invalid);
  CHECK(verify(with_signature(token, std::string(64, '\xff'))) == Status::signature_invalid);
  CHECK(verify(with_signature(token, one + one)) == Status::signature_invalid);
}

TEST_CASE("ECDSA signatures of the wrong encoding or length are refused", "[attacks][ecdsa]") {
  const auto& key = TestKey::shared_ec("P-256");
  const auto token = signed_by(key, Algorithm::ES256, "p256");
  const auto input = token.substr(0, token.rfind('.'));
  const auto der = key.sign_der(Algorithm::ES256, input);
  CHECK(verify(with_signature(token, der)) == Status::signature_invalid);
  std::string raw;
  REQUIRE(jwt_sidecar::common::base64url_decode(token.substr(token.rfind('.') + 1), raw));
  CHECK(verify(with_signature(token, raw.substr(1))) == Status::signature_invalid);
  CHECK(verify(with_signature(token, raw + '\0')) == Status::signature_invalid);
  CHECK(verify(with_signature(token, std::string(1, '\0') + raw)) == Status::signature_invalid);
  CHECK(verify(with_signature(token, raw + raw.substr(0, 32))) == Status::signature_invalid);  // 96 bytes
}

TEST_CASE("PSS with a salt length other than the digest length is refused", "[attacks][pss]") {
  const auto& rsa = TestKey::shared_rsa();
  const auto h = b64(header("PS256", "rsa")) + "." + b64(kClaims);
  CHECK(verify(h + "." + b64(rsa.sign(Algorithm::PS256, h))) == Status::ok);
  for (const int salt : {0, 20, 31, 33, 64, 222}) {
    INFO(salt);
    CHECK(verify(h + "." + b64(rsa.sign(Algorithm::PS256, h, salt))) == Status::signature_invalid);
  }
  // A PKCS#1 v1.5 signature presented as PSS, and the reverse.
  CHECK(verify(h + "." + b64(rsa.sign(Algorithm::RS256, h))) == Status::signature_invalid);
  const auto r = b64(header("RS256", "rsa")) + "." + b64(kClaims);
  CHECK(verify(r + "." + b64(rsa.sign(Algorithm::PS256, r))) == Status::signature_invalid);
}

TEST_CASE("keys embedded in or linked from the header are never used", "[attacks]") {
  const auto attacker = TestKey::rsa(2048);
  const auto embedded = R"("jwk":)" + attacker.jwk("rsa");
  CHECK(verify(signed_by(attacker, Algorithm::RS256, "rsa", kClaims, embedded)) == Status::signature_invalid);
  CHECK(verify(signed_by(attacker, Algorithm::RS256, "evil", kClaims, embedded)) == Status::key_not_found);
  CHECK(verify(signed_by(attacker, Algorithm::RS256, "", kClaims, embedded)) == Status::signature_invalid);
  for (const char* link : {R"("jku":"https://evil.example/jwks.json")",
                           R"("x5u":"https://evil.example/cert.pem")", R"("x5c":["MIIBIjANBg"])"}) {
    INFO(link);
    CHECK(verify(signed_by(attacker, Algorithm::RS256, "rsa", kClaims, link)) == Status::signature_invalid);
    CHECK(verify(signed_by(attacker, Algorithm::RS256, "", kClaims, link)) == Status::signature_invalid);
  }
}

TEST_CASE("kid is an exact lookup key, never a path or pattern", "[attacks][kid]") {
  const auto& rsa = TestKey::shared_rsa();
  for (const char* kid : {"../../../../dev/null", "/dev/null", "rsa\\u0000", "rsa ", " rsa", "RSA",
                          "rsa/../rsa", "' OR '1'='1", "*", "rs.*", "file:///etc/passwd",
                          "\\u0000", "rs\\u0061\\u0000"}) {
    INFO(kid);
    CHECK(verify(signed_by(rsa, Algorithm::RS256, kid)) == Status::key_not_found);
  }
  // kid "rs\u0061" unescapes to exactly "rsa": the same string, so it is the same key.
  CHECK(verify(signed_by(rsa, Algorithm::RS256, "rs\\u0061")) == Status::ok);
}

TEST_CASE("a kid never falls back to another key", "[attacks][kid]") {
  // Signed by the P-256 key but naming the RSA key's kid with an ES alg.
  CHECK(verify(signed_by(TestKey::shared_ec("P-256"), Algorithm::ES256, "rsa")) ==
        Status::key_algorithm_mismatch);
  // Signed by another RSA key under the configured RSA kid.
  const auto other = TestKey::rsa(2048);
  CHECK(verify(signed_by(other, Algorithm::RS256, "rsa")) == Status::signature_invalid);
}

TEST_CASE("without a kid, only a few keys are tried", "[attacks][kid]") {
  std::vector<TestKey> keys;
  std::string jwks = R"({"keys":[)";
  for (std::size_t i = 0; i <= kMaxKidlessCandidates; ++i) {
    keys.push_back(TestKey::ec("P-256"));
    jwks += (i ? "," : "") + keys.back().jwk();
  }
  jwks += "]}";
  const auto many = load_jwks(jwks);
  REQUIRE(many.keys->size() == kMaxKidlessCandidates + 1);
  CHECK(verify(signed_by(keys[0], Algorithm::ES256, ""), options(), *many.keys) == Status::kid_missing);
  // Up to the limit, every candidate is tried, including the last.
  const auto few = load_jwks(jwks_of({keys[0].jwk(), keys[1].jwk(), keys[2].jwk(), keys[3].jwk()}));
  CHECK(verify(signed_by(keys[3], Algorithm::ES256, ""), options(), *few.keys) == Status::ok);
  CHECK(verify(signed_by(keys[4], Algorithm::ES256, ""), options(), *few.keys) == Status::signature_invalid);
}

TEST_CASE("crit and duplicate members are refused on signed tokens", "[attacks]") {
  const auto& rsa = TestKey::shared_rsa();
  CHECK(verify(signed_by(rsa, Algorithm::RS256, "rsa", kClaims, R"("crit":["exp"],"exp":1)")) ==
        Status::crit_unsupported);
  CHECK(verify(signed_by(rsa, Algorithm::RS256, "rsa", kClaims, R"("b64":false)")) ==
        Status::header_parameter_unsupported);
  CHECK(verify(signed_by(rsa, Algorithm::RS256, "rsa", kClaims, R"("kid":"p256")")) ==
        Status::header_duplicate_member);
  CHECK(verify(signed_by(rsa, Algorithm::RS256, "rsa", kClaims, R"("alg":"none")")) ==
        Status::header_duplicate_member);
  const auto dup_claims = R"({"iss":"https://idp.example.test","aud":"api","exp":1700000300,"aud":"other"})";
  CHECK(verify(signed_by(rsa, Algorithm::RS256, "rsa", dup_claims)) == Status::payload_duplicate_member);
}

TEST_CASE("padding and alphabet tricks on a valid token are refused", "[attacks][base64]") {
  const auto token = signed_by(TestKey::shared_rsa(), Algorithm::RS256, "rsa");
  const auto d1 = token.find('.'), d2 = token.rfind('.');
  CHECK(verify(token.substr(0, d1) + "=" + token.substr(d1)) == Status::bad_base64url);
  CHECK(verify(token.substr(0, d2) + "=" + token.substr(d2)) == Status::bad_base64url);
  CHECK(verify(token + "=") == Status::bad_base64url);
  CHECK(verify(token + "==") == Status::bad_base64url);
  auto standard = token;
  for (auto& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  if (standard != token) CHECK(verify(standard) == Status::bad_base64url);
  CHECK(verify(token.substr(0, d2 + 1) + " " + token.substr(d2 + 1)) == Status::bad_base64url);
  CHECK(verify(token + "\n") == Status::bad_base64url);
  CHECK(verify(token + ".") == Status::malformed_token);
  CHECK(verify(token + "." + token.substr(d2 + 1)) == Status::malformed_token);
}

TEST_CASE("a forged token learns nothing about its claims", "[attacks]") {
  const auto expired = R"({"iss":"https://evil.example","aud":"x","exp":1})";
  const auto token = signed_by(TestKey::rsa(2048), Algorithm::RS256, "rsa", expired);
  CHECK(verify(token) == Status::signature_invalid);
  const auto bad_date = R"({"exp":"soon"})";
  CHECK(verify(signed_by(TestKey::rsa(2048), Algorithm::RS256, "rsa", bad_date)) == Status::signature_invalid);
}

TEST_CASE("every bad NumericDate and iss/aud shape is refused after a good signature", "[attacks][claims]") {
  const auto& rsa = TestKey::shared_rsa();
  struct Case {
    const char* claims;
    Status expected;
  };
  const Case cases[] = {
      {R"({"iss":"https://idp.example.test","aud":"api","exp":"1700000300"})", Status::exp_invalid},
      {R"({"iss":"https://idp.example.test","aud":"api","exp":true})", Status::exp_invalid},
      {R"({"iss":"https://idp.example.test","aud":"api","exp":-1})", Status::exp_invalid},
      {R"({"iss":"https://idp.example.test","aud":"api","exp":1e20})", Status::exp_invalid},
      {R"({"iss":"https://idp.example.test","aud":"api","exp":9223372036854775807})", Status::exp_invalid},
      {R"({"iss":"https://idp.example.test","aud":"api","exp":18446744073709551615})", Status::exp_invalid},
      {R"({"iss":"https://idp.example.test","aud":"api","exp":1700000300,"nbf":"0"})", Status::nbf_invalid},
      {R"({"iss":"https://idp.example.test","aud":"api","exp":1700000300,"iat":[1]})", Status::iat_invalid},
      {R"({"iss":["https://idp.example.test"],"aud":"api","exp":1700000300})", Status::issuer_invalid},
      {R"({"iss":"https://idp.example.test","aud":[1],"exp":1700000300})", Status::audience_invalid},
      {R"({"iss":"https://idp.example.test","aud":{"api":true},"exp":1700000300})", Status::audience_invalid},
      {R"({"iss":"https://idp.example.test","aud":"api"})", Status::exp_missing},
      {R"({"iss":"https://idp.example.test","aud":"api","exp":1699999940})", Status::token_expired},
      {R"({"iss":"https://idp.example.test","aud":"api","exp":1700000300,"nbf":1700000061})", Status::token_not_yet_valid},
      {R"({"iss":"https://idp.example.test","aud":"api","exp":1700000300,"iat":1700000061})", Status::iat_in_future},
      {R"({"iss":"https://idp.example.test","aud":"apix","exp":1700000300})", Status::audience_mismatch},
      {R"({"iss":"https://idp.example.test","aud":[],"exp":1700000300})", Status::audience_mismatch},
      {R"({"iss":"https://idp.example.test","exp":1700000300})", Status::audience_missing},
      {R"({"aud":"api","exp":1700000300})", Status::issuer_missing},
      {R"({"iss":"https://idp.example.test.evil","aud":"api","exp":1700000300})", Status::issuer_mismatch},
      {R"({"iss":"https://idp.example.test","aud":["x","api"],"exp":1700000300.75})", Status::ok},
  };
  for (const auto& c : cases) {
    INFO(c.claims);
    CHECK(verify(signed_by(rsa, Algorithm::RS256, "rsa", c.claims)) == c.expected);
  }
}

TEST_CASE("oversized tokens are refused before parsing", "[attacks]") {
  auto o = options();
  o.max_token_bytes = 100;
  CHECK(verify(signed_by(TestKey::shared_rsa(), Algorithm::RS256, "rsa"), o) == Status::token_too_large);
  CHECK(verify(std::string(9000, 'a')) == Status::token_too_large);
}

TEST_CASE("non-JSON and non-object parts of a signed token are refused", "[attacks]") {
  const auto& rsa = TestKey::shared_rsa();
  CHECK(verify(make_token(rsa, Algorithm::RS256, header("RS256", "rsa"), "not json")) ==
        Status::payload_invalid_json);
  CHECK(verify(make_token(rsa, Algorithm::RS256, header("RS256", "rsa"), R"(["a"])")) ==
        Status::payload_not_object);
  CHECK(verify(make_token(rsa, Algorithm::RS256, header("RS256", "rsa"), "")) == Status::malformed_token);
  CHECK(verify(make_token(rsa, Algorithm::RS256, "RS256", kClaims)) == Status::header_invalid_json);
}
