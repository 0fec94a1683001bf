#include "policies/algorithm.h"

#include "common/algorithm_names.h"

#include <catch2/catch.hpp>

using namespace jwt_sidecar::policies;

TEST_CASE("algorithm names are exact and case-sensitive", "[algorithm]") {
  for (std::size_t i = 0; i < kAlgorithmCount; ++i) {
    const auto alg = static_cast<Algorithm>(i);
    CHECK(algorithm_from_name(algorithm_name(alg)) == alg);
  }
  CHECK_FALSE(algorithm_from_name("rs256"));
  CHECK_FALSE(algorithm_from_name("none"));
  CHECK_FALSE(algorithm_from_name("RS256 "));
  CHECK_FALSE(algorithm_from_name("ES256K"));
  CHECK_FALSE(algorithm_from_name(""));
}

TEST_CASE("the default allow-list is every asymmetric algorithm", "[algorithm]") {
  const auto set = AlgorithmSet::asymmetric();
  CHECK_FALSE(set.contains(Algorithm::HS256));
  CHECK_FALSE(set.contains(Algorithm::HS384));
  CHECK_FALSE(set.contains(Algorithm::HS512));
  CHECK(set.to_string() == "RS256,RS384,RS512,PS256,PS384,PS512,ES256,ES384,ES512,EdDSA");
}

TEST_CASE("algorithm lists parse and name the first bad entry", "[algorithm]") {
  std::string bad;
  const auto set = parse_algorithm_list("RS256, ES256,HS512", &bad);
  REQUIRE(set);
  CHECK(set->to_string() == "HS512,RS256,ES256");
  CHECK_FALSE(parse_algorithm_list("RS256,none", &bad));
  CHECK(bad == "none");
  CHECK_FALSE(parse_algorithm_list("", &bad));
  CHECK_FALSE(parse_algorithm_list("RS256,", &bad));
}

TEST_CASE("the algorithm names config/ accepts are exactly the ones policies/ implements", "[algorithm]") {
  REQUIRE(jwt_sidecar::common::kAlgorithmNames.size() == jwt_sidecar::policies::kAlgorithmCount);
  for (const auto name : jwt_sidecar::common::kAlgorithmNames) {
    const auto alg = jwt_sidecar::policies::algorithm_from_name(name);
    REQUIRE(alg);
    CHECK(jwt_sidecar::policies::algorithm_name(*alg) == name);
  }
}
