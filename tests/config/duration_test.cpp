#include "config/duration.h"

#include <catch2/catch.hpp>

using jwt_sidecar::config::parse_duration;
using namespace std::chrono_literals;

TEST_CASE("durations accept a whole number and one unit", "[config][duration]") {
  CHECK(parse_duration("500ms") == 500ms);
  CHECK(parse_duration("10s") == 10s);
  CHECK(parse_duration("5m") == 5min);
  CHECK(parse_duration("24h") == 24h);
  CHECK(parse_duration("0s") == 0ms);
}

TEST_CASE("durations refuse anything else", "[config][duration]") {
  for (const char* bad : {"", "10", "s", "-5s", "+5s", "1.5s", "5 s", "5S", "5sec", "10d",
                          "999999999999h", "1000000000000s"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad));
  }
}
