#include "policies/jwk.h"

#include <catch2/catch.hpp>

#include "common/base64url.h"
#include "tests/support/test_keys.h"

using namespace jwt_sidecar::policies;
using jwt_sidecar::testing::b64;
using jwt_sidecar::testing::jwks_of;
using jwt_sidecar::testing::TestKey;

namespace {

// Loads a set holding one JWK; returns the skip reason, or "" when the key was accepted.
std::string load_one(const std::string& jwk) {
  const auto r = load_jwks(jwks_of({jwk}));
  REQUIRE(r.error.empty());
  if (r.skipped.empty()) {
    REQUIRE(r.keys->size() == 1);
    return "";
  }
  REQUIRE(r.keys->empty());
  return r.skipped[0].reason;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

std::string member(const std::string& jwk, const std::string& name) {
  const auto key = "\"" + name + "\":\"";
  const auto at = jwk.find(key) + key.size();
  return jwk.substr(at, jwk.find('"', at) - at);
}

}  // namespace

TEST_CASE("keys of every supported type load", "[jwk]") {
  const auto r = load_jwks(jwks_of({
      TestKey::shared_rsa().jwk("rsa", R"("use":"sig","alg":"RS256")"),
      TestKey::shared_ec("P-256").jwk("p256", R"("key_ops":["verify"])"),
      TestKey::shared_ec("P-384").jwk("p384"),
      TestKey::shared_ec("P-521").jwk("p521", R"("alg":"ES512")"),
      TestKey::shared_okp("Ed25519").jwk("ed25519"),
      TestKey::shared_okp("Ed448").jwk("ed448"),
      TestKey::shared_for(Algorithm::HS512).jwk("hmac", R"("alg":"HS512")"),
      TestKey::shared_rsa().jwk("", R"("x5c":["MIIB"],"x5t":"abc")"),
  }));
  REQUIRE(r.error.empty());
  CHECK(r.skipped.empty());
  REQUIRE(r.keys->size() == 8);
  CHECK(r.keys->find("rsa")->type() == KeyType::rsa);
  CHECK(r.keys->find("rsa")->bits() == 2048);
  CHECK(r.keys->find("rsa")->alg() == Algorithm::RS256);
  CHECK(r.keys->find("p256")->curve() == Curve::p256);
  CHECK(r.keys->find("p521")->curve() == Curve::p521);
  CHECK(r.keys->find("ed448")->curve() == Curve::ed448);
  CHECK(r.keys->find("hmac")->type() == KeyType::oct);
  CHECK(r.keys->find("missing") == nullptr);
  CHECK(r.keys->find("RSA") == nullptr);  // exact, case-sensitive
  CHECK_FALSE(r.keys->keys()[7].kid());
}

TEST_CASE("a single JWK loads as a set of one", "[jwk]") {
  const auto r = load_jwks(TestKey::shared_ec("P-256").jwk("only"));
  REQUIRE(r.error.empty());
  REQUIRE(r.keys->size() == 1);
  CHECK(r.keys->find("only"));
}

TEST_CASE("use, key_ops and alg restrict or disqualify a key", "[jwk]") {
  const auto& rsa = TestKey::shared_rsa();
  CHECK(load_one(rsa.jwk("a", R"("use":"enc")")) == "use_not_sig");
  CHECK(load_one(rsa.jwk("a", R"("use":1)")) == "use_not_sig");
  CHECK(load_one(rsa.jwk("a", R"("key_ops":["encrypt","wrapKey"])")) == "key_ops_without_verify");
  CHECK(load_one(rsa.jwk("a", R"("key_ops":[])")) == "key_ops_without_verify");
  CHECK(load_one(rsa.jwk("a", R"("key_ops":"verify")")) == "key_ops_invalid");
  CHECK(load_one(rsa.jwk("a", R"("alg":"ES256")")) == "alg_does_not_match_key");
  CHECK(load_one(rsa.jwk("a", R"("alg":"HS256")")) == "alg_does_not_match_key");
  CHECK(load_one(rsa.jwk("a", R"("alg":"RSA-OAEP")")) == "alg_unsupported");
  CHECK(load_one(rsa.jwk("a", R"("alg":"none")")) == "alg_unsupported");
  CHECK(load_one(rsa.jwk("a", R"("alg":5)")) == "alg_not_string");
  CHECK(load_one(TestKey::shared_ec("P-256").jwk("a", R"("alg":"ES384")")) == "alg_does_not_match_key");
  CHECK(load_one(TestKey::shared_okp("Ed25519").jwk("a", R"("alg":"ES256")")) == "alg_does_not_match_key");
  CHECK(load_one(TestKey::shared_for(Algorithm::HS256).jwk("a", R"("alg":"RS256")")) ==
        "alg_does_not_match_key");
  CHECK(load_one(R"({"kty":"RSA","kid":5})") == "kid_not_string");
  CHECK(load_one(R"({"kid":"x"})") == "kty_missing");
  CHECK(load_one(R"({"kty":"RSA-HSM","kid":"x"})") == "kty_unsupported");
  CHECK(load_one(R"({"kty":"rsa","kid":"x"})") == "kty_unsupported");
}

TEST_CASE("a pinned alg limits the key to that algorithm", "[jwk]") {
  const auto r = load_jwks(TestKey::shared_rsa().jwk("a", R"("alg":"PS256")"));
  REQUIRE(r.keys->size() == 1);
  const Key& key = r.keys->keys()[0];
  CHECK(key.usable_with(Algorithm::PS256));
  CHECK_FALSE(key.usable_with(Algorithm::RS256));
  CHECK_FALSE(key.usable_with(Algorithm::PS384));
}

TEST_CASE("private key material disqualifies a key", "[jwk]") {
  CHECK(load_one(TestKey::shared_rsa().jwk("a", R"("d":"AQAB")")) == "private_key_material");
  CHECK(load_one(TestKey::shared_rsa().jwk("a", R"("p":"AQAB","q":"AQAB")")) == "private_key_material");
  CHECK(load_one(TestKey::shared_ec("P-256").jwk("a", R"("d":"AQAB")")) == "private_key_material");
  CHECK(load_one(TestKey::shared_okp("Ed25519").jwk("a", R"("d":"AQAB")")) == "private_key_material");
}

TEST_CASE("weak or malformed RSA keys are skipped", "[jwk]") {
  const auto weak = TestKey::rsa(1024);
  CHECK(load_one(weak.jwk("weak")) == "rsa_modulus_too_small");
  const auto jwk = TestKey::shared_rsa().jwk("a");
  CHECK(load_one(replace(jwk, member(jwk, "e"), b64(std::string("\x01\x00\x00", 3)))) ==
        "rsa_exponent_invalid");  // even
  CHECK(load_one(replace(jwk, member(jwk, "e"), b64("\x01"))) == "rsa_exponent_invalid");
  CHECK(load_one(replace(jwk, member(jwk, "e"), b64(std::string(9, '\x01')))) == "rsa_exponent_invalid");
  CHECK(load_one(replace(jwk, member(jwk, "n"), member(jwk, "n") + "=")) == "rsa_parameters_invalid");
  CHECK(load_one(replace(jwk, "\"n\":", "\"N\":")) == "rsa_parameters_invalid");
  CHECK(load_one(replace(jwk, "\"e\":\"" + member(jwk, "e") + "\"", "\"e\":65537")) ==
        "rsa_parameters_invalid");
  // A 2048-bit modulus with a leading zero octet is still 2048 bits.
  std::string n;
  REQUIRE(jwt_sidecar::common::base64url_decode(member(jwk, "n"), n));
  CHECK(load_one(replace(jwk, member(jwk, "n"), b64(std::string(1, '\0') + n))) == "");
  // 2040 bits: too small even though it is 255 bytes long.
  n[0] = '\x00';
  n[1] = static_cast<char>(n[1] | 0x80);
  CHECK(load_one(replace(jwk, member(jwk, "n"), b64(n))) == "rsa_modulus_too_small");
}

TEST_CASE("EC keys need exact coordinates of a point on their curve", "[jwk]") {
  const auto jwk = TestKey::shared_ec("P-256").jwk("a");
  const auto x = member(jwk, "x"), y = member(jwk, "y");
  std::string yb;
  REQUIRE(jwt_sidecar::common::base64url_decode(y, yb));
  auto off = yb;
  off.back() = static_cast<char>(off.back() ^ 1);
  CHECK(load_one(replace(jwk, y, b64(off))) == "ec_point_not_on_curve");
  CHECK(load_one(replace(jwk, y, b64(std::string(32, '\0')))) != "");
  CHECK(load_one(replace(jwk, y, b64(yb.substr(1)))) == "ec_coordinate_length_invalid");
  CHECK(load_one(replace(jwk, y, b64(std::string(1, '\0') + yb))) == "ec_coordinate_length_invalid");
  CHECK(load_one(replace(jwk, "P-256", "P-257")) == "ec_curve_unsupported");
  CHECK(load_one(replace(jwk, "P-256", "secp256k1")) == "ec_curve_unsupported");
  CHECK(load_one(replace(jwk, "\"crv\":\"P-256\",", "")) == "ec_curve_missing");
  CHECK(load_one(replace(jwk, "\"x\":\"" + x + "\",", "")) == "ec_parameters_invalid");
  // P-256 coordinates presented as a P-384 key.
  CHECK(load_one(replace(jwk, "P-256", "P-384")) == "ec_coordinate_length_invalid");
  // Point at infinity / all-zero coordinates.
  CHECK(load_one(replace(replace(jwk, x, b64(std::string(32, '\0'))), y, b64(std::string(32, '\0')))) != "");
}

TEST_CASE("OKP keys must be signature curves with exact lengths", "[jwk]") {
  const auto jwk = TestKey::shared_okp("Ed25519").jwk("a");
  const auto x = member(jwk, "x");
  CHECK(load_one(replace(jwk, "Ed25519", "X25519")) == "okp_curve_unsupported");
  CHECK(load_one(replace(jwk, "Ed25519", "Ed448")) == "okp_key_length_invalid");
  CHECK(load_one(replace(jwk, x, b64(std::string(31, 'a')))) == "okp_key_length_invalid");
  CHECK(load_one(replace(jwk, x, "")) == "okp_parameters_invalid");
}

TEST_CASE("HMAC secrets must be at least as long as the hash", "[jwk]") {
  CHECK(load_one(R"({"kty":"oct","k":")" + b64(std::string(31, 's')) + "\"}") == "oct_key_too_short");
  CHECK(load_one(R"({"kty":"oct","k":")" + b64(std::string(32, 's')) + "\"}") == "");
  CHECK(load_one(R"({"kty":"oct","alg":"HS512","k":")" + b64(std::string(63, 's')) + "\"}") ==
        "oct_key_too_short");
  CHECK(load_one(R"({"kty":"oct","k":""})") == "oct_key_invalid");
  // A 32-byte secret without alg loads, but only HS256 may use it.
  const auto r = load_jwks(R"({"kty":"oct","k":")" + b64(std::string(32, 's')) + "\"}");
  REQUIRE(r.keys->size() == 1);
  CHECK(r.keys->keys()[0].usable_with(Algorithm::HS256));
  CHECK_FALSE(r.keys->keys()[0].usable_with(Algorithm::HS384));
}

TEST_CASE("a bad key is skipped and the rest of the set stays usable", "[jwk]") {
  const auto r = load_jwks(jwks_of({
      TestKey::rsa(1024).jwk("weak"),
      TestKey::shared_rsa().jwk("good"),
      R"({"kty":"EC","kid":"junk"})",
  }));
  REQUIRE(r.error.empty());
  REQUIRE(r.keys->size() == 1);
  CHECK(r.keys->find("good"));
  REQUIRE(r.skipped.size() == 2);
  CHECK(r.skipped[0].index == 0);
  CHECK(r.skipped[0].kid == "weak");
  CHECK(r.skipped[0].reason == "rsa_modulus_too_small");
  CHECK(r.skipped[1].index == 2);
  CHECK(r.skipped[1].reason == "ec_curve_missing");
}

TEST_CASE("documents of the wrong shape are refused whole", "[jwk]") {
  CHECK(load_jwks("").error.rfind("not valid JSON", 0) == 0);
  CHECK(load_jwks("{\"keys\":[").error.rfind("not valid JSON", 0) == 0);
  CHECK(load_jwks("[]").error == "a JWK Set must be a JSON object");
  CHECK(load_jwks(R"({"keys":{}})").error == "\"keys\" must be an array");
  CHECK(load_jwks(R"({"keys":[1]})").error == "every element of \"keys\" must be a JSON object");
  CHECK(load_jwks(R"({"foo":[]})").error == "neither a JWK Set (no \"keys\") nor a JWK (no \"kty\")");
  CHECK(load_jwks(R"({"keys":[],"keys":[]})").error == "a JSON object repeats a member name");
  const auto empty = load_jwks(R"({"keys":[]})");
  REQUIRE(empty.error.empty());
  CHECK(empty.keys->empty());
}

TEST_CASE("two keys with one kid make the set an error", "[jwk]") {
  const auto r = load_jwks(jwks_of({TestKey::shared_rsa().jwk("same"),
                                    TestKey::shared_ec("P-256").jwk("same")}));
  CHECK(r.error == "two keys share the kid \"same\"");
  CHECK_FALSE(r.keys);
}
