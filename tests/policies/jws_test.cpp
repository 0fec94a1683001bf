#include "policies/jws.h"

#include <catch2/catch.hpp>

#include "tests/support/test_keys.h"

using namespace jwt_sidecar::policies;
using jwt_sidecar::testing::b64;

namespace {

const std::string kSig = b64(std::string(32, '\x01'));

Status parse(std::string_view token, ParsedJws& out, PayloadKind kind = PayloadKind::jwt_claims) {
  return parse_jws(token, kind, out);
}

Status parse(std::string_view token) {
  ParsedJws out;
  return parse(token, out);
}

std::string token(std::string_view header, std::string_view payload) {
  return b64(header) + "." + b64(payload) + "." + kSig;
}

}  // namespace

TEST_CASE("a well-formed token is split and decoded", "[jws]") {
  const auto t = token(R"({"alg":"RS256","kid":"k1","typ":"JWT"})", R"({"sub":"alice","exp":5})");
  ParsedJws out;
  REQUIRE(parse(t, out) == Status::ok);
  CHECK(out.alg() == Algorithm::RS256);
  CHECK(out.has_kid());
  CHECK(out.kid() == "k1");
  CHECK(out.header_json() == R"({"alg":"RS256","kid":"k1","typ":"JWT"})");
  CHECK(out.payload() == R"({"sub":"alice","exp":5})");
  CHECK(out.signature() == std::string(32, '\x01'));
  CHECK(out.signing_input() == t.substr(0, t.rfind('.')));
  REQUIRE(out.claims().sub);
  CHECK(*out.claims().sub == "alice");
  CHECK(out.claims().exp == 5.0);
}

TEST_CASE("segment counts other than three are refused", "[jws]") {
  const auto h = b64(R"({"alg":"RS256"})"), p = b64("{}");
  CHECK(parse("") == Status::malformed_token);
  CHECK(parse(h) == Status::malformed_token);
  CHECK(parse(h + "." + p) == Status::malformed_token);
  CHECK(parse(h + "." + p + "." + kSig + ".") == Status::malformed_token);
  CHECK(parse(h + "." + p + "." + kSig + "." + kSig) == Status::malformed_token);
  CHECK(parse(h + "." + p + "." + kSig + "." + kSig + "." + kSig + "." + kSig) ==
        Status::malformed_token);
  CHECK(parse("....") == Status::encrypted_token_unsupported);
  CHECK(parse(b64(R"({"alg":"RSA-OAEP","enc":"A256GCM"})") + ".a.b.c.d") ==
        Status::encrypted_token_unsupported);
}

TEST_CASE("empty segments are refused", "[jws]") {
  const auto h = b64(R"({"alg":"RS256"})"), p = b64("{}");
  CHECK(parse("." + p + "." + kSig) == Status::malformed_token);
  CHECK(parse(h + ".." + kSig) == Status::malformed_token);
  CHECK(parse(h + "." + p + ".") == Status::malformed_token);
  CHECK(parse("..") == Status::malformed_token);
}

TEST_CASE("segments must be strict base64url", "[jws]") {
  const auto h = b64(R"({"alg":"RS256"})"), p = b64(R"({"a":1})");
  CHECK(parse(h + "=." + p + "." + kSig) == Status::bad_base64url);
  CHECK(parse(h + "." + p + "=." + kSig) == Status::bad_base64url);
  CHECK(parse(h + "." + p + "." + kSig + "=") == Status::bad_base64url);
  CHECK(parse(h + "." + p + " ." + kSig) == Status::bad_base64url);
  CHECK(parse(" " + h + "." + p + "." + kSig) == Status::bad_base64url);
  CHECK(parse(h + "." + p + "." + kSig + "\n") == Status::bad_base64url);
  std::string plus = h + "." + p + "." + kSig;
  plus.back() = '+';
  CHECK(parse(plus) == Status::bad_base64url);
}

TEST_CASE("the header must be one JSON object in UTF-8, without duplicates", "[jws]") {
  CHECK(parse(token("not json", "{}")) == Status::header_invalid_json);
  CHECK(parse(token(R"({"alg":"RS256")", "{}")) == Status::header_invalid_json);
  CHECK(parse(token(R"({"alg":"RS256"} {})", "{}")) == Status::header_invalid_json);
  CHECK(parse(token("{\"alg\":\"RS256\",\"x\":\"\xff\xfe\"}", "{}")) == Status::header_invalid_json);
  CHECK(parse(token("{\"alg\":\"RS256\",\"x\":\"\xc0\xaf\"}", "{}")) == Status::header_invalid_json);
  CHECK(parse(token(R"(["alg","RS256"])", "{}")) == Status::header_not_object);
  CHECK(parse(token(R"("RS256")", "{}")) == Status::header_not_object);
  CHECK(parse(token("null", "{}")) == Status::header_not_object);
  CHECK(parse(token(R"({"alg":"RS256","alg":"none"})", "{}")) == Status::header_duplicate_member);
  CHECK(parse(token(R"({"alg":"RS256","\u0061lg":"HS256"})", "{}")) ==
        Status::header_duplicate_member);
  CHECK(parse(token(R"({"alg":"RS256","x":{"a":1,"a":2}})", "{}")) ==
        Status::header_duplicate_member);
}

TEST_CASE("the header's alg and kid are checked", "[jws]") {
  CHECK(parse(token(R"({"typ":"JWT"})", "{}")) == Status::alg_missing);
  CHECK(parse(token(R"({"alg":256})", "{}")) == Status::alg_invalid);
  CHECK(parse(token(R"({"alg":null})", "{}")) == Status::alg_invalid);
  CHECK(parse(token(R"({"alg":["RS256"]})", "{}")) == Status::alg_invalid);
  CHECK(parse(token(R"({"alg":"rs256"})", "{}")) == Status::alg_unsupported);
  CHECK(parse(token(R"({"alg":"ES256K"})", "{}")) == Status::alg_unsupported);
  CHECK(parse(token(R"({"alg":"RSA-OAEP"})", "{}")) == Status::alg_unsupported);
  CHECK(parse(token(R"({"alg":""})", "{}")) == Status::alg_unsupported);
  CHECK(parse(token(R"({"alg":"RS256","kid":7})", "{}")) == Status::kid_invalid);
  CHECK(parse(token(R"({"alg":"RS256","kid":null})", "{}")) == Status::kid_invalid);
  ParsedJws out;
  REQUIRE(parse(token(R"({"alg":"RS256","kid":""})", "{}"), out) == Status::ok);
  CHECK(out.has_kid());
  CHECK(out.kid().empty());
}

TEST_CASE("crit, b64, enc and zip are refused", "[jws]") {
  CHECK(parse(token(R"({"alg":"RS256","crit":["exp"],"exp":1})", "{}")) == Status::crit_unsupported);
  CHECK(parse(token(R"({"alg":"RS256","crit":[]})", "{}")) == Status::crit_unsupported);
  CHECK(parse(token(R"({"alg":"RS256","crit":"b64"})", "{}")) == Status::crit_unsupported);
  CHECK(parse(token(R"({"alg":"RS256","b64":false,"crit":["b64"]})", "{}")) ==
        Status::crit_unsupported);
  CHECK(parse(token(R"({"alg":"RS256","b64":true})", "{}")) == Status::header_parameter_unsupported);
  CHECK(parse(token(R"({"alg":"RS256","enc":"A128GCM"})", "{}")) ==
        Status::header_parameter_unsupported);
  CHECK(parse(token(R"({"alg":"RS256","zip":"DEF"})", "{}")) == Status::header_parameter_unsupported);
}

TEST_CASE("a JWT payload must be one JSON object without duplicates", "[jws]") {
  const std::string h = R"({"alg":"RS256"})";
  CHECK(parse(token(h, "hello")) == Status::payload_invalid_json);
  CHECK(parse(token(h, "[1,2]")) == Status::payload_not_object);
  CHECK(parse(token(h, "42")) == Status::payload_not_object);
  CHECK(parse(token(h, "{\"sub\":\"\xed\xa0\x80\"}")) == Status::payload_invalid_json);  // surrogate
  CHECK(parse(token(h, R"({"sub":"a","sub":"b"})")) == Status::payload_duplicate_member);
  CHECK(parse(token(h, R"({"a":[{"x":1},{"x":1,"x":2}]})")) == Status::payload_duplicate_member);
  ParsedJws out;
  CHECK(parse(token(h, "hello"), out, PayloadKind::any_bytes) == Status::ok);
  CHECK(out.payload() == "hello");
}

TEST_CASE("nesting deeper than the limit is refused, not crashed on", "[jws]") {
  const std::string deep_header = std::string(10000, '[') + std::string(10000, ']');
  CHECK(parse(token(deep_header, "{}")) == Status::header_invalid_json);
  std::string deep_payload = "{\"a\":";
  for (int i = 0; i < 100000; ++i) deep_payload += "{\"a\":";
  deep_payload += "1" + std::string(100001, '}');
  CHECK(parse(token(R"({"alg":"RS256"})", deep_payload)) == Status::payload_invalid_json);
  std::string ok_payload = "{\"a\":";
  for (int i = 0; i < 20; ++i) ok_payload += "{\"a\":";
  ok_payload += "1" + std::string(21, '}');
  CHECK(parse(token(R"({"alg":"RS256"})", ok_payload)) == Status::ok);
}

TEST_CASE("registered claims are read with their types checked", "[jws][claims]") {
  const std::string h = R"({"alg":"RS256"})";
  ParsedJws out;
  REQUIRE(parse(token(h, R"({"iss":"i","aud":["a","b"],"exp":1.5,"nbf":0,"iat":1700000000})"),
                out) == Status::ok);
  const auto& c = out.claims();
  CHECK(c.shape == Status::ok);
  CHECK(c.iss == "i");
  CHECK(c.aud == std::vector<std::string>{"a", "b"});
  CHECK(c.exp == 1.5);
  CHECK(c.nbf == 0.0);
  CHECK(c.iat == 1700000000.0);

  struct Case {
    const char* payload;
    Status shape;
  };
  const Case cases[] = {
      {R"({"exp":"1700000000"})", Status::exp_invalid},
      {R"({"exp":true})", Status::exp_invalid},
      {R"({"exp":null})", Status::exp_invalid},
      {R"({"exp":-1})", Status::exp_invalid},
      {R"({"exp":-0.5})", Status::exp_invalid},
      {R"({"exp":253402300800})", Status::exp_invalid},
      {R"({"exp":18446744073709551615})", Status::exp_invalid},
      {R"({"exp":1e300})", Status::exp_invalid},
      {R"({"exp":[1]})", Status::exp_invalid},
      {R"({"exp":{"v":1}})", Status::exp_invalid},
      {R"({"nbf":"0"})", Status::nbf_invalid},
      {R"({"nbf":-100})", Status::nbf_invalid},
      {R"({"iat":false})", Status::iat_invalid},
      {R"({"iat":9.3e18})", Status::iat_invalid},
      {R"({"iss":1})", Status::issuer_invalid},
      {R"({"iss":["a"]})", Status::issuer_invalid},
      {R"({"iss":null})", Status::issuer_invalid},
      {R"({"aud":1})", Status::audience_invalid},
      {R"({"aud":["a",1]})", Status::audience_invalid},
      {R"({"aud":[["a"]]})", Status::audience_invalid},
      {R"({"aud":{"a":1}})", Status::audience_invalid},
      {R"({"aud":null})", Status::audience_invalid},
  };
  for (const auto& tc : cases) {
    INFO(tc.payload);
    REQUIRE(parse(token(h, tc.payload), out) == Status::ok);
    CHECK(out.claims().shape == tc.shape);
  }
}

TEST_CASE("numbers too large for any type are invalid JSON or invalid dates", "[jws][claims]") {
  const std::string h = R"({"alg":"RS256"})";
  ParsedJws out;
  const auto s = parse(token(h, R"({"exp":1e400})"), out);
  CHECK((s == Status::payload_invalid_json ||
         (s == Status::ok && out.claims().shape == Status::exp_invalid)));
  const auto s2 = parse(token(h, R"({"exp":123456789012345678901234567890})"), out);
  CHECK((s2 == Status::payload_invalid_json ||
         (s2 == Status::ok && out.claims().shape == Status::exp_invalid)));
}

TEST_CASE("a reused ParsedJws carries nothing over", "[jws]") {
  ParsedJws out;
  REQUIRE(parse(token(R"({"alg":"RS256","kid":"a"})", R"({"sub":"x","exp":1})"), out) == Status::ok);
  REQUIRE(parse(token(R"({"alg":"ES256"})", R"({})"), out) == Status::ok);
  CHECK_FALSE(out.has_kid());
  CHECK_FALSE(out.claims().sub);
  CHECK_FALSE(out.claims().exp);
  CHECK(parse("junk", out) == Status::malformed_token);
  CHECK(out.signing_input().empty());
}
