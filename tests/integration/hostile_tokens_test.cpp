// Hostile clients, token transport: schemes, places and sizes of tokens, claims that would
// inject headers, hop-by-hop and spoofed X-Forwarded-* fields.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <thread>

#include "common/ascii.h"
#include "tests/integration/fixture.h"
#include "tests/integration/hostile_support.h"

using namespace jwt_sidecar::testing;
using namespace jwt_sidecar::testing::hostile;
using namespace std::string_literals;
using jwt_sidecar::policies::Algorithm;

// ---------------------------------------------------------------------------------------------
// Token transport
// ---------------------------------------------------------------------------------------------

TEST_CASE("hostile token transport: schemes, places and sizes", "[integration][hostile]") {
  ProxyFixture f("", "    token_from: [{header: Authorization}, {cookie: access_token}, {query: access_token}]\n");
  const auto t = token();
  const auto big = token(R"("scope":"orders:read","pad":")" + std::string(9000, 'p') + "\"");
  REQUIRE(big.size() > 8192);
  REQUIRE(big.size() < 15000);
  const auto huge = token(R"("scope":"orders:read","pad":")" + std::string(20000, 'p') + "\"");
  struct Case {
    const char* name;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    int status;
    const char* reason;
  };
  using H = std::vector<std::pair<std::string, std::string>>;
  const std::vector<Case> cases = {
      {"Bearer", "/orders/1", H{{"Authorization", "Bearer " + t}}, 200, nullptr},
      {"bearer in lower case", "/orders/1", H{{"Authorization", "bearer " + t}}, 200, nullptr},
      {"BEARER in upper case", "/orders/1", H{{"Authorization", "BEARER " + t}}, 200, nullptr},
      {"two spaces after Bearer", "/orders/1", H{{"Authorization", "Bearer  " + t}}, 200, nullptr},
      {"header name in lower case", "/orders/1", H{{"authorization", "Bearer " + t}}, 200, nullptr},
      // A Bearer credential is judged, never taken for "no token" (an optional route would
      // otherwise pass it on unverified).
      {"Bearer alone", "/orders/1", H{{"Authorization", "Bearer"}}, 401, "malformed_token"},
      {"Bearer and spaces", "/orders/1", H{{"Authorization", "Bearer   "}}, 401, "malformed_token"},
      {"Bearer with a tab", "/orders/1", H{{"Authorization", "Bearer\t" + t}}, 200, nullptr},
      {"Bearer with a tab, forged", "/orders/1", H{{"Authorization", "Bearer\t" + t.substr(0, t.size() - 4) + "AAAA"}},
       401, "signature_invalid"},
      {"Bearer with a tab, optional route", "/maybe/1",
       H{{"Authorization", "Bearer\t" + t.substr(0, t.size() - 4) + "AAAA"}}, 401, "signature_invalid"},
      {"Bearer alone, optional route", "/maybe/1", H{{"Authorization", "Bearer"}}, 401, "malformed_token"},
      {"Basic", "/orders/1", H{{"Authorization", "Basic YWxpY2U6c2VjcmV0"}}, 401, "token_missing"},
      {"token without a scheme", "/orders/1", H{{"Authorization", t}}, 401, "token_missing"},
      {"another scheme", "/orders/1", H{{"Authorization", "Token " + t}}, 401, "token_missing"},
      {"Bearer with two credentials", "/orders/1", H{{"Authorization", "Bearer " + t + " " + t}}, 401, "malformed_token"},
      {"Bearer list in one header", "/orders/1", H{{"Authorization", "Bearer " + t + ", Bearer " + t}}, 401,
       "malformed_token"},
      {"Bearer with a quote", "/orders/1", H{{"Authorization", "Bearer \"" + t + "\""}}, 401, "malformed_token"},
      {"two Authorization headers", "/orders/1", H{{"Authorization", "Bearer " + t}, {"Authorization", "Bearer " + t}},
       400, "multiple_tokens"},
      {"Basic and Bearer", "/orders/1", H{{"Authorization", "Basic YWxpY2U6c2VjcmV0"}, {"Authorization", "Bearer " + t}},
       400, "multiple_tokens"},
      {"header and query", "/orders/1?access_token=" + t, H{{"Authorization", "Bearer " + t}}, 400, "multiple_tokens"},
      {"header and cookie", "/orders/1", H{{"Authorization", "Bearer " + t}, {"Cookie", "access_token=" + t}}, 400,
       "multiple_tokens"},
      {"cookie and query", "/orders/1?access_token=" + t, H{{"Cookie", "access_token=" + t}}, 400, "multiple_tokens"},
      {"query twice", "/orders/1?access_token=" + t + "&access_token=" + t, H{}, 400, "multiple_tokens"},
      {"query name percent-encoded", "/orders/1?access_token=" + t + "&access%5Ftoken=" + t, H{}, 400, "multiple_tokens"},
      {"cookie twice in one header", "/orders/1", H{{"Cookie", "access_token=" + t + "; access_token=" + t}}, 400,
       "multiple_tokens"},
      {"cookie in two headers", "/orders/1", H{{"Cookie", "access_token=" + t}, {"Cookie", "access_token=" + t}}, 400,
       "multiple_tokens"},
      {"empty query value with a header", "/orders/1?access_token=", H{{"Authorization", "Bearer " + t}}, 200, nullptr},
      {"cookie in quotes", "/orders/1", H{{"Cookie", "a=1; access_token=\"" + t + "\""}}, 200, nullptr},
      {"cookie name in another case", "/orders/1", H{{"Cookie", "Access_Token=" + t}}, 401, "token_missing"},
      {"token over max_token_bytes", "/orders/1", H{{"Authorization", "Bearer " + big}}, 401, "token_too_large"},
      {"token over max_token_bytes in a cookie", "/orders/1", H{{"Cookie", "access_token=" + big}}, 401, "token_too_large"},
      {"token over the header limit", "/orders/1", H{{"Authorization", "Bearer " + huge}}, 431, "header_too_large"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto before = f.upstream.request_count();
    const auto r = http_request(f.port(), "GET", c.target, c.headers);
    REQUIRE(r);
    CHECK(r->status == c.status);
    if (c.reason) CHECK(decode_error_reason(*r) == c.reason);
    CHECK(r->body.find(t.substr(0, 40)) == std::string::npos);
    CHECK(r->header("WWW-Authenticate").find(t.substr(0, 40)) == std::string::npos);
    CHECK(f.upstream.request_count() == before + (c.status == 200 ? 1 : 0));
    if (c.status == 200) CHECK(f.upstream.requests().back().header("x-user-id") == "alice");
  }
  // Tokens are never logged, whatever happened to them.
  flush_access_log(f.proxy);
  for (const auto& line : f.proxy.process().stdout_lines()) {
    CHECK(line.find(t.substr(t.size() - 30)) == std::string::npos);
    CHECK(line.find(big.substr(big.size() - 30)) == std::string::npos);
  }
}

TEST_CASE("hostile claims: values that would inject headers never add one at the upstream",
          "[integration][hostile]") {
  ProxyFixture f("", "    forward_payload_header: x-jwt-payload\n",
                 "{sub: x-user-id, email: x-user-email, roles: x-roles, org: x-org}");
  auto signed_with = [](const std::string& members) {
    return make_token(TestKey::shared_ec("P-256"), Algorithm::ES256, R"({"alg":"ES256","kid":"k1"})",
                      std::string(R"({"iss":")") + kIssuer + R"(","aud":"orders-api","scope":"orders:read","exp":)" +
                          std::to_string(unix_now() + 600) + "," + members + "}");
  };
  // The header names a plain token produces: no case below may add to them.
  REQUIRE(http_request(f.port(), "GET", "/orders/base",
                       {{"Authorization", bearer(signed_with(R"("sub":"alice","email":"a@x","roles":["r"],"org":{"a":1})"))}})
              ->status == 200);
  std::vector<std::string> base_names;
  const auto base = f.upstream.requests();
  for (const auto& [name, value] : base.back().headers) base_names.push_back(name);
  struct Case {
    const char* name;
    std::string members;
    std::vector<const char*> left_out;  // claim headers that must be absent
  };
  const std::vector<Case> cases = {
      {"CR LF in sub", R"("sub":"alice\r\nX-Injected: 1","email":"a@x")", {"x-user-id"}},
      {"LF in sub", R"("sub":"alice\nX-Injected: 1")", {"x-user-id"}},
      {"CR in sub", R"("sub":"alice\rX-Injected: 1")", {"x-user-id"}},
      {"NUL in sub", R"("sub":"alice\u0000X-Injected: 1")", {"x-user-id"}},
      {"escaped CR LF in sub", R"("sub":"alice\u000d\u000aX-Injected: 1")", {"x-user-id"}},
      {"DEL in email", R"("sub":"alice","email":"a\u007f@x")", {"x-user-email"}},
      {"vertical tab in email", R"("sub":"alice","email":"a\u000b@x")", {"x-user-email"}},
      // Arrays and objects go as JSON text, whose escapes keep CR and LF out of the value.
      {"CR LF in an array element", R"("sub":"alice","roles":["a","b\r\nX-Injected: 1"])", {}},
      {"CR LF in an object member", R"("sub":"alice","org":{"n":"a\r\nX-Injected: 1"})", {}},
      {"header-looking sub", R"("sub":"X-Injected: 1")", {}},
      {"sub that ends the header", R"("sub":"alice\r\n\r\nGET /admin HTTP/1.1")", {"x-user-id"}},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto before = f.upstream.request_count();
    const auto t = signed_with(c.members);
    const auto r = http_request(f.port(), "GET", "/orders/claims", {{"Authorization", bearer(t)}});
    REQUIRE(r);
    CHECK(r->status == 200);
    const auto seen = seen_since(f.upstream, before);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].count("X-Injected") == 0);
    for (const auto* h : c.left_out) CHECK(seen[0].count(h) == 0);
    for (const auto& [name, value] : seen[0].headers) {
      INFO(name << ": " << value);
      CHECK(std::find_if(base_names.begin(), base_names.end(), [&](const std::string& b) {
              return jwt_sidecar::common::equals_ignore_case(b, name);
            }) != base_names.end());
      CHECK(value.find_first_of("\r\n"s + '\0') == std::string::npos);
    }
  }
  CHECK(f.upstream.request_count() == cases.size() + 1);
  // A claim with a line break cannot split a log line either.
  flush_access_log(f.proxy);
  for (const auto& line : f.proxy.process().stdout_lines()) {
    CHECK(line.front() == '{');
    CHECK(line.back() == '}');
  }
}

TEST_CASE("hostile hop-by-hop: Connection and spoofed X-Forwarded-* cannot change what the proxy sets",
          "[integration][hostile]") {
  ProxyFixture f;
  const auto t = token();
  const auto r = http_request(f.port(), "GET", "/orders/hop",
                              {{"Authorization", bearer(t)},
                               {"Connection", "keep-alive, x-user-id, X-Forwarded-For, X-Forwarded-Host, Host, "
                                              "Content-Length, Transfer-Encoding, X-Drop-Me"},
                               {"X-Drop-Me", "1"},
                               {"X-User-Id", "mallory"},
                               {"X-Forwarded-For", "10.9.8.7"},
                               {"X-Forwarded-Host", "admin.example.test"},
                               {"X-Forwarded-Proto", "https"},
                               {"Keep-Alive", "timeout=5"},
                               {"Proxy-Authorization", "Basic eDp5"},
                               {"TE", "trailers"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  REQUIRE(f.upstream.request_count() == 1);
  const auto seen = f.upstream.requests()[0];
  CHECK(seen.count("x-user-id") == 1);
  CHECK(seen.header("x-user-id") == "alice");
  CHECK(seen.count("X-Forwarded-For") == 1);
  CHECK(seen.header("X-Forwarded-For") == "127.0.0.1");  // a header Connection names is dropped whole
  CHECK(seen.count("X-Forwarded-Host") == 1);
  CHECK(seen.header("X-Forwarded-Host") == "127.0.0.1");
  CHECK(seen.header("X-Forwarded-Proto") == "http");
  CHECK(seen.header("Host") == "127.0.0.1");
  CHECK(seen.header("Authorization") == bearer(t));
  for (const char* gone : {"X-Drop-Me", "Keep-Alive", "Proxy-Authorization", "TE", "Connection"}) {
    INFO(gone);
    CHECK(seen.count(gone) == 0);
  }
  // Without Connection naming it, a client's X-Forwarded-For is kept and the client appended.
  REQUIRE(http_request(f.port(), "GET", "/public/xff", {{"X-Forwarded-For", "10.9.8.7"}})->status == 200);
  CHECK(f.upstream.requests()[1].header("X-Forwarded-For") == "10.9.8.7, 127.0.0.1");
}
