#include "policies/engine.h"

#include <catch2/catch.hpp>

#include "config/loader.h"
#include "tests/support/test_keys.h"

using namespace jwt_sidecar;
using namespace jwt_sidecar::policies;
using testing::TestKey;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

std::string config_yaml() {
  const auto jwk = TestKey::shared_ec("P-256").jwk("k1");
  return R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp:
    issuer: https://corp.example
    audiences: [api]
    jwks: {keys: [)" + jwk + R"(]}
    forward_claims: {sub: x-user-id, groups: x-groups}
    forward_payload_header: X-JWT-Payload
  partner:
    issuer: https://partner.example
    jwks_file: /nonexistent/partner.json
    token_from: [{query: access_token}]
routes:
  - {name: open, match: {prefix: /open}, auth: none}
  - {name: closed, match: {prefix: /closed}, auth: deny}
  - {name: maybe, match: {prefix: /maybe}, auth: optional}
  - {name: corp-only, match: {prefix: /corp}, providers: [corp], claims: {groups: {any: [admin]}}}
  - {name: partner, match: {prefix: /partner}, providers: [partner]}
  - {name: any, match: {prefix: /any}}
)";
}

struct Engine {
  Engine() {
    auto loaded = config::load_config(config_yaml(), "engine_test.yaml");
    for (const auto& e : loaded.errors) FAIL(e.to_string());
    cfg = std::move(*loaded.config);
    std::vector<config::ConfigError> errors;
    engine = PolicyEngine::compile(cfg, errors);
    for (const auto& e : errors) FAIL(e.to_string());
    REQUIRE(engine);
  }

  Decision decide(std::string_view path, std::vector<HeaderField> headers = {}, std::string_view query = {}) {
    fields = std::move(headers);
    return engine->decide({"GET", "api.example", path, fields, query}, kNow, scratch);
  }

  config::Config cfg;
  std::unique_ptr<PolicyEngine> engine;
  std::vector<HeaderField> fields;
  RequestScratch scratch;
};

std::string corp_token(const std::string& extra = R"("groups":["admin","dev"])",
                       const std::string& iss = "https://corp.example") {
  return testing::make_token(TestKey::shared_ec("P-256"), Algorithm::ES256, R"({"alg":"ES256","kid":"k1"})",
                             R"({"iss":")" + iss + R"(","aud":"api","sub":"alice","exp":1700000600,)" + extra + "}");
}

}  // namespace

TEST_CASE("engine: routes decide before tokens", "[engine]") {
  Engine e;
  auto d = e.decide("/nowhere");
  CHECK(d.http_status == 404);
  CHECK(d.reason == "no_route");
  CHECK(d.route == nullptr);
  d = e.decide("/closed", {{"Authorization", "Bearer " + corp_token()}});
  CHECK(d.http_status == 403);
  CHECK(d.reason == "route_denied");
  CHECK_FALSE(d.challenge);
  d = e.decide("/open");
  CHECK(d.allowed());
  CHECK_FALSE(d.authenticated);
  CHECK(d.route->name == "open");
}

TEST_CASE("engine: missing, malformed and duplicate tokens", "[engine]") {
  Engine e;
  auto d = e.decide("/any");
  CHECK(d.http_status == 401);
  CHECK(d.reason == "token_missing");
  CHECK(d.challenge);
  CHECK(d.error.empty());
  d = e.decide("/any", {{"Authorization", "Basic dXNlcjpwYXNz"}});
  CHECK(d.reason == "token_missing");
  d = e.decide("/maybe");
  CHECK(d.allowed());
  d = e.decide("/maybe", {{"Authorization", "Bearer x.y.z"}});
  CHECK(d.http_status == 401);
  CHECK(d.error == "invalid_token");
  const auto t = corp_token();
  d = e.decide("/any", {{"Authorization", "Bearer " + t}, {"authorization", "Bearer " + t}});
  CHECK(d.http_status == 400);
  CHECK(d.reason == "multiple_tokens");
  CHECK(d.error == "invalid_request");
  d = e.decide("/any", {{"Authorization", "Bearer " + t}}, "access_token=" + t);
  CHECK(d.reason == "multiple_tokens");
}

TEST_CASE("engine: the provider is chosen by iss and must suit the route", "[engine]") {
  Engine e;
  auto d = e.decide("/any", {{"Authorization", "Bearer " + corp_token()}});
  REQUIRE(d.allowed());
  CHECK(d.authenticated);
  CHECK(d.provider->name() == "corp");
  CHECK(d.token_location.source->kind == config::TokenSource::Kind::header);

  d = e.decide("/any", {{"Authorization", "Bearer " + corp_token("\"x\":1", "https://stranger.example")}});
  CHECK(d.http_status == 401);
  CHECK(d.reason == "unknown_issuer");
  d = e.decide("/partner", {{"Authorization", "Bearer " + corp_token()}});
  CHECK(d.reason == "issuer_not_allowed");
  // corp accepts tokens only in Authorization (the default), not in the query parameter that
  // the partner provider uses.
  d = e.decide("/any", {}, "access_token=" + corp_token());
  CHECK(d.reason == "token_source_not_allowed");
  d = e.decide("/any", {}, "access_token=" + corp_token("\"x\":1", "https://partner.example"));
  CHECK(d.http_status == 503);
  CHECK(d.reason == "keys_unavailable");
  CHECK(d.retry_after == 5u);
  CHECK_FALSE(e.engine->ready());
}

TEST_CASE("engine: claim requirements answer 403 insufficient_scope", "[engine]") {
  Engine e;
  auto d = e.decide("/corp", {{"Authorization", "Bearer " + corp_token()}});
  CHECK(d.allowed());
  d = e.decide("/corp", {{"Authorization", "Bearer " + corp_token(R"("groups":["dev"])")}});
  CHECK(d.http_status == 403);
  CHECK(d.error == "insufficient_scope");
  CHECK(d.reason == "claims_requirement_failed");
  CHECK(d.provider->name() == "corp");
}

TEST_CASE("engine: forwarded and protected headers", "[engine]") {
  Engine e;
  const auto names = e.engine->protected_header_names();
  CHECK(std::find(names.begin(), names.end(), "x-user-id") != names.end());
  CHECK(std::find(names.begin(), names.end(), "x-groups") != names.end());
  CHECK(std::find(names.begin(), names.end(), "x-jwt-payload") != names.end());
  const auto tokens = e.engine->token_header_names();
  CHECK(std::find(tokens.begin(), tokens.end(), "authorization") != tokens.end());

  const auto d = e.decide("/any", {{"Authorization", "Bearer " + corp_token()}});
  REQUIRE(d.allowed());
  // Computed while deciding, from the payload the verification parsed.
  auto out = e.scratch.claim_headers;
  REQUIRE(out.size() == 3);
  CHECK(out[0] == std::pair<std::string_view, std::string>{"x-user-id", "alice"});
  CHECK(out[1] == std::pair<std::string_view, std::string>{"x-groups", R"(["admin","dev"])"});
  CHECK(out[2].first == "X-JWT-Payload");
  CHECK(e.decide("/open").allowed());
  CHECK(e.scratch.claim_headers.empty());
}

TEST_CASE("engine: compile errors carry the config's positions", "[engine]") {
  auto yaml = std::string(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  a: {issuer: https://same.example, jwks_file: /x.json}
  b: {issuer: https://other.example, jwks_file: /y.json}
  c:
    issuer: https://c.example
    jwks: {keys: [{kty: RSA, kid: small, n: AQAB, e: AQAB}]}
routes:
  - {name: r, match: {prefix: /}}
)");
  auto loaded = config::load_config(yaml, "bad.yaml");
  std::vector<config::ConfigError> errors = loaded.errors;
  if (loaded.config) PolicyEngine::compile(*loaded.config, errors);
  std::string all;
  for (const auto& e : errors) all += e.to_string() + "\n";
  INFO(all);
  CHECK(all.find("bad.yaml:8:") != std::string::npos);
  CHECK(all.find("key 0 (kid \"small\") is unusable: rsa_modulus_too_small") != std::string::npos);
}
