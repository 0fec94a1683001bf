#include "proxy/http1/worker.h"

#include <catch2/catch.hpp>

#include <new>

#include "config/loader.h"
#include "tests/support/test_keys.h"

using namespace jwt_sidecar;
using jwt_sidecar::testing::TestKey;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

config::Config demo_config() {
  const auto jwks = testing::jwks_of({TestKey::shared_ec("P-256").jwk("k1")});
  auto loaded = config::load_config("listen: 127.0.0.1:0\nupstream: http://127.0.0.1:1\n"
                                    "providers:\n  corp: {issuer: https://corp.example, jwks: " + jwks + "}\n"
                                    "routes:\n  - {name: any, match: {prefix: /}}\n",
                                    "worker_test.yaml");
  for (const auto& e : loaded.errors) FAIL(e.to_string());
  return std::move(*loaded.config);
}

// A Runtime built in place, so a test can put a second one exactly where the first one was:
// what the allocator may do after two reloads.
void build_at(void* where, proxy::Runtime*& out) {
  out = new (where) proxy::Runtime();
  out->config = demo_config();
  std::vector<config::ConfigError> errors;
  out->engine = policies::PolicyEngine::compile(out->config, errors);
  REQUIRE(out->engine);
}

std::string token() {
  return testing::make_token(TestKey::shared_ec("P-256"), policies::Algorithm::ES256, R"({"alg":"ES256","kid":"k1"})",
                             R"({"iss":"https://corp.example","sub":"alice","exp":1700000100})");
}

policies::Decision decide(const proxy::Runtime& rt, proxy::Worker& w, const std::string& header) {
  std::vector<policies::HeaderField> fields{{"Authorization", header}};
  policies::RequestScratch scratch;
  return rt.engine->decide({"GET", "h", "/x", fields, {}}, kNow, scratch, w.cache_for(rt));
}

}  // namespace

TEST_CASE("worker: a Runtime at a freed Runtime's address is still a new config", "[worker]") {
  proxy::ServerState state;
  proxy::Worker worker(state);
  worker.token_cache = std::make_unique<policies::TokenCache>(8);
  const std::string header = "Bearer " + token();

  alignas(proxy::Runtime) unsigned char storage[sizeof(proxy::Runtime)];
  proxy::Runtime* first = nullptr;
  build_at(storage, first);
  REQUIRE(decide(*first, worker, header).cache == policies::Decision::Cache::miss);
  REQUIRE(decide(*first, worker, header).cache == policies::Decision::Cache::hit);
  REQUIRE(worker.token_cache->size() == 1);
  const auto first_generation = first->generation;
  first->~Runtime();  // its providers, which the cached entry points into, are gone

  proxy::Runtime* second = nullptr;
  build_at(storage, second);
  REQUIRE(static_cast<void*>(second) == static_cast<void*>(first));
  CHECK(second->generation > first_generation);
  // The entry of the freed Runtime is dropped, not used (under ASan a use would abort here).
  const auto d = decide(*second, worker, header);
  CHECK(d.allowed());
  CHECK(d.cache == policies::Decision::Cache::miss);
  CHECK(worker.token_cache->size() == 1);
  second->~Runtime();
}

TEST_CASE("worker: a request still running under an older Runtime does not use the cache", "[worker]") {
  proxy::ServerState state;
  proxy::Worker worker(state);
  worker.token_cache = std::make_unique<policies::TokenCache>(8);
  alignas(proxy::Runtime) unsigned char a[sizeof(proxy::Runtime)], b[sizeof(proxy::Runtime)];
  proxy::Runtime *older = nullptr, *newer = nullptr;
  build_at(a, older);
  build_at(b, newer);
  const std::string header = "Bearer " + token();
  REQUIRE(decide(*newer, worker, header).cache == policies::Decision::Cache::miss);
  CHECK(worker.cache_for(*older) == nullptr);
  CHECK(decide(*older, worker, header).cache == policies::Decision::Cache::none);
  CHECK(decide(*newer, worker, header).cache == policies::Decision::Cache::hit);
  older->~Runtime();
  newer->~Runtime();
}

TEST_CASE("worker: current() follows the published generation", "[worker]") {
  proxy::ServerState state;
  proxy::Worker worker(state);
  std::vector<config::ConfigError> errors;
  const auto one = proxy::build_runtime(demo_config(), errors);
  const auto two = proxy::build_runtime(demo_config(), errors);
  REQUIRE(one);
  REQUIRE(two);
  state.publish(one);
  CHECK(worker.current() == one);
  CHECK(worker.current() == one);
  state.publish(two);
  CHECK(worker.current() == two);
}
