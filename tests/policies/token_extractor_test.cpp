#include "policies/token_extractor.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace jwt_sidecar;
using namespace jwt_sidecar::policies;
using Kind = config::TokenSource::Kind;

namespace {

const std::string kJwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";

config::TokenSource source(Kind kind, std::string name) { return {kind, std::move(name), {}}; }

const std::vector<config::TokenSource> kBearer = {source(Kind::header, "Authorization")};
const std::vector<config::TokenSource> kAll = {source(Kind::header, "Authorization"),
                                               source(Kind::cookie, "access_token"),
                                               source(Kind::query, "access_token")};

struct Outcome {
  Status status;
  std::string token;
  std::size_t source;
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << reason(o.status) << " '" << o.token << "' " << o.source;
}

Outcome extract(std::vector<HeaderField> headers, std::string_view query = {},
                const std::vector<config::TokenSource>& sources = kBearer) {
  std::string scratch;
  const auto r = extract_token(headers, query, sources, scratch);
  return {r.status, std::string(r.token), r.source};
}

constexpr auto kNone = ExtractResult::kNoSource;
const Outcome kMissing{Status::token_missing, "", kNone};
const Outcome kMultiple{Status::multiple_tokens, "", kNone};

}  // namespace

TEST_CASE("Authorization: Bearer is read case-insensitively", "[extract]") {
  const Outcome found{Status::ok, kJwt, 0};
  CHECK(extract({{"Authorization", "Bearer " + kJwt}}) == found);
  CHECK(extract({{"authorization", "bearer " + kJwt}}) == found);
  CHECK(extract({{"AUTHORIZATION", "BEARER   " + kJwt + " \t"}}) == found);
  CHECK(extract({{"Host", "a"}, {"Authorization", "Bearer " + kJwt}, {"Accept", "*/*"}}) == found);
  CHECK(extract({{"Authorization", "Bearer abc+/~-._=="}}) ==
        Outcome{Status::ok, "abc+/~-._==", 0});
}

TEST_CASE("other schemes are no token", "[extract]") {
  CHECK(extract({}) == kMissing);
  CHECK(extract({{"Authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"}}) == kMissing);
  CHECK(extract({{"Authorization", "Bearer" + kJwt}}) == kMissing);  // the scheme "Bearer<jwt>"
  CHECK(extract({{"Authorization", ""}}) == kMissing);
  CHECK(extract({{"X-Authorization", "Bearer " + kJwt}}) == kMissing);
}

TEST_CASE("a Bearer scheme is a credential to judge, whatever whitespace follows it", "[extract]") {
  // Never "no token": on an optional route that would let a forged credential through.
  CHECK(extract({{"Authorization", "Bearer\t" + kJwt}}) == Outcome{Status::ok, kJwt, 0});
  CHECK(extract({{"Authorization", "bearer \t " + kJwt}}) == Outcome{Status::ok, kJwt, 0});
  CHECK(extract({{"Authorization", "Bearer"}}).status == Status::malformed_token);
  CHECK(extract({{"Authorization", "Bearer   "}}).status == Status::malformed_token);
  CHECK(extract({{"Authorization", "Bearer\t"}}).status == Status::malformed_token);
  CHECK(extract({{"Authorization", "Bearer\t" + kJwt + "\tx"}}).status == Status::malformed_token);
}

TEST_CASE("a Bearer credential that is not a b64token is malformed", "[extract]") {
  CHECK(extract({{"Authorization", "Bearer a b"}}).status == Status::malformed_token);
  CHECK(extract({{"Authorization", "Bearer a,Bearer b"}}).status == Status::malformed_token);
  CHECK(extract({{"Authorization", "Bearer =abc"}}).status == Status::malformed_token);
  CHECK(extract({{"Authorization", "Bearer ab=c"}}).status == Status::malformed_token);
  CHECK(extract({{"Authorization", "Bearer a\"b"}}).status == Status::malformed_token);
}

TEST_CASE("two Authorization headers are refused", "[extract]") {
  CHECK(extract({{"Authorization", "Bearer a"}, {"Authorization", "Bearer b"}}) == kMultiple);
  CHECK(extract({{"Authorization", "Bearer a"}, {"authorization", "Basic Zm9v"}}) == kMultiple);
  CHECK(extract({{"Authorization", "Basic Zm9v"}, {"Authorization", "Bearer a"}}) == kMultiple);
}

TEST_CASE("an empty source list means Authorization: Bearer", "[extract]") {
  const std::vector<config::TokenSource> none;
  CHECK(extract({{"Authorization", "Bearer " + kJwt}}, "", none) == Outcome{Status::ok, kJwt, 0});
  CHECK(extract({}, "access_token=" + kJwt, none) == kMissing);
}

TEST_CASE("a custom header gives its whole value", "[extract]") {
  const std::vector<config::TokenSource> sources = {source(Kind::header, "X-Token")};
  CHECK(extract({{"x-token", kJwt}}, "", sources) == Outcome{Status::ok, kJwt, 0});
  CHECK(extract({{"X-Token", "  " + kJwt + " "}}, "", sources) == Outcome{Status::ok, kJwt, 0});
  CHECK(extract({{"X-Token", "bearer  " + kJwt}}, "", sources) == Outcome{Status::ok, kJwt, 0});
  CHECK(extract({{"X-Token", ""}}, "", sources) == kMissing);
  CHECK(extract({{"X-Token", "a"}, {"X-Token", "b"}}, "", sources) == kMultiple);
  CHECK(extract({{"X-Token", "a"}, {"X-Token", ""}}, "", sources) == Outcome{Status::ok, "a", 0});
  CHECK(extract({{"Authorization", "Bearer " + kJwt}}, "", sources) == kMissing);
}

TEST_CASE("cookies are read from every Cookie header", "[extract]") {
  const std::vector<config::TokenSource> sources = {source(Kind::cookie, "access_token")};
  const Outcome found{Status::ok, kJwt, 0};
  CHECK(extract({{"Cookie", "access_token=" + kJwt}}, "", sources) == found);
  CHECK(extract({{"cookie", "a=1; access_token=" + kJwt + "; b=2"}}, "", sources) == found);
  CHECK(extract({{"Cookie", "a=1;access_token=" + kJwt + ";b"}}, "", sources) == found);
  CHECK(extract({{"Cookie", "a=1"}, {"Cookie", "access_token=" + kJwt}}, "", sources) == found);
  CHECK(extract({{"Cookie", "access_token=\"" + kJwt + "\""}}, "", sources) == found);
  CHECK(extract({{"Cookie", "Access_Token=" + kJwt}}, "", sources) == kMissing);
  CHECK(extract({{"Cookie", "xaccess_token=" + kJwt}}, "", sources) == kMissing);
  CHECK(extract({{"Cookie", "access_token="}}, "", sources) == kMissing);
  CHECK(extract({{"Cookie", "access_token"}}, "", sources) == kMissing);
  CHECK(extract({{"Cookie", "access_token=a; access_token=b"}}, "", sources) == kMultiple);
  CHECK(extract({{"Cookie", "access_token=a"}, {"Cookie", "access_token=a"}}, "", sources) ==
        kMultiple);
  CHECK(extract({{"Set-Cookie", "access_token=a"}}, "", sources) == kMissing);
}

TEST_CASE("query parameters are percent-decoded into the scratch buffer", "[extract]") {
  const std::vector<config::TokenSource> sources = {source(Kind::query, "access_token")};
  const Outcome found{Status::ok, kJwt, 0};
  CHECK(extract({}, "access_token=" + kJwt, sources) == found);
  CHECK(extract({}, "a=1&access_token=" + kJwt + "&b", sources) == found);
  CHECK(extract({}, "access%5Ftoken=" + kJwt, sources) == found);
  CHECK(extract({}, "access_token=abc%2Edef%2e", sources) == Outcome{Status::ok, "abc.def.", 0});
  CHECK(extract({}, "access_token=a+b%zz%4", sources) == Outcome{Status::ok, "a b%zz%4", 0});
  CHECK(extract({}, "access_token=", sources) == kMissing);
  CHECK(extract({}, "access_token", sources) == kMissing);
  CHECK(extract({}, "Access_token=a", sources) == kMissing);
  CHECK(extract({}, "access_token_x=a", sources) == kMissing);
  CHECK(extract({}, "", sources) == kMissing);
  CHECK(extract({}, "access_token=a&access_token=b", sources) == kMultiple);
  CHECK(extract({}, "access_token=a&access%5ftoken=a", sources) == kMultiple);
  CHECK(extract({}, "access_token=&access_token=b", sources) == Outcome{Status::ok, "b", 0});

  std::string scratch;
  const std::vector<HeaderField> headers;
  const auto r = extract_token(headers, "access_token=a%2Bb", sources, scratch);
  CHECK(r.token == "a+b");
  CHECK(r.token.data() == scratch.data());
}

TEST_CASE("a token in more than one source is refused", "[extract]") {
  const std::string bearer = "Bearer " + kJwt;
  CHECK(extract({{"Authorization", bearer}}, "", kAll) == Outcome{Status::ok, kJwt, 0});
  CHECK(extract({{"Cookie", "access_token=" + kJwt}}, "", kAll) == Outcome{Status::ok, kJwt, 1});
  CHECK(extract({}, "access_token=" + kJwt, kAll) == Outcome{Status::ok, kJwt, 2});
  CHECK(extract({{"Authorization", bearer}}, "access_token=" + kJwt, kAll) == kMultiple);
  CHECK(extract({{"Authorization", bearer}, {"Cookie", "access_token=" + kJwt}}, "", kAll) ==
        kMultiple);
  CHECK(extract({{"Cookie", "access_token=x"}}, "access_token=y", kAll) == kMultiple);
  // Another scheme or an empty value elsewhere is not a second token.
  CHECK(extract({{"Authorization", "Basic Zm9v"}}, "access_token=" + kJwt, kAll) ==
        Outcome{Status::ok, kJwt, 2});
  CHECK(extract({{"Cookie", "access_token="}}, "access_token=" + kJwt, kAll) ==
        Outcome{Status::ok, kJwt, 2});
  CHECK(extract({{"Authorization", "Bearer a b"}}, "access_token=" + kJwt, kAll) == kMultiple);
}

TEST_CASE("the token points into the request", "[extract]") {
  const std::string value = "Bearer " + kJwt;
  const std::vector<HeaderField> headers = {{"Authorization", value}};
  std::string scratch;
  const auto r = extract_token(headers, "", kBearer, scratch);
  REQUIRE(r.status == Status::ok);
  CHECK(r.token.data() == value.data() + 7);
  CHECK(r.token.size() == kJwt.size());
}

TEST_CASE("a cookie location strips every cookie of that name, and nothing else", "[extract]") {
  const auto src = source(Kind::cookie, "access_token");
  const TokenLocation at{&src};
  const auto strip = [&](std::string_view cookie) { return at.strip_from_header("Cookie", cookie); };
  CHECK(strip("a=1; access_token=x; b=2") == "a=1; b=2");
  CHECK(strip("access_token=x") == "");
  CHECK(strip("access_token=x;a=1;access_token=y") == "a=1");
  CHECK(strip("a=1;  b=\"q\" ;c") == "a=1; b=\"q\"; c");
  CHECK(strip("Access_Token=x; access_tokens=y") == "Access_Token=x; access_tokens=y");
  CHECK(strip("") == "");
  CHECK(at.strip_from_header("Authorization", "Bearer x") == std::nullopt);
  CHECK(at.strip_from_query("access_token=x&a=1") == "access_token=x&a=1");
}

TEST_CASE("a query location strips its parameter, every other one byte for byte", "[extract]") {
  const auto src = source(Kind::query, "access_token");
  const TokenLocation at{&src};
  CHECK(at.strip_from_query("access_token=x") == "");
  CHECK(at.strip_from_query("a=%2F&access_token=x&b=c+d") == "a=%2F&b=c+d");
  CHECK(at.strip_from_query("access%5Ftoken=x&a=1&access_token=y") == "a=1");
  CHECK(at.strip_from_query("access_token&a") == "a");
  CHECK(at.strip_from_query("a=1&&b=2") == "a=1&&b=2");
  CHECK(at.strip_from_query("access_tokens=1&Access_token=2") == "access_tokens=1&Access_token=2");
  CHECK(at.strip_from_header("Cookie", "access_token=x") == std::nullopt);
}

TEST_CASE("a header location drops that header, in any letter case", "[extract]") {
  const auto src = source(Kind::header, "X-Token");
  const TokenLocation at{&src};
  CHECK(at.strip_from_header("x-token", "abc") == "");
  CHECK(at.strip_from_header("X-Tokens", "abc") == std::nullopt);
  CHECK(TokenLocation{}.strip_from_header("X-Token", "abc") == std::nullopt);
  CHECK(TokenLocation{}.strip_from_query("a=1") == "a=1");
}
