#include "policies/token_cache.h"

#include <catch2/catch.hpp>

#include "config/loader.h"
#include "policies/engine.h"
#include "tests/support/test_keys.h"

using namespace jwt_sidecar;
using namespace jwt_sidecar::policies;
using testing::TestKey;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

struct Fixture {
  Fixture() {
    auto loaded = config::load_config(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp: {issuer: https://corp.example, jwks_file: /unused.json}
routes:
  - {name: admin, match: {prefix: /admin}, claims: {roles: {any: [admin]}}}
  - {name: any, match: {prefix: /}}
)", "cache_test.yaml");
    for (const auto& e : loaded.errors) FAIL(e.to_string());
    cfg = std::move(*loaded.config);
    std::vector<config::ConfigError> errors;
    engine = PolicyEngine::compile(cfg, errors);
    REQUIRE(engine);
    publish({TestKey::shared_ec("P-256").jwk("k1")});
  }
  void publish(std::initializer_list<std::string> jwks) {
    auto loaded = load_jwks(testing::jwks_of(jwks));
    REQUIRE(loaded.error.empty());
    engine->providers()[0]->keys().publish(loaded.keys, 1);
  }
  Decision decide(std::string_view path, const std::string& token, std::int64_t now = kNow) {
    held = "Bearer " + token;  // the header view must outlive decide()
    fields = {{"Authorization", held}};
    return engine->decide({"GET", "h", path, fields, {}}, now, scratch, &cache);
  }

  config::Config cfg;
  std::unique_ptr<PolicyEngine> engine;
  std::vector<HeaderField> fields;
  std::string held;
  RequestScratch scratch;
  TokenCache cache{3};
};

std::string token(const std::string& sub, const std::string& extra = "", const TestKey& key = TestKey::shared_ec("P-256"),
                  const std::string& kid = "k1") {
  return testing::make_token(key, Algorithm::ES256, R"({"alg":"ES256","kid":")" + kid + "\"}",
                             R"({"iss":"https://corp.example","sub":")" + sub + R"(","exp":1700000100)" + extra + "}");
}

}  // namespace

TEST_CASE("token cache: a verified token is a hit next time, with the same claims", "[token_cache]") {
  Fixture f;
  const auto t = token("alice");
  auto d = f.decide("/x", t);
  CHECK(d.allowed());
  CHECK(d.cache == Decision::Cache::miss);
  CHECK(f.cache.size() == 1);
  d = f.decide("/x", t);
  CHECK(d.allowed());
  CHECK(d.cache == Decision::Cache::hit);
  REQUIRE(f.scratch.jws.claims().sub);
  CHECK(*f.scratch.jws.claims().sub == "alice");
  CHECK(f.scratch.jws.payload().find("\"sub\":\"alice\"") != std::string_view::npos);
}

TEST_CASE("token cache: failures are never stored", "[token_cache]") {
  Fixture f;
  auto forged = token("mallory", "", TestKey::ec("P-256"));
  CHECK(f.decide("/x", forged).reason == "signature_invalid");
  CHECK(f.decide("/x", forged).cache == Decision::Cache::miss);
  CHECK(f.cache.size() == 0);
  CHECK(f.decide("/x", token("old"), kNow + 1000).reason == "token_expired");
  CHECK(f.cache.size() == 0);
}

TEST_CASE("token cache: expiry is re-checked on every hit", "[token_cache]") {
  Fixture f;
  const auto t = token("alice");
  REQUIRE(f.decide("/x", t).allowed());
  const auto d = f.decide("/x", t, kNow + 100 + 60);
  CHECK(d.reason == "token_expired");
  CHECK(f.cache.size() == 0);
}

TEST_CASE("token cache: route requirements are evaluated per request", "[token_cache]") {
  Fixture f;
  const auto t = token("alice", R"(,"roles":["dev"])");
  REQUIRE(f.decide("/x", t).allowed());
  const auto d = f.decide("/admin", t);
  CHECK(d.cache == Decision::Cache::hit);
  CHECK(d.http_status == 403);
  CHECK(f.decide("/admin", token("root", R"(,"roles":["admin"])")).allowed());
}

TEST_CASE("token cache: a key that leaves the set takes its tokens with it", "[token_cache]") {
  Fixture f;
  const auto t = token("alice");
  REQUIRE(f.decide("/x", t).allowed());
  // The same key re-fetched into a new set object: still a hit.
  f.publish({TestKey::shared_ec("P-256").jwk("k1")});
  CHECK(f.decide("/x", t).cache == Decision::Cache::hit);
  // Another key under the same kid: the entry is dropped and the token re-verified.
  const auto other = TestKey::ec("P-256");
  f.publish({other.jwk("k1")});
  auto d = f.decide("/x", t);
  CHECK(d.reason == "signature_invalid");
  CHECK(f.cache.size() == 0);
  // The kid gone entirely.
  f.publish({TestKey::shared_ec("P-256").jwk("k1")});
  REQUIRE(f.decide("/x", t).allowed());
  f.publish({other.jwk("k2")});
  d = f.decide("/x", t);
  CHECK(d.reason == "key_not_found");
  CHECK(f.cache.size() == 0);
}

TEST_CASE("token cache: least recently used entries are evicted at capacity", "[token_cache]") {
  Fixture f;
  const auto a = token("a"), b = token("b"), c = token("c"), d = token("d");
  for (const auto& t : {a, b, c}) REQUIRE(f.decide("/x", t).allowed());
  REQUIRE(f.decide("/x", a).cache == Decision::Cache::hit);  // a is now the most recent
  REQUIRE(f.decide("/x", d).cache == Decision::Cache::miss);  // evicts b
  CHECK(f.cache.size() == 3);
  CHECK(f.decide("/x", a).cache == Decision::Cache::hit);
  CHECK(f.decide("/x", c).cache == Decision::Cache::hit);
  CHECK(f.decide("/x", b).cache == Decision::Cache::miss);
  // One byte different is another token.
  auto changed = a;  // a signature character away from the end, so the base64url stays canonical
  auto& ch = changed[changed.size() - 10];
  ch = ch == 'A' ? 'B' : 'A';
  CHECK(f.decide("/x", changed).cache == Decision::Cache::miss);
}

TEST_CASE("token cache: capacity 0 stores nothing", "[token_cache]") {
  TokenCache cache(0);
  Fixture f;
  const auto t = token("alice");
  f.held = "Bearer " + t;
  f.fields = {{"Authorization", f.held}};
  auto d = f.engine->decide({"GET", "h", "/x", f.fields, {}}, kNow, f.scratch, &cache);
  CHECK(d.allowed());
  CHECK(cache.size() == 0);
}

TEST_CASE("token cache: storing a token that is already cached replaces its entry", "[token_cache]") {
  // The replaced entry's node is unlinked before its key is read again (a use after free
  // under ASan before the fix).
  Fixture f;
  const auto t = token("alice");
  const auto& key = *f.engine->providers()[0]->keys().current();
  ParsedJws jws;
  REQUIRE(parse_jws(t, PayloadKind::jwt_claims, jws) == Status::ok);
  for (int i = 0; i < 3; ++i) {
    f.cache.insert(t, *f.engine->providers()[0], f.engine->providers()[0]->keys().current(), key.keys()[0], jws);
  }
  CHECK(f.cache.size() == 1);
  const auto* e = f.cache.find(t);
  REQUIRE(e);
  CHECK(e->token == t);
  CHECK(e->jws.claims().sub == "alice");
}
