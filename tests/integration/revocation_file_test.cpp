// Revocation from a file (DESIGN.md "Revocation"), against the real binary: each entry kind,
// a cache hit after revocation, `revoke` rewriting the file while the proxy watches it, a
// malformed file, a file that is not there yet, and `verify --revoked`.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>

#include "tests/integration/revocation_support.h"

using namespace jwt_sidecar::testing;

namespace {

struct FileFixture {
  explicit FileFixture(const std::string& list, const std::string& more = "")
      : jwks_path(dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}))),
        list_path(list.empty() ? dir.path() + "/revoked.yaml" : dir.write("revoked.yaml", list)),
        proxy(revocation_config(upstream.port(), jwks_path, "  file: " + list_path + "\n" + more)) {}
  std::uint16_t port() const { return proxy.port(); }
  std::uint16_t admin() const { return proxy.admin_port(); }
  CliRun revoke(std::vector<std::string> args) {
    args.insert(args.begin(), {"revoke", "--config", proxy.config_path()});
    return run_sidecar(args);
  }
  double entries() const { return metric(proxy.admin_port(), "jwt_sidecar_revocation_entries{source=\"file\"}").value_or(-1); }

  TempDir dir;
  UpstreamServer upstream;
  std::string jwks_path, list_path;
  ProxyProcess proxy;
};

const std::string kIss = kIssuer;

}  // namespace

TEST_CASE("revocation file: a jti entry revokes that token only, with token_revoked everywhere",
          "[integration][revocation]") {
  FileFixture f("- {issuer: " + kIss + ", jti: leaked-1}\n");
  const auto revoked = token(R"("jti":"leaked-1","scope":"orders:read")");
  const auto other = token(R"("jti":"fine-2","scope":"orders:read")");
  const auto r = http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(revoked)}});
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->header("WWW-Authenticate").find("error=\"invalid_token\"") != std::string::npos);
  CHECK(r->header("WWW-Authenticate").find("token_revoked") != std::string::npos);
  CHECK(r->body.find("\"error_description\":\"token_revoked\"") != std::string::npos);
  CHECK(r->body.find(revoked) == std::string::npos);
  CHECK(status_for(f.port(), other) == 200);
  CHECK(rejections(f.admin(), "token_revoked") == 1);
  CHECK(f.entries() == 1);
  const auto line = f.proxy.process().wait_for_line("\"reason\":\"token_revoked\"");
  REQUIRE(line);
  CHECK(line->find("\"status\":401") != std::string::npos);
  // The revoked request never reached the upstream; the other did.
  CHECK(f.upstream.requests().size() == 1);
  // Public routes need no token, and are served whatever the list says.
  CHECK(http_request(f.port(), "GET", "/public/x")->status == 200);
}

TEST_CASE("revocation file: sub with before (iat edges, no iat) and kid entries", "[integration][revocation]") {
  const auto now = unix_now();
  FileFixture f("- {issuer: " + kIss + ", sub: mallory, before: " + std::to_string(now) + "}\n");
  auto with = [&](const std::string& sub, const std::string& iat) {
    return make_token(TestKey::shared_ec("P-256"), jwt_sidecar::policies::Algorithm::ES256,
                      R"({"alg":"ES256","kid":"k1"})",
                      R"({"iss":")" + kIss + R"(","aud":"orders-api","sub":")" + sub + R"(","scope":"orders:read",)" +
                          iat + R"("exp":)" + std::to_string(now + 600) + "}");
  };
  CHECK(status_for(f.port(), with("mallory", "\"iat\":" + std::to_string(now - 1) + ",")) == 401);
  CHECK(status_for(f.port(), with("mallory", "\"iat\":" + std::to_string(now) + ",")) == 200);  // not before
  CHECK(status_for(f.port(), with("mallory", "")) == 401);  // no iat: counts as issued before
  CHECK(status_for(f.port(), with("alice", "\"iat\":" + std::to_string(now - 1) + ",")) == 200);
  CHECK(rejections(f.admin(), "token_revoked") == 2);

  // The key: every token it signed, with or without a kid in the token's header.
  REQUIRE(f.revoke({"--issuer", kIss, "--kid", "k1"}).status == 0);
  REQUIRE(eventually([&] { return f.entries() == 2; }));
  CHECK(status_for(f.port(), with("alice", "")) == 401);
  const auto no_kid = make_token(TestKey::shared_ec("P-256"), jwt_sidecar::policies::Algorithm::ES256,
                                 R"({"alg":"ES256"})",
                                 R"({"iss":")" + kIss + R"(","aud":"orders-api","sub":"bob","scope":"orders:read","exp":)" +
                                     std::to_string(now + 600) + "}");
  CHECK(status_for(f.port(), no_kid) == 401);
}

TEST_CASE("revocation file: revoke rewrites the watched file; a cached token is refused at once",
          "[integration][revocation]") {
  FileFixture f("[]\n");
  const auto t = token(R"("jti":"session-7","scope":"orders:read")");
  CHECK(status_for(f.port(), t) == 200);
  CHECK(status_for(f.port(), t) == 200);  // now a verified-token cache hit
  CHECK(metric(f.admin(), "jwt_sidecar_token_cache_hits_total").value_or(0) >= 1);

  const auto added = f.revoke({"--issuer", kIss, "--jti", "session-7", "--expires", std::to_string(unix_now() + 3600)});
  INFO(added.err);
  REQUIRE(added.status == 0);
  CHECK(added.out.find("\"jti\":\"session-7\"") != std::string::npos);
  REQUIRE(eventually([&] { return f.entries() == 1; }, std::chrono::seconds(5)));
  CHECK(status_for(f.port(), t) == 401);

  const auto listed = f.revoke({"--list"});
  CHECK(listed.status == 0);
  CHECK(listed.out.find("\"issuer\":\"" + kIss + "\",\"jti\":\"session-7\"") != std::string::npos);

  REQUIRE(f.revoke({"--remove", "--issuer", kIss, "--jti", "session-7"}).status == 0);
  REQUIRE(eventually([&] { return f.entries() == 0; }, std::chrono::seconds(5)));
  CHECK(status_for(f.port(), t) == 200);
  // Removing what is not there fails and says so; bad arguments are usage errors.
  const auto again = f.revoke({"--remove", "--issuer", kIss, "--jti", "session-7"});
  CHECK(again.status == 1);
  CHECK(again.err.find("no entry") != std::string::npos);
  CHECK(f.revoke({"--issuer", kIss}).status == 2);
  CHECK(f.revoke({"--issuer", kIss, "--jti", "a", "--before", "5"}).status == 2);
  CHECK(f.revoke({"--list", "--issuer", kIss}).status == 2);
}

TEST_CASE("revocation file: a malformed file keeps the previous list and says where", "[integration][revocation]") {
  FileFixture f("- {issuer: " + kIss + ", jti: one}\n");
  const auto t = token(R"("jti":"one","scope":"orders:read")");
  CHECK(status_for(f.port(), t) == 401);
  {
    std::ofstream(f.list_path + ".new") << "- {issuer: " << kIss << ", jti: one}\n- {issuer: " << kIss
                                        << ", jti: two, before: 5}\n- [not, a, map]\n";
    REQUIRE(std::rename((f.list_path + ".new").c_str(), f.list_path.c_str()) == 0);
  }
  const auto line = f.proxy.process().wait_for_line("revocation file rejected");
  REQUIRE(line);
  CHECK(line->find(f.list_path + ":2:") != std::string::npos);   // 'before' on a jti entry
  CHECK(line->find(f.list_path + ":3:3:") != std::string::npos); // not a mapping
  CHECK(metric(f.admin(), "jwt_sidecar_revocation_sync_failures_total{source=\"file\"}").value_or(0) == 1);
  CHECK(status_for(f.port(), t) == 401);  // the previous list still applies
  CHECK(f.entries() == 1);
  CHECK(http_request(f.admin(), "GET", "/readyz")->status == 200);
}

TEST_CASE("revocation file: not there yet means not ready and 503 revocation_unavailable; SIGHUP re-reads",
          "[integration][revocation]") {
  FileFixture f("");  // the file does not exist
  const auto t = token();
  const auto ready = http_request(f.admin(), "GET", "/readyz");
  REQUIRE(ready);
  CHECK(ready->status == 503);
  CHECK(ready->body.find("\"revocation\":{\"file\":\"not_read\"}") != std::string::npos);
  const auto r = http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(t)}});
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->body.find("revocation_unavailable") != std::string::npos);
  CHECK(http_request(f.port(), "GET", "/public/x")->status == 200);  // auth: none is served
  CHECK(f.upstream.requests().size() == 1);

  std::ofstream(f.list_path) << "[]\n";
  f.proxy.process().signal(SIGHUP);
  REQUIRE(eventually([&] { return http_request(f.admin(), "GET", "/readyz")->status == 200; }));
  CHECK(status_for(f.port(), t) == 200);
}

TEST_CASE("verify --revoked checks a token against a list offline", "[integration][revocation][cli]") {
  TempDir dir;
  const auto jwks = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  const auto list = dir.write("revoked.yaml", "- {issuer: " + kIss + ", jti: gone}\n");
  const auto bad_list = dir.write("bad.yaml", "- {issuer: " + kIss + "}\n");
  const auto revoked = token(R"("jti":"gone")");
  const auto fine = token(R"("jti":"here")");
  const auto a = run_sidecar({"verify", "--jwks", jwks, "--revoked", list, revoked});
  CHECK(a.status == 1);
  CHECK(a.out.find("\"reason\":\"token_revoked\"") != std::string::npos);
  const auto b = run_sidecar({"verify", "--jwks", jwks, "--revoked", list, fine});
  CHECK(b.status == 0);
  const auto c = run_sidecar({"verify", "--jwks", jwks, "--revoked", bad_list, fine});
  CHECK(c.status == 2);
  CHECK(c.err.find(bad_list + ":1:3:") != std::string::npos);
}
