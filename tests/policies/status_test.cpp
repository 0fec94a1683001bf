#include "policies/status.h"

#include <catch2/catch.hpp>

#include <set>

using namespace jwt_sidecar::policies;

TEST_CASE("every status has a distinct snake_case reason and a description", "[status]") {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < kStatusCount; ++i) {
    const auto s = static_cast<Status>(i);
    const auto r = reason(s);
    INFO(r);
    CHECK(seen.insert(r).second);
    CHECK_FALSE(r.empty());
    for (const char c : r) CHECK(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'));
    CHECK(describe(s).size() > 10);
  }
  CHECK(reason(Status::signature_invalid) == "signature_invalid");
  CHECK(reason(Status::ok) == "ok");
}
