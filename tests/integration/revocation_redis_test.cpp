// Revocation shared through a real redis-server (Debian's package, started by each test on a
// free loopback port with its own config): two sidecars, a `revoke` through one config reaching
// both while they serve traffic, a sidecar started later, Redis killed and back, an ACL user
// with a password, TLS, and a wrong password that is never printed.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "tests/integration/revocation_support.h"
#include "tests/support/redis_server.h"
#include "tests/support/tls_certs.h"

using namespace jwt_sidecar::testing;

namespace {

using Clock = std::chrono::steady_clock;
const std::string kIss = kIssuer;

struct Sidecar {
  Sidecar(const std::string& jwks_path, const std::string& redis_yaml)
      : proxy(revocation_config(upstream.port(), jwks_path, redis_yaml)) {}
  std::uint16_t port() const { return proxy.port(); }
  std::uint16_t admin() const { return proxy.admin_port(); }
  bool ready() const {
    try {
      const auto r = http_request(proxy.admin_port(), "GET", "/readyz");
      return r && r->status == 200;
    } catch (const std::exception&) {
      return false;
    }
  }
  UpstreamServer upstream;
  ProxyProcess proxy;
};

std::string redis_yaml(const RedisServer& redis, const std::string& extra = "", const std::string& top = "") {
  return "  redis:\n    url: " + redis.url() + "\n" + extra + top;
}

CliRun revoke(const Sidecar& s, std::vector<std::string> args) {
  args.insert(args.begin(), {"revoke", "--config", const_cast<Sidecar&>(s).proxy.config_path()});
  return run_sidecar(args);
}

}  // namespace

TEST_CASE("revocation redis: a revoke reaches both sidecars within a second while they serve traffic",
          "[integration][revocation][redis]") {
  if (!redis_available()) FAIL("redis-server is not installed: run deploy/install-deps.sh");
  RedisServer redis;
  TempDir dir;
  const auto jwks = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  Sidecar a(jwks, redis_yaml(redis));
  Sidecar b(jwks, redis_yaml(redis));
  REQUIRE(eventually([&] { return a.ready() && b.ready(); }));
  const auto victim = token(R"("jti":"stolen-1","scope":"orders:read")");
  const auto bystander = token(R"("jti":"fine-1","scope":"orders:read")");
  REQUIRE(status_for(a.port(), victim) == 200);
  REQUIRE(status_for(b.port(), victim) == 200);

  // Traffic with another token on both sidecars all along: none of it may fail.
  std::atomic<bool> done{false};
  std::atomic<int> served{0}, failed{0};
  std::thread traffic([&] {
    while (!done) {
      for (const auto port : {a.port(), b.port()}) {
        (status_for(port, bystander) == 200 ? served : failed)++;
      }
    }
  });
  const auto revoked = revoke(a, {"--issuer", kIss, "--jti", "stolen-1", "--expires", std::to_string(unix_now() + 600)});
  const auto announced = Clock::now();
  INFO(revoked.err);
  REQUIRE(revoked.status == 0);
  const bool on_a = eventually([&] { return status_for(a.port(), victim) == 401; }, std::chrono::seconds(1));
  const bool on_b = eventually([&] { return status_for(b.port(), victim) == 401; }, std::chrono::seconds(1));
  const auto took = Clock::now() - announced;
  done = true;
  traffic.join();
  CHECK(on_a);
  CHECK(on_b);
  CHECK(took < std::chrono::seconds(1));
  CHECK(failed == 0);
  CHECK(served > 0);
  CHECK(rejections(b.admin(), "token_revoked") >= 1);
  CHECK(metric(b.admin(), "jwt_sidecar_revocation_entries{source=\"redis\"}") == 1.0);
  CHECK(metric(b.admin(), "jwt_sidecar_revocation_seconds_since_sync{source=\"redis\"}").value_or(-1) >= 0);

  // A sidecar started later reads what is already there.
  Sidecar c(jwks, redis_yaml(redis));
  REQUIRE(eventually([&] { return c.ready(); }));
  CHECK(status_for(c.port(), victim) == 401);
  CHECK(status_for(c.port(), bystander) == 200);

  // The list, as JSON lines; and removal reaches every sidecar too.
  const auto listed = revoke(b, {"--list"});
  CHECK(listed.status == 0);
  CHECK(listed.out.find("\"jti\":\"stolen-1\"") != std::string::npos);
  REQUIRE(revoke(c, {"--remove", "--issuer", kIss, "--jti", "stolen-1"}).status == 0);
  CHECK(eventually([&] { return status_for(a.port(), victim) == 200; }, std::chrono::seconds(1)));
  CHECK(eventually([&] { return status_for(b.port(), victim) == 200; }, std::chrono::seconds(1)));
}

TEST_CASE("revocation redis: an IdP hook writing the documented data model (HSET + PUBLISH) is applied",
          "[integration][revocation][redis]") {
  if (!redis_available()) FAIL("redis-server is not installed: run deploy/install-deps.sh");
  RedisServer redis;
  TempDir dir;
  const auto jwks = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  Sidecar s(jwks, redis_yaml(redis, "    key_prefix: \"auth:\"\n"));
  REQUIRE(eventually([&] { return s.ready(); }));
  const auto t = token();  // sub alice
  REQUIRE(status_for(s.port(), t) == 200);
  const auto field = "sub " + kIss + " alice";
  redis.cli({"HSET", "auth:revoked", field, std::to_string(unix_now() + 5)});
  redis.cli({"PUBLISH", "auth:revoked:changes", field});
  CHECK(eventually([&] { return status_for(s.port(), t) == 401; }, std::chrono::seconds(1)));
  // A malformed field is skipped (and said so), the rest still applies.
  redis.cli({"HSET", "auth:revoked", "nonsense", "1"});
  redis.cli({"PUBLISH", "auth:revoked:changes", "x"});
  CHECK(s.proxy.process().wait_for_line("revocation entries in Redis skipped"));
  CHECK(status_for(s.port(), t) == 401);
}

TEST_CASE("revocation redis: Redis killed - the last list applies for max_stale, then on_stale; back - resync",
          "[integration][revocation][redis]") {
  if (!redis_available()) FAIL("redis-server is not installed: run deploy/install-deps.sh");
  RedisServer redis;
  TempDir dir;
  const auto jwks = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  const std::string stale = "  max_stale: 2s\n";
  Sidecar strict(jwks, redis_yaml(redis, "", stale + "  on_stale: reject\n"));
  Sidecar lenient(jwks, redis_yaml(redis, "", stale + "  on_stale: allow\n"));
  REQUIRE(eventually([&] { return strict.ready() && lenient.ready(); }));
  const auto victim = token(R"("jti":"v","scope":"orders:read")");
  const auto other = token(R"("jti":"o","scope":"orders:read")");
  REQUIRE(revoke(strict, {"--issuer", kIss, "--jti", "v"}).status == 0);
  REQUIRE(eventually([&] { return status_for(strict.port(), victim) == 401 && status_for(lenient.port(), victim) == 401; }));

  redis.kill();
  const auto down = Clock::now();
  // Within max_stale: the last list, unchanged.
  CHECK(status_for(strict.port(), victim) == 401);
  CHECK(status_for(strict.port(), other) == 200);
  CHECK(status_for(lenient.port(), other) == 200);
  // After it: reject answers 503 on authenticated routes; allow keeps the last list.
  REQUIRE(eventually([&] { return status_for(strict.port(), other) == 503; }, std::chrono::seconds(6)));
  CHECK(Clock::now() - down >= std::chrono::milliseconds(1500));
  const auto r = http_request(strict.port(), "GET", "/orders/1", {{"Authorization", bearer(other)}});
  REQUIRE(r);
  CHECK(r->body.find("revocation_unavailable") != std::string::npos);
  CHECK(http_request(strict.port(), "GET", "/public/x")->status == 200);
  CHECK(status_for(lenient.port(), other) == 200);
  CHECK(status_for(lenient.port(), victim) == 401);
  CHECK(metric(strict.admin(), "jwt_sidecar_revocation_sync_failures_total{source=\"redis\"}").value_or(0) >= 1);
  const auto readyz = http_request(strict.admin(), "GET", "/readyz");
  REQUIRE(readyz);
  CHECK(readyz->status == 200);  // stale is said, but every replica unready would serve no one
  CHECK(readyz->body.find("\"redis\":\"stale\"") != std::string::npos);
  CHECK(strict.proxy.process().running());

  // Redis back (empty: nothing persisted): both resync without a restart.
  redis.start();
  REQUIRE(revoke(strict, {"--issuer", kIss, "--jti", "o"}).status == 0);
  CHECK(eventually([&] { return status_for(strict.port(), other) == 401; }, std::chrono::seconds(10)));
  CHECK(eventually([&] { return status_for(strict.port(), victim) == 200; }, std::chrono::seconds(10)));
  CHECK(eventually([&] { return status_for(lenient.port(), victim) == 200; }, std::chrono::seconds(10)));
  CHECK(strict.ready());
}

TEST_CASE("revocation redis: ACL user and password; TLS with ca_file; a wrong password is named, never shown",
          "[integration][revocation][redis]") {
  if (!redis_available()) FAIL("redis-server is not installed: run deploy/install-deps.sh");
  TempDir dir;
  const auto jwks = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  const std::string secret = "s3cret-Pw-9f2b7c";
  TestCa ca;
  const auto certs = write_cert_files(dir, ca, ca.issue_localhost_cert());
  RedisServer redis(RedisOptions{"sidecar", secret, certs.cert_file, certs.key_file, ""});
  const auto good_pw = dir.write("pw", secret + "\n");  // the trailing newline is ignored
  const auto bad_pw = dir.write("bad-pw", "Wrong-Pw-0a1b2c\n");
  const auto auth = [&](const std::string& pw) {
    return "    username: sidecar\n    password_file: " + pw + "\n    ca_file: " + certs.ca_file + "\n";
  };
  Sidecar good(jwks, redis_yaml(redis, auth(good_pw)));
  REQUIRE(eventually([&] { return good.ready(); }));
  const auto t = token(R"("jti":"tls-1","scope":"orders:read")");
  CHECK(status_for(good.port(), t) == 200);
  const auto revoked = revoke(good, {"--issuer", kIss, "--jti", "tls-1"});
  INFO(revoked.err);
  REQUIRE(revoked.status == 0);
  CHECK(eventually([&] { return status_for(good.port(), t) == 401; }, std::chrono::seconds(1)));
  CHECK(redis.cli({"HLEN", "jwt-sidecar:revoked"}, certs.ca_file) == std::vector<std::string>{"1"});

  Sidecar wrong(jwks, redis_yaml(redis, auth(bad_pw)));
  const auto line = wrong.proxy.process().wait_for_line("revocation list from Redis unavailable");
  REQUIRE(line);
  CHECK(line->find("authentication") != std::string::npos);
  CHECK(line->find("Wrong-Pw") == std::string::npos);
  CHECK_FALSE(wrong.ready());
  CHECK(status_for(wrong.port(), t) == 503);
  CHECK(wrong.proxy.process().running());
  const auto cli = revoke(wrong, {"--list"});
  CHECK(cli.status == 1);
  CHECK(cli.err.find("authentication") != std::string::npos);
  CHECK(cli.err.find("Wrong-Pw") == std::string::npos);
  wrong.proxy.process().drain_output();
  for (const auto& l : wrong.proxy.process().stdout_lines()) CHECK(l.find("Wrong-Pw") == std::string::npos);
  CHECK(wrong.proxy.process().stderr_text().find("Wrong-Pw") == std::string::npos);
  // Without ca_file the server's certificate is not trusted: a TLS error, not a silent pass.
  Sidecar untrusted(jwks, redis_yaml(redis, "    username: sidecar\n    password_file: " + good_pw + "\n"));
  const auto tls_line = untrusted.proxy.process().wait_for_line("revocation list from Redis unavailable");
  REQUIRE(tls_line);
  CHECK(tls_line->find("TLS") != std::string::npos);
}

TEST_CASE("revocation redis: a server password without a user (requirepass)", "[integration][revocation][redis]") {
  if (!redis_available()) FAIL("redis-server is not installed: run deploy/install-deps.sh");
  TempDir dir;
  const auto jwks = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  RedisServer redis(RedisOptions{"", "only-a-password-77", "", "", ""});
  const auto pw = dir.write("pw", "only-a-password-77");
  Sidecar s(jwks, redis_yaml(redis, "    password_file: " + pw + "\n"));
  REQUIRE(eventually([&] { return s.ready(); }));
  const auto t = token(R"("jti":"pw-1","scope":"orders:read")");
  REQUIRE(revoke(s, {"--issuer", kIss, "--jti", "pw-1"}).status == 0);
  CHECK(eventually([&] { return status_for(s.port(), t) == 401; }, std::chrono::seconds(1)));
  // Without the password the server refuses every command: not ready, and said so.
  Sidecar none(jwks, redis_yaml(redis));
  const auto line = none.proxy.process().wait_for_line("revocation list from Redis unavailable");
  REQUIRE(line);
  CHECK(line->find("NOAUTH") != std::string::npos);
  CHECK_FALSE(none.ready());
}
