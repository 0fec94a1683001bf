// Hostile clients, route bypass: path, target and Host spellings aimed at denied and protected
// routes, judged against what a lenient upstream could take them for.
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
// Route bypass
// ---------------------------------------------------------------------------------------------

TEST_CASE("hostile routes: path, target and Host spellings aimed at denied and protected routes",
          "[integration][hostile]") {
  TempDir dir;
  UpstreamServer upstream;
  const auto jwks = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  ProxyProcess proxy("listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nthreads: 1\n"
                     "upstream: http://127.0.0.1:" + std::to_string(upstream.port()) + "\n"
                     "providers:\n  corp: {issuer: " + std::string(kIssuer) + ", audiences: [orders-api], jwks_file: " +
                     jwks + "}\n"
                     "routes:\n"
                     "  - name: admin-host\n    match: {host: admin.example.test}\n    auth: deny\n"
                     "  - name: admin\n    match: {prefix: /admin}\n    auth: deny\n"
                     "  - name: secret\n    match: {prefix: /secret}\n    claims: {scope: {all: [secret:read]}}\n"
                     "  - name: rest\n    match: {prefix: /}\n    auth: none\n");
  struct Case {
    std::string method, target, host;
    int status;
    std::string forwarded;  // for 200: the target the upstream must get
  };
  const std::string pub = "public.example.test";
  const std::string adm = "admin.example.test";
  const std::vector<Case> cases = {
      // Dot segments, encoded dots, repeated slashes: all resolve to the denied path.
      {"GET", "/admin", pub, 403, ""},
      {"GET", "//admin", pub, 403, ""},
      {"GET", "///admin//x", pub, 403, ""},
      {"GET", "/./admin", pub, 403, ""},
      {"GET", "/x/../admin", pub, 403, ""},
      {"GET", "/x/./../admin/", pub, 403, ""},
      {"GET", "/x/../../../admin", pub, 403, ""},
      {"GET", "/%2e%2e/admin", pub, 403, ""},
      {"GET", "/x/%2E%2e/admin", pub, 403, ""},
      {"GET", "/x/.%2e/admin", pub, 403, ""},
      {"GET", "/x/%2e./admin", pub, 403, ""},
      {"GET", "/%2e/admin", pub, 403, ""},
      {"GET", "/%61dmin", pub, 403, ""},
      {"GET", "/%61%64%6D%69%6e/x", pub, 403, ""},
      {"GET", "/admin?/public", pub, 403, ""},
      // Path parameters are ignored for matching, including on a dot-dot segment.
      {"GET", "/admin;x=1", pub, 403, ""},
      {"GET", "/admin;/x", pub, 403, ""},
      {"GET", "/x/..;/admin", pub, 403, ""},
      {"GET", "/x;a/../admin", pub, 403, ""},
      {"GET", "/x/..;a=b/admin/y", pub, 403, ""},
      // Encoded separators, backslashes, NUL, fragments: refused outright.
      {"GET", "/x/..%2fadmin", pub, 400, ""},
      {"GET", "/x%2F..%2Fadmin", pub, 400, ""},
      {"GET", "/x/..%5cadmin", pub, 400, ""},
      {"GET", "/x/..%5Cadmin", pub, 400, ""},
      {"GET", "/x\\..\\admin", pub, 400, ""},
      {"GET", "/admin%00", pub, 400, ""},
      {"GET", "/admin%", pub, 400, ""},
      {"GET", "/adm%zzin", pub, 400, ""},
      {"GET", "/admin#", pub, 400, ""},
      {"GET", "/x#/../admin", pub, 400, ""},
      // Spellings that are other paths, forwarded in canonical form (they cannot be /admin to
      // an upstream that follows RFC 3986).
      {"GET", "/admin%23x", pub, 200, "/admin%23x"},
      {"GET", "/admin%3bx", pub, 200, "/admin%3Bx"},
      {"GET", "/%252e%252e/admin", pub, 200, "/%252e%252e/admin"},
      {"GET", "/%c0%ae%c0%ae/admin", pub, 200, "/%C0%AE%C0%AE/admin"},
      {"GET", "/adminx", pub, 200, "/adminx"},
      {"GET", "/public?/../admin", pub, 200, "/public?/../admin"},
      // The protected route, without a token.
      {"GET", "/secret", pub, 401, ""},
      {"GET", "//secret/x", pub, 401, ""},
      {"GET", "/x/../secret", pub, 401, ""},
      {"GET", "/secret;x", pub, 401, ""},
      {"GET", "/%73ecret", pub, 401, ""},
      {"HEAD", "/secret", pub, 401, ""},
      // Absolute-form targets: reduced to their path, and their authority must be the Host.
      {"GET", "http://public.example.test/admin", pub, 403, ""},
      {"GET", "HTTP://PUBLIC.EXAMPLE.TEST/admin", pub, 403, ""},
      {"GET", "https://public.example.test/x/../admin", pub, 403, ""},
      {"GET", "http://public.example.test/secret", pub, 401, ""},
      {"GET", "http://admin.example.test/x", pub, 400, ""},
      {"GET", "http://public.example.test/x", adm, 400, ""},
      {"GET", "http://admin.example.test/x", adm, 403, ""},
      {"GET", "http://public.example.test:80/x", pub, 400, ""},
      {"GET", "http://user@public.example.test/x", pub, 400, ""},
      {"GET", "http://public.example.test?x", pub, 400, ""},
      {"GET", "http://public.example.test", pub, 200, "/"},
      {"GET", "ftp://public.example.test/x", pub, 400, ""},
      // Asterisk and authority forms.
      {"GET", "*", pub, 400, ""},
      {"OPTIONS", "*", pub, 400, ""},
      {"CONNECT", "admin.example.test:443", adm, 400, ""},
      {"CONNECT", "public.example.test:443", pub, 400, ""},
      {"CONNECT", "/admin", pub, 403, ""},
      // Host spellings of the denied host: case, trailing dot and port are ignored.
      {"GET", "/x", adm, 403, ""},
      {"GET", "/x", "ADMIN.EXAMPLE.TEST", 403, ""},
      {"GET", "/x", "Admin.Example.Test", 403, ""},
      {"GET", "/x", "admin.example.test.", 403, ""},
      {"GET", "/x", "admin.example.test:8080", 403, ""},
      {"GET", "/x", "admin.example.test.:443", 403, ""},
      {"GET", "/x", "aDmIn.example.test.:1", 403, ""},
      // Host values that are not host[:port] (RFC 9112 3.2: 400), which a lenient upstream
      // could still read as the denied host.
      {"GET", "/x", "admin.example.test:1:2", 400, ""},
      {"GET", "/x", "admin.example.test:", 403, ""},
      {"GET", "/x", "admin.example.test:x", 400, ""},
      {"GET", "/x", "admin.example.test..", 400, ""},
      {"GET", "/x", ".admin.example.test", 400, ""},
      {"GET", "/x", "admin%2eexample.test", 400, ""},
      {"GET", "/x", "admin.example.test:80@evil", 400, ""},
      {"GET", "/x", "admin.example.test#.public", 400, ""},
      {"GET", "/x", "admin.example.test?.public", 400, ""},
      {"GET", "/x", "admin.example.test\\.public", 400, ""},
      {"GET", "/x", "admin.example.test/", 400, ""},
      {"GET", "/x", "x@admin.example.test", 400, ""},
      {"GET", "/x", "admin.example.test,public", 400, ""},
      {"GET", "/x", "admin.example.test public", 400, ""},
      {"GET", "/x", "admin.example.test\"", 400, ""},
      {"GET", "/x", "[admin.example.test]", 400, ""},
      {"GET", "/x", "admin.example.test\xc2\xa0", 400, ""},
      // Other hosts pass.
      {"GET", "/x", pub, 200, "/x"},
      {"GET", "/x", "127.0.0.1:8080", 200, "/x"},
      {"GET", "/x", "[::1]:8080", 200, "/x"},
      {"GET", "/x", "admin.example.test.evil", 200, "/x"},
  };
  for (const auto& c : cases) {
    INFO(c.method << " " << c.target << " Host: " << c.host);
    const auto before = upstream.request_count();
    RawClient client(proxy.port());
    REQUIRE(client.send(c.method + " " + c.target + " HTTP/1.1\r\nHost: " + c.host + "\r\nConnection: close\r\n\r\n"));
    const auto r = client.read_response(c.method == "HEAD");
    REQUIRE(r);
    CHECK(r->status == c.status);
    const auto seen = seen_since(upstream, before);
    if (c.status == 200) {
      REQUIRE(seen.size() == 1);
      CHECK(seen[0].target == c.forwarded);
      CHECK(seen[0].header("Host") == c.host);
    } else {
      CHECK(seen.empty());
    }
  }
  // Whatever was forwarded is neither the denied path nor the protected one, and no Host a
  // lenient upstream could mistake for the denied host.
  for (const auto& seen : upstream.requests()) {
    INFO(seen.target << " Host: " << seen.header("Host"));
    const auto path = path_for_matching(seen.target);
    CHECK_FALSE(under(path, "/admin"));
    CHECK_FALSE(under(path, "/secret"));
    CHECK(lenient_host(seen.header("Host")) != adm);
  }
}
