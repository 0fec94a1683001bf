#include "policies/discovery.h"

#include <catch2/catch.hpp>

using jwt_sidecar::policies::DiscoveryDocument;
using jwt_sidecar::policies::parse_discovery;

TEST_CASE("parse_discovery takes issuer and jwks_uri", "[discovery]") {
  DiscoveryDocument d;
  CHECK(parse_discovery(R"({"issuer":"https://idp.test","jwks_uri":"https://idp.test/k","x":[1]})", d) == "");
  CHECK(d.issuer == "https://idp.test");
  CHECK(d.jwks_uri == "https://idp.test/k");
}

TEST_CASE("parse_discovery says why a document is unusable", "[discovery]") {
  DiscoveryDocument d;
  CHECK(parse_discovery("<html>", d).rfind("not valid JSON: ", 0) == 0);
  CHECK(parse_discovery("[]", d) == "not a JSON object");
  CHECK(parse_discovery(R"({"jwks_uri":"https://a/k"})", d) == "no \"issuer\" string");
  CHECK(parse_discovery(R"({"issuer":7,"jwks_uri":"https://a/k"})", d) == "no \"issuer\" string");
  CHECK(parse_discovery(R"({"issuer":"https://a"})", d) == "no \"jwks_uri\" string");
  CHECK(parse_discovery(R"({"issuer":"https://a","jwks_uri":"https://a/k","issuer":"https://b"})", d) ==
        "a JSON object repeats a member name");
}
