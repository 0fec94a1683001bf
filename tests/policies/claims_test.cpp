#include "policies/claims.h"

#include <catch2/catch.hpp>

using namespace jwt_sidecar::policies;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

Claims valid_claims() {
  Claims c;
  c.iss = "https://idp.example.test";
  c.aud = {"orders-api"};
  c.has_aud = true;
  c.iat = kNow - 10;
  c.exp = kNow + 300;
  return c;
}

ClaimPolicy policy() {
  ClaimPolicy p;
  p.issuer = "https://idp.example.test";
  p.audiences = {"orders-api", "billing-api"};
  p.clock_skew = 60;
  return p;
}

}  // namespace

TEST_CASE("claims that meet the policy are ok", "[claims]") {
  CHECK(check_claims(valid_claims(), policy(), kNow) == Status::ok);
}

TEST_CASE("issuer is an exact string match", "[claims]") {
  auto c = valid_claims();
  c.iss.reset();
  CHECK(check_claims(c, policy(), kNow) == Status::issuer_missing);
  for (const char* other : {"https://idp.example.test/", "HTTPS://idp.example.test",
                            "https://idp.example.tes", "https://idp.example.test "}) {
    c.iss = other;
    CHECK(check_claims(c, policy(), kNow) == Status::issuer_mismatch);
  }
  auto open = policy();
  open.issuer.reset();
  CHECK(check_claims(c, open, kNow) == Status::ok);
}

TEST_CASE("exp is required by default and honours the skew at its edges", "[claims]") {
  auto c = valid_claims();
  c.exp = kNow - 60;  // now == exp + skew: expired (the current time must be before exp)
  CHECK(check_claims(c, policy(), kNow) == Status::token_expired);
  c.exp = kNow - 59;
  CHECK(check_claims(c, policy(), kNow) == Status::ok);
  c.exp = kNow - 59.5;  // fractional NumericDate
  CHECK(check_claims(c, policy(), kNow) == Status::ok);
  c.exp = kNow - 60.5;
  CHECK(check_claims(c, policy(), kNow) == Status::token_expired);
  c.exp.reset();
  CHECK(check_claims(c, policy(), kNow) == Status::exp_missing);
  auto lax = policy();
  lax.require_exp = false;
  CHECK(check_claims(c, lax, kNow) == Status::ok);
}

TEST_CASE("nbf and iat honour the skew", "[claims]") {
  auto c = valid_claims();
  c.nbf = kNow + 60;
  CHECK(check_claims(c, policy(), kNow) == Status::ok);
  c.nbf = kNow + 61;
  CHECK(check_claims(c, policy(), kNow) == Status::token_not_yet_valid);
  c.nbf.reset();
  c.iat = kNow + 60;
  CHECK(check_claims(c, policy(), kNow) == Status::ok);
  c.iat = kNow + 61;
  CHECK(check_claims(c, policy(), kNow) == Status::iat_in_future);
}

TEST_CASE("zero skew is exact", "[claims]") {
  auto p = policy();
  p.clock_skew = 0;
  auto c = valid_claims();
  c.exp = kNow;
  CHECK(check_claims(c, p, kNow) == Status::token_expired);
  c.exp = kNow + 1;
  c.nbf = kNow;
  CHECK(check_claims(c, p, kNow) == Status::ok);
  c.nbf = kNow + 1;
  CHECK(check_claims(c, p, kNow) == Status::token_not_yet_valid);
}

TEST_CASE("max lifetime needs iat and exp", "[claims]") {
  auto p = policy();
  p.max_lifetime = 3600;
  auto c = valid_claims();
  CHECK(check_claims(c, p, kNow) == Status::ok);
  c.exp = *c.iat + 3601;
  CHECK(check_claims(c, p, kNow) == Status::lifetime_too_long);
  c.exp = *c.iat + 3600;
  CHECK(check_claims(c, p, kNow) == Status::ok);
  c.iat.reset();
  CHECK(check_claims(c, p, kNow) == Status::iat_missing);
  p.require_exp = false;
  c = valid_claims();
  c.exp.reset();
  CHECK(check_claims(c, p, kNow) == Status::exp_missing);
}

TEST_CASE("audience needs one accepted value", "[claims]") {
  auto c = valid_claims();
  c.aud = {"other", "billing-api"};
  CHECK(check_claims(c, policy(), kNow) == Status::ok);
  c.aud = {"other"};
  CHECK(check_claims(c, policy(), kNow) == Status::audience_mismatch);
  c.aud = {};
  CHECK(check_claims(c, policy(), kNow) == Status::audience_mismatch);
  c.has_aud = false;
  CHECK(check_claims(c, policy(), kNow) == Status::audience_missing);
  auto any = policy();
  any.audiences.clear();
  CHECK(check_claims(c, any, kNow) == Status::ok);
}

TEST_CASE("a claim-shape error found while parsing wins", "[claims]") {
  auto c = valid_claims();
  c.shape = Status::exp_invalid;
  CHECK(check_claims(c, policy(), kNow) == Status::exp_invalid);
}

TEST_CASE("the largest skew and NumericDate cannot overflow into valid", "[claims]") {
  auto p = policy();
  p.clock_skew = kMaxPolicySeconds;
  auto c = valid_claims();
  c.exp = 0;
  c.iat = 0;
  CHECK(check_claims(c, p, static_cast<std::int64_t>(kMaxNumericDate)) == Status::token_expired);
  p.clock_skew = std::numeric_limits<std::int64_t>::max();  // clamped, never wraps
  CHECK(check_claims(c, p, static_cast<std::int64_t>(kMaxNumericDate)) == Status::token_expired);
}
