// `providers`: issuers, key sources, timing, algorithms, token sources and forwarded claims.
#include <catch2/catch.hpp>

#include "tests/config/load_helpers.h"

using namespace jwt_sidecar::config;
using namespace std::chrono_literals;
using jwt_sidecar::config::test::Errors;
using jwt_sidecar::config::test::errors_of;
using jwt_sidecar::config::test::load_ok;

TEST_CASE("a provider gets the documented defaults", "[config][providers]") {
  const auto config = load_ok(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp:
    issuer: https://idp.example.test
    jwks_uri: https://idp.example.test/jwks.json
)");
  REQUIRE(config.providers.size() == 1);
  const auto& corp = config.providers[0];
  CHECK(corp.name == "corp");
  CHECK(corp.mark.line == 4);
  CHECK(corp.mark.column == 3);
  CHECK(corp.jwks_mark.line == 6);
  CHECK(corp.jwks_mark.column == 5);
  REQUIRE(corp.jwks_uri);
  CHECK(corp.jwks_uri->host == "idp.example.test");
  CHECK(corp.jwks_uri->port == 443);
  CHECK(corp.jwks_uri->path == "/jwks.json");
  CHECK_FALSE(corp.discovery);
  CHECK_FALSE(corp.jwks_file);
  CHECK_FALSE(corp.jwks_inline);
  CHECK(corp.audiences.empty());
  CHECK(corp.algorithms.empty());
  CHECK(corp.refresh_interval == 10min);
  CHECK(corp.min_refresh_interval == 30s);
  CHECK(corp.max_stale == 24h);
  CHECK(corp.clock_skew == 60s);
  CHECK(corp.require_exp);
  CHECK_FALSE(corp.max_lifetime);
  REQUIRE(corp.token_from.size() == 1);
  CHECK(corp.token_from[0].kind == TokenSource::Kind::header);
  CHECK(corp.token_from[0].name == "Authorization");
  CHECK(corp.forward_token);
  CHECK(corp.forward_claims.empty());
  CHECK_FALSE(corp.forward_payload_header);
}

TEST_CASE("every provider setting is read", "[config][providers]") {
  const auto config = load_ok(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp:
    issuer: https://idp.example.test
    audiences: [orders-api, billing-api]
    discovery: true
    ca_file: /etc/ssl/idp-ca.pem
    refresh_interval: 1h
    min_refresh_interval: 1m
    max_stale: 0s
    algorithms: [RS256, EdDSA]
    clock_skew: 5s
    require_exp: false
    max_lifetime: 12h
    token_from:
      - header: X-Token
      - cookie: access_token
      - query: access_token
    forward_token: false
    forward_claims: {sub: x-user-id, realm_access.roles: x-roles}
    forward_payload_header: x-jwt-payload
  partner:
    issuer: partner
    jwks_file: /etc/jwt/partner.json
    discovery: false
)");
  REQUIRE(config.providers.size() == 2);
  const auto& corp = config.providers[0];
  CHECK(corp.audiences == std::vector<std::string>{"orders-api", "billing-api"});
  CHECK(corp.discovery);
  CHECK(corp.jwks_mark.line == 7);
  CHECK(corp.ca_file == "/etc/ssl/idp-ca.pem");
  CHECK(corp.refresh_interval == 1h);
  CHECK(corp.min_refresh_interval == 1min);
  CHECK(corp.max_stale == 0s);
  CHECK(corp.algorithms == std::vector<std::string>{"RS256", "EdDSA"});
  CHECK(corp.algorithms_mark.line == 12);
  CHECK(corp.algorithms_mark.column == 17);
  CHECK(corp.clock_skew == 5s);
  CHECK_FALSE(corp.require_exp);
  CHECK(corp.max_lifetime == 12h);
  REQUIRE(corp.token_from.size() == 3);
  CHECK(corp.token_from[0].kind == TokenSource::Kind::header);
  CHECK(corp.token_from[0].name == "X-Token");
  CHECK(corp.token_from[1].kind == TokenSource::Kind::cookie);
  CHECK(corp.token_from[2].kind == TokenSource::Kind::query);
  CHECK(corp.token_from[2].mark.line == 19);
  CHECK_FALSE(corp.forward_token);
  CHECK(corp.forward_claims == std::vector<std::pair<std::string, std::string>>{
                                   {"sub", "x-user-id"}, {"realm_access.roles", "x-roles"}});
  CHECK(corp.forward_payload_header == "x-jwt-payload");
  CHECK(config.providers[1].jwks_file == "/etc/jwt/partner.json");
  CHECK_FALSE(config.providers[1].discovery);
}

TEST_CASE("a provider needs exactly one key source", "[config][providers]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  none:
    issuer: https://a.example.test
    discovery: false
  two:
    issuer: https://b.example.test
    jwks_uri: https://b.example.test/jwks
    discovery: true
    jwks_file: /etc/b.json
)") == Errors{
             "4:3: provider 'none' has no key source: set exactly one of jwks_uri, discovery: "
             "true, jwks_file or jwks",
             "10:5: provider 'two' has two key sources, 'jwks_uri' and 'discovery': keep "
             "exactly one",
             "11:5: provider 'two' has two key sources, 'jwks_uri' and 'jwks_file': keep "
             "exactly one",
         });
}

TEST_CASE("issuer is required, and must be a URL for discovery", "[config][providers]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  missing:
    jwks_file: /etc/a.json
  empty:
    issuer: ""
    jwks_file: /etc/b.json
  discovered:
    issuer: corp-idp
    discovery: true
  "bad name":
    issuer: x
    jwks_file: /etc/c.json
  listed:
    - issuer: x
)") == Errors{
             "4:3: missing required key 'issuer' in provider 'missing'",
             "7:13: 'issuer' must be a non-empty string",
             "11:16: 'discovery: true' needs an issuer that is an http:// or https:// URL; "
             "'corp-idp' is not",
             "12:3: provider name 'bad name' may only use letters, digits, '-', '_' and '.'",
             "16:5: provider 'listed' must be a mapping",
         });
}

TEST_CASE("algorithms must be supported, and none is never allowed", "[config][providers]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp:
    issuer: https://idp.example.test
    jwks_file: /etc/jwks.json
    algorithms: [RS256, none, rs256, NONE, XY999]
  other:
    issuer: https://other.example.test
    jwks_file: /etc/jwks.json
    algorithms: []
)") == Errors{
             "7:25: algorithm 'none' is never allowed: it accepts unsigned tokens",
             "7:31: unsupported algorithm 'rs256' (did you mean 'RS256'?)",
             "7:38: algorithm 'NONE' is never allowed: it accepts unsigned tokens",
             "7:44: unsupported algorithm 'XY999' (supported: HS256, HS384, HS512, RS256, "
             "RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)",
             "11:17: 'algorithms' must not be empty (omit it to allow every asymmetric "
             "algorithm)",
         });
}

TEST_CASE("refresh intervals, clock skew and lifetime are bounded", "[config][providers]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  a:
    issuer: https://a.example.test
    jwks_file: /etc/a.json
    refresh_interval: 10s
    clock_skew: 8785h
    max_lifetime: 0s
  b:
    issuer: https://b.example.test
    jwks_file: /etc/b.json
    min_refresh_interval: 2h
    refresh_interval: 0ms
    max_stale: forever
    require_exp: 1
)") == Errors{
             "7:23: 'min_refresh_interval' (30s) must not be longer than 'refresh_interval' "
             "(10s)",
             "8:17: 'clock_skew' must be at most 8784h (a year)",
             "9:19: 'max_lifetime' must be greater than 0",
             "13:27: 'min_refresh_interval' (2h) must not be longer than 'refresh_interval' "
             "(10m)",
             "14:23: 'refresh_interval' must be greater than 0",
             "15:16: 'max_stale' must be a duration such as 500ms, 10s, 5m or 24h",
             "16:18: 'require_exp' must be true or false",
         });
}

TEST_CASE("token_from entries are one of header, cookie or query", "[config][providers]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp:
    issuer: https://idp.example.test
    jwks_file: /etc/jwks.json
    token_from:
      - Authorization
      - {header: X-Token, cookie: token}
      - headr: X-Token
      - header: Content-Length
      - header: "X Token"
      - cookie: "a;b"
      - query: "a&b"
  other:
    issuer: https://other.example.test
    jwks_file: /etc/jwks.json
    token_from: []
)") == Errors{
             "8:9: each entry of 'token_from' must be one of {header: NAME}, {cookie: NAME} or "
             "{query: NAME}",
             "9:9: each entry of 'token_from' must be one of {header: NAME}, {cookie: NAME} or "
             "{query: NAME}",
             "10:9: unknown key 'headr' in 'token_from' (did you mean 'header'?)",
             "11:17: header 'Content-Length' is a hop-by-hop or framing header and cannot carry "
             "a token",
             "12:17: 'X Token' is not a valid HTTP header name",
             "13:17: 'a;b' is not a valid cookie name",
             "14:16: 'a&b' is not a valid query parameter name",
             "18:17: 'token_from' must not be empty (omit it to read the Authorization header)",
         });
}

TEST_CASE("forwarded claims need valid header names the proxy does not own",
          "[config][providers]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp:
    issuer: https://idp.example.test
    jwks_file: /etc/jwks.json
    forward_claims:
      sub: x-user-id
      email: X-User-Id
      name: "x user"
      a..b: x-ab
      host: Host
      tid: Transfer-Encoding
      auth: authorization
      fwd: X-Forwarded-For
    forward_payload_header: x-user-id
)") == Errors{
             "9:14: header 'X-User-Id' already carries claim 'sub'",
             "10:13: 'x user' is not a valid HTTP header name",
             "11:7: claim name 'a..b' must be a claim name or a dotted path such as "
             "realm_access.roles",
             "12:13: header 'Host' is managed by the proxy (framing, hop-by-hop, credentials or "
             "X-Forwarded-*) and cannot be set from a token",
             "13:12: header 'Transfer-Encoding' is managed by the proxy (framing, hop-by-hop, "
             "credentials or X-Forwarded-*) and cannot be set from a token",
             "14:13: header 'authorization' is managed by the proxy (framing, hop-by-hop, "
             "credentials or X-Forwarded-*) and cannot be set from a token",
             "15:12: header 'X-Forwarded-For' is managed by the proxy (framing, hop-by-hop, "
             "credentials or X-Forwarded-*) and cannot be set from a token",
             "16:29: header 'x-user-id' already carries claim 'sub'",
         });
}

TEST_CASE("header names with '_' are refused: they would be dropped or read as '-'", "[config][providers]") {
  const std::string rule =
      " contains '_': request headers with '_' in their name are dropped before forwarding (WSGI, "
      "CGI and PHP read it as '-'); use '-'";
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp:
    issuer: https://idp.example.test
    jwks_file: /etc/jwks.json
    token_from: [{header: X_Token}]
    forward_claims: {sub: X_Forwarded_For, email: x_user_email}
    forward_payload_header: x_jwt
)") == Errors{
             "7:27: header 'X_Token'" + rule,
             "8:27: header 'X_Forwarded_For'" + rule,
             "8:51: header 'x_user_email'" + rule,
             "9:29: header 'x_jwt'" + rule,
         });
}

TEST_CASE("an unknown provider key is an error with a suggestion", "[config][providers]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp:
    issuer: https://idp.example.test
    jwks_url: https://idp.example.test/jwks.json
    audience: [orders-api]
)") == Errors{
             "4:3: provider 'corp' has no key source: set exactly one of jwks_uri, discovery: "
             "true, jwks_file or jwks",
             "6:5: unknown key 'jwks_url' in provider 'corp' (did you mean 'jwks_uri'?)",
             "7:5: unknown key 'audience' in provider 'corp' (did you mean 'audiences'?)",
         });
}

TEST_CASE("two providers cannot share an issuer", "[config][providers]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  a: {issuer: https://same.example, jwks_file: /x.json}
  b: {issuer: https://same.example, jwks_file: /y.json}
)") == Errors{
             "5:3: provider 'b': issuer 'https://same.example' is already used by provider 'a'; "
             "tokens are matched to providers by issuer, so each needs its own",
         });
}
