#include "proxy/keys/http_fetch.h"

#include <catch2/catch.hpp>

using jwt_sidecar::proxy::parse_max_age;
using std::chrono::seconds;

TEST_CASE("parse_max_age reads Cache-Control max-age", "[http_fetch]") {
  CHECK(parse_max_age("max-age=600") == seconds(600));
  CHECK(parse_max_age("public, max-age=60, must-revalidate") == seconds(60));
  CHECK(parse_max_age("MAX-AGE=5") == seconds(5));
  CHECK(parse_max_age("max-age=\"30\"") == seconds(30));
  CHECK(parse_max_age("") == std::nullopt);
  CHECK(parse_max_age("no-store") == std::nullopt);
  CHECK(parse_max_age("max-age=") == std::nullopt);
  CHECK(parse_max_age("max-age=-1") == std::nullopt);
  CHECK(parse_max_age("max-age=1x") == std::nullopt);
  CHECK(parse_max_age("s-maxage=10") == std::nullopt);
}
