// The published JWS vectors: RFC 7515 appendix A, RFC 7520 section 4, RFC 8037 appendix A.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "policies/verify.h"

using namespace jwt_sidecar::policies;

namespace {

struct Vector {
  std::string name, token, jwks, alg, kid;
  bool jwt = false;
  std::optional<std::int64_t> now;
};

Vector load_vector(const std::filesystem::path& path) {
  std::ifstream in(path);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(text).get(doc) == simdjson::SUCCESS);
  Vector v;
  v.name = path.filename().string();
  std::string_view s;
  REQUIRE(doc["token"].get(s) == simdjson::SUCCESS);
  v.token = std::string(s);
  REQUIRE(doc["alg"].get(s) == simdjson::SUCCESS);
  v.alg = std::string(s);
  if (doc["kid"].get(s) == simdjson::SUCCESS) v.kid = std::string(s);
  v.jwks = simdjson::minify(doc["jwks"]);
  REQUIRE(doc["payload_is_json_object"].get(v.jwt) == simdjson::SUCCESS);
  std::int64_t now = 0;
  if (doc["now"].get(now) == simdjson::SUCCESS) v.now = now;
  return v;
}

std::vector<Vector> all_vectors() {
  std::vector<Vector> out;
  for (const auto& entry : std::filesystem::directory_iterator(JWT_SIDECAR_TEST_DATA "/vectors")) {
    if (entry.path().extension() == ".json") out.push_back(load_vector(entry.path()));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

}  // namespace

TEST_CASE("every published vector verifies at the JWS layer", "[vectors]") {
  const auto vectors = all_vectors();
  REQUIRE(vectors.size() == 9);
  for (const auto& v : vectors) {
    INFO(v.name);
    const auto loaded = load_jwks(v.jwks);
    REQUIRE(loaded.error.empty());
    REQUIRE(loaded.skipped.empty());
    ParsedJws jws;
    REQUIRE(parse_jws(v.token, PayloadKind::any_bytes, jws) == Status::ok);
    CHECK(algorithm_name(jws.alg()) == v.alg);
    CHECK(jws.kid() == v.kid);
    const Key* used = nullptr;
    CHECK(verify_jws_signature(jws, *loaded.keys, AlgorithmSet::all(), &used) == Status::ok);
    CHECK(used == &loaded.keys->keys()[0]);
    // The same token with one signature character changed.
    auto tampered = v.token;
    tampered.back() = tampered.back() == 'A' ? 'Q' : 'A';
    ParsedJws bad;
    const auto s = parse_jws(tampered, PayloadKind::any_bytes, bad);
    if (s == Status::ok) {
      CHECK(verify_jws_signature(bad, *loaded.keys, AlgorithmSet::all()) == Status::signature_invalid);
    } else {
      CHECK(s == Status::bad_base64url);  // the change broke the canonical trailing bits
    }
  }
}

TEST_CASE("the JWT vectors verify as JWTs with their clock, and expire", "[vectors]") {
  std::size_t jwts = 0;
  for (const auto& v : all_vectors()) {
    INFO(v.name);
    const auto loaded = load_jwks(v.jwks);
    VerifyOptions options;
    options.algorithms = AlgorithmSet::all();
    ParsedJws jws;
    if (!v.jwt) {
      // RFC 7520 and RFC 8037 sign plain text: a valid JWS, but not a JWT.
      CHECK(verify_jwt(v.token, *loaded.keys, options, 0, jws) == Status::payload_invalid_json);
      continue;
    }
    ++jwts;
    REQUIRE(v.now);
    options.claims.issuer = "joe";  // RFC 7515 A.1-A.3 claims sets
    CHECK(verify_jwt(v.token, *loaded.keys, options, *v.now, jws) == Status::ok);
    CHECK(jws.claims().iss == "joe");
    CHECK(verify_jwt(v.token, *loaded.keys, options, 1300819380 + 60, jws) == Status::token_expired);
    options.claims.issuer = "jo";
    CHECK(verify_jwt(v.token, *loaded.keys, options, *v.now, jws) == Status::issuer_mismatch);
    options.claims.issuer.reset();
    options.algorithms = AlgorithmSet::asymmetric();
    CHECK(verify_jwt(v.token, *loaded.keys, options, *v.now, jws) ==
          (v.alg == "HS256" ? Status::alg_not_allowed : Status::ok));
  }
  CHECK(jwts == 3);
}
