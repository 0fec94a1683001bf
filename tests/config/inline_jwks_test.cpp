// The inline `jwks` of a provider: JSON re-serialisation, shape, and HMAC secret lengths.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include "tests/config/load_helpers.h"

using namespace jwt_sidecar::config;
using jwt_sidecar::config::test::Errors;
using jwt_sidecar::config::test::errors_of;
using jwt_sidecar::config::test::load_ok;

// 32 and 16 zero bytes in base64url.
#define K32 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define K16 "AAAAAAAAAAAAAAAAAAAAAA"

TEST_CASE("inline jwks is re-serialised as JSON with YAML scalars typed", "[config][jwks]") {
  const auto config = load_ok(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp:
    issuer: https://idp.example.test
    jwks:
      keys:
        - kty: EC
          crv: P-256
          kid: "2026"
          x: KZlT-ZnP_h1v-JIj4G4pik8bj29WxvTNicsDzHSGBXk
          y: 6eEMQTibDbwXDQSHlTjZeM-AYoIUtCnQ2cuwygyemhk
          key_ops: [verify]
          ext: true
          quoted: "true"
          n: -1.5e3
          hex: 0x10
          nothing: ~
          text: "tab\tquote\" backslash\\ é"
)");
  REQUIRE(config.providers.size() == 1);
  const auto& json = config.providers[0].jwks_inline;
  REQUIRE(json);
  CHECK(*json ==
        R"({"keys":[{"kty":"EC","crv":"P-256","kid":"2026",)"
        R"("x":"KZlT-ZnP_h1v-JIj4G4pik8bj29WxvTNicsDzHSGBXk",)"
        R"("y":"6eEMQTibDbwXDQSHlTjZeM-AYoIUtCnQ2cuwygyemhk","key_ops":["verify"],"ext":true,)"
        R"("quoted":"true","n":-1.5e3,"hex":"0x10","nothing":null,)"
        R"("text":"tab\tquote\" backslash\\ é"}]})");
  CHECK(config.providers[0].jwks_mark.line == 6);

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(*json).get(root) == simdjson::SUCCESS);
  std::string_view kid;
  REQUIRE(root["keys"].at(0)["kid"].get(kid) == simdjson::SUCCESS);
  CHECK(kid == "2026");
}

TEST_CASE("inline jwks written as JSON is accepted as it is", "[config][jwks]") {
  const auto config = load_ok(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp:
    issuer: https://idp.example.test
    algorithms: [HS256]
    jwks: {"keys": [{"kty": "oct", "k": ")" K32 R"(", "alg": "HS256"}]}
)");
  CHECK(config.providers[0].jwks_inline ==
        R"({"keys":[{"kty":"oct","k":")" K32 R"(","alg":"HS256"}]})");
}

TEST_CASE("inline jwks must be a JWK Set of mappings", "[config][jwks]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  a:
    issuer: https://a.example.test
    jwks: '{"keys": []}'
  b:
    issuer: https://b.example.test
    jwks: {kty: EC}
  c:
    issuer: https://c.example.test
    jwks: {keys: [{kty: EC}, EC]}
)") == Errors{
             "6:11: 'jwks' must be a JWK Set: a mapping with a 'keys' list (JSON is YAML too, so "
             "a JSON object can be pasted unquoted)",
             "9:11: 'jwks' must be a JWK Set: a mapping with a 'keys' list (JSON is YAML too, so "
             "a JSON object can be pasted unquoted)",
             "12:30: each entry of 'keys' must be a mapping (a JWK)",
         });
}

TEST_CASE("aliases cannot make inline jwks loop or explode", "[config][jwks]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  loop:
    issuer: https://a.example.test
    jwks: &self {keys: [*self]}
  laughs:
    issuer: https://b.example.test
    jwks:
      keys:
        - &a {kty: EC, x: [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]}
        - &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
        - &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
        - &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
        - &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
        - &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
        - &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
)") == Errors{"6:11: 'jwks' is nested too deeply", "10:7: 'jwks' is too large"});
}

TEST_CASE("an HMAC secret shorter than its hash is refused", "[config][jwks]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp:
    issuer: https://idp.example.test
    algorithms: [HS256, HS512]
    jwks:
      keys:
        - {kty: oct, kid: short, alg: HS256, k: )" K16 R"(}
        - {kty: oct, kid: no-alg, k: )" K32 R"(}
        - {kty: oct, kid: hs384, alg: HS384, k: )" K32 R"(}
        - {kty: oct, kid: ok, alg: HS256, k: )" K32 R"(}
        - {kty: oct, kid: padded, k: "AAAA===="}
        - {kty: oct, kid: empty}
        - kty: oct
          k: )" K16 R"(
)") == Errors{
             "9:11: HMAC secret of key 'short' is 16 bytes, shorter than the 32-byte hash of "
             "HS256",
             // No alg: any allowed HMAC algorithm may be used with it, so the strongest counts.
             "10:11: HMAC secret of key 'no-alg' is 32 bytes, shorter than the 64-byte hash of "
             "HS512",
             "11:11: HMAC secret of key 'hs384' is 32 bytes, shorter than the 48-byte hash of "
             "HS384",
             "13:38: 'k' must be base64url without padding",
             "14:11: an oct (HMAC) key needs 'k', its secret in base64url",
             "15:11: HMAC secret is 16 bytes, shorter than the 64-byte hash of HS512",
         });
}
