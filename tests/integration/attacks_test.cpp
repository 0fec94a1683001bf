// Defects found by attacking the real binary, each with a test that failed before its fix:
// lower-case methods, replayed POSTs, underscore header spellings, emptied key files, quoted
// chunk extensions, raw bytes in logged paths, and the subject of a 403.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>

#include "tests/integration/fixture.h"

using namespace jwt_sidecar::testing;

namespace {

// The shape of config/examples/sidecar.yaml: a method-scoped route that needs a scope, then a
// broader one; and an open route whose upstream paths the test chooses freely.
std::string config(std::uint16_t upstream_port, const std::string& jwks_path) {
  return "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nthreads: 1\n"
         "upstream: http://127.0.0.1:" + std::to_string(upstream_port) + "\n"
         "providers:\n"
         "  corp:\n"
         "    issuer: " + std::string(kIssuer) + "\n"
         "    audiences: [orders-api]\n"
         "    jwks_file: " + jwks_path + "\n"
         "    forward_claims: {sub: x-user-id}\n"
         "routes:\n"
         "  - name: orders-read\n"
         "    match: {prefix: /orders, methods: [GET, HEAD]}\n"
         "    claims: {scope: {all: [orders:read]}}\n"
         "  - name: orders-other\n"
         "    match: {prefix: /orders}\n"
         "    auth: none\n"
         "  - name: open\n"
         "    match: {prefix: /}\n"
         "    auth: none\n";
}

struct Fixture {
  Fixture()
      : jwks_path(dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}))),
        proxy(config(upstream.port(), jwks_path)) {}
  TempDir dir;
  UpstreamServer upstream;
  std::string jwks_path;
  ProxyProcess proxy;
};

std::string reason_of(const Response& r) {
  const auto at = r.body.find("\"error_description\":\"");
  if (at == std::string::npos) return "";
  return r.body.substr(at + 21, r.body.find('"', at + 21) - at - 21);
}

std::optional<Response> raw_exchange(std::uint16_t port, const std::string& bytes) {
  RawClient c(port);
  if (!c.send(bytes)) return std::nullopt;
  return c.read_response();
}

}  // namespace

TEST_CASE("attack: a lower-case method cannot skip a method-scoped route", "[integration][attacks]") {
  Fixture f;
  for (const char* method : {"get", "Get", "gET", "head"}) {
    INFO(method);
    const auto r = raw_exchange(f.proxy.port(), std::string(method) + " /orders/42 HTTP/1.1\r\nHost: a\r\n\r\n");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(reason_of(*r) == "invalid_method");
  }
  CHECK(f.upstream.request_count() == 0);
  // The upper-case method meets the route that needs a token.
  CHECK(http_request(f.proxy.port(), "GET", "/orders/42")->status == 401);
  CHECK(f.upstream.request_count() == 0);
}

TEST_CASE("attack: a request that is not idempotent is never sent twice", "[integration][attacks]") {
  Fixture f;
  // The first request leaves a pooled keep-alive connection; the upstream then records the next
  // request on it and resets before answering, as if it had crashed after acting on it.
  RawClient c(f.proxy.port());
  const auto send = [&](const std::string& method, const std::string& target) {
    REQUIRE(c.send(method + " " + target + " HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"));
    return c.read_response();
  };
  auto first = send("GET", "/warm");
  REQUIRE(first);
  REQUIRE(first->status == 200);
  f.upstream.clear();
  auto post = send("POST", "/reset?after=0&header=0");
  REQUIRE(post);
  CHECK(post->status == 502);
  CHECK(reason_of(*post) == "upstream_reset");
  CHECK(f.upstream.request_count() == 1);

  // An idempotent request is retried once on a fresh connection (RFC 9112 9.3.1).
  RawClient again(f.proxy.port());
  REQUIRE(again.send("GET /warm HTTP/1.1\r\nHost: a\r\n\r\n"));
  REQUIRE(again.read_response());
  f.upstream.clear();
  REQUIRE(again.send("GET /reset?after=0&header=0 HTTP/1.1\r\nHost: a\r\n\r\n"));
  const auto get = again.read_response();
  REQUIRE(get);
  CHECK(get->status == 502);
  CHECK(f.upstream.request_count() == 2);
}

TEST_CASE("attack: underscore spellings of headers never reach the upstream", "[integration][attacks]") {
  Fixture f;
  const auto r = http_request(f.proxy.port(), "GET", "/orders/1",
                              {{"Authorization", bearer(token())},
                               {"X_Forwarded_Proto", "https"},
                               {"X_Forwarded_Host", "evil.test"},
                               {"X_Forwarded_For", "10.0.0.1"},
                               {"X_User_Id", "mallory"},
                               {"x_user_id", "mallory"},
                               {"Some_Header", "v"},
                               {"Plain-Header", "kept"}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const auto seen = f.upstream.requests();
  REQUIRE(seen.size() == 1);
  for (const auto& [name, value] : seen[0].headers) {
    INFO(name);
    CHECK(name.find('_') == std::string::npos);
  }
  CHECK(seen[0].header("X-Forwarded-Proto") == "http");
  CHECK(seen[0].header("X-User-Id") == "alice");
  CHECK(seen[0].count("X-User-Id") == 1);
  CHECK(seen[0].header("Plain-Header") == "kept");
}

TEST_CASE("attack: a key file emptied of keys takes effect; a deleted one is reported",
          "[integration][attacks]") {
  Fixture f;
  const auto t = token();
  REQUIRE(http_request(f.proxy.port(), "GET", "/orders/1", {{"Authorization", bearer(t)}})->status == 200);

  // Deleted: the last keys stay (a ConfigMap swap removes the file for a moment), but the log
  // and a metric say so.
  REQUIRE(std::remove(f.jwks_path.c_str()) == 0);
  const auto warned = f.proxy.process().wait_for_line("\"msg\":\"cannot read jwks_file\"");
  REQUIRE(warned);
  CHECK(warned->find("\"keys\":\"kept\"") != std::string::npos);
  CHECK(metric(f.proxy.admin_port(), "jwt_sidecar_jwks_fetches_total{provider=\"corp\",result=\"read_error\"}") == 1.0);
  CHECK(http_request(f.proxy.port(), "GET", "/orders/1", {{"Authorization", bearer(t)}})->status == 200);

  // Rewritten without keys: the operator removed the key, so its tokens stop passing.
  for (const char* empty : {R"({"keys": []})", R"({"keys": [{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"weak"}]})"}) {
    INFO(empty);
    std::ofstream(f.jwks_path + ".new") << empty;
    REQUIRE(std::rename((f.jwks_path + ".new").c_str(), f.jwks_path.c_str()) == 0);
    REQUIRE(f.proxy.process().wait_for_line("\"msg\":\"no usable keys\""));
    const auto r = http_request(f.proxy.port(), "GET", "/orders/1", {{"Authorization", bearer(t)}});
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(reason_of(*r) == "key_not_found");
    // Back with the key: it passes again.
    std::ofstream(f.jwks_path + ".new") << jwks_of({TestKey::shared_ec("P-256").jwk("k1")});
    REQUIRE(std::rename((f.jwks_path + ".new").c_str(), f.jwks_path.c_str()) == 0);
    REQUIRE(f.proxy.process().wait_for_line("\"msg\":\"keys loaded\""));
    CHECK(http_request(f.proxy.port(), "GET", "/orders/1", {{"Authorization", bearer(t)}})->status == 200);
  }
}

TEST_CASE("attack: a control byte inside a quoted chunk extension is refused", "[integration][attacks]") {
  Fixture f;
  for (const std::string ext : {"1;a=\"\n\"", "1;a=\"\x01\"", "1;a=\"x\ny\""}) {
    const auto r = raw_exchange(f.proxy.port(),
                                "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + ext +
                                    "\r\nx\r\n0\r\n\r\n");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(reason_of(*r) == "bad_chunked_encoding");
  }
  CHECK(f.upstream.request_count() == 0);
  // A well-formed extension still passes.
  const auto ok = raw_exchange(f.proxy.port(), "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                                               "1;a=\"b c\"\r\nx\r\n0\r\n\r\n");
  REQUIRE(ok);
  CHECK(ok->status == 200);
}

TEST_CASE("attack: raw bytes in a path leave the access log valid JSON; a 403 logs the subject",
          "[integration][attacks]") {
  Fixture f;
  const auto r = raw_exchange(f.proxy.port(), "GET /caf\xc3\xa9/\xff\xfe HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(r);
  CHECK(r->status == 200);
  const auto line = f.proxy.process().wait_for_line("\"msg\":\"request\"");
  REQUIRE(line);
  CHECK(line->find("\"path\":\"/caf\xc3\xa9/\\u00ff\\u00fe\"") != std::string::npos);
  CHECK(line->find('\xff') == std::string::npos);

  // Verified, but without the scope: 403, and the log names who it was.
  const auto weak = token(R"("scope":"profile")");
  REQUIRE(http_request(f.proxy.port(), "GET", "/orders/1", {{"Authorization", bearer(weak)}})->status == 403);
  const auto denied = f.proxy.process().wait_for_line("\"status\":403");
  REQUIRE(denied);
  CHECK(denied->find("\"sub\":\"alice\"") != std::string::npos);
  CHECK(denied->find("\"reason\":\"claims_requirement_failed\"") != std::string::npos);
}
