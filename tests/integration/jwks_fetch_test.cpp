// Live keys: JWKS over HTTPS with a CA made at test time, discovery, refresh, rotation,
// outages and unknown-kid storms, against the real binary.
#include <catch2/catch.hpp>

#include <random>

#include "tests/integration/fixture.h"
#include "tests/support/jwks_server.h"
#include "tests/support/tls_certs.h"

using namespace jwt_sidecar::testing;
using jwt_sidecar::policies::Algorithm;

namespace {

// An HTTPS JWKS server trusted through a CA file, an upstream, and the proxy.
struct LiveKeys {
  explicit LiveKeys(const std::string& provider_extra = "", bool start_server = true,
                    const std::vector<std::string>& cert_names = {"localhost"})
      : cert(ca.issue_server_cert(cert_names, {"127.0.0.1"})),
        files(write_cert_files(dir, ca, cert)),
        server(cert) {
    server.set_jwks(jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
    if (!start_server) server.stop();
    proxy = std::make_unique<ProxyProcess>(
        "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nthreads: 2\nlog_level: debug\n"
        "upstream: http://127.0.0.1:" + std::to_string(upstream.port()) + "\n"
        "providers:\n  corp:\n    issuer: " + std::string(kIssuer) + "\n    audiences: [orders-api]\n"
        "    jwks_uri: https://localhost:" + std::to_string(server.port()) + "/jwks.json\n"
        "    ca_file: " + files.ca_file + "\n" + provider_extra +
        "routes:\n  - name: orders\n    match: {prefix: /orders}\n");
  }

  int get(const std::string& token) {
    const auto r = http_request(proxy->port(), "GET", "/orders/1", {{"Authorization", bearer(token)}});
    return r ? r->status : -1;
  }
  bool keys_loaded(const std::string& kids) {
    return proxy->process().wait_for_line("\"kids\":\"" + kids + "\"").has_value();
  }
  std::string metrics() { return http_request(proxy->admin_port(), "GET", "/metrics")->body; }

  TempDir dir;
  TestCa ca;
  ServerCert cert;
  CertFiles files;
  JwksServer server;
  UpstreamServer upstream;
  std::unique_ptr<ProxyProcess> proxy;
};

}  // namespace

TEST_CASE("keys are fetched over HTTPS with the configured CA, SNI and host check", "[integration][jwks]") {
  LiveKeys env;
  REQUIRE(env.keys_loaded("k1"));
  CHECK(env.get(token_for(TestKey::shared_ec("P-256"), "k1")) == 200);
  CHECK(http_request(env.proxy->admin_port(), "GET", "/readyz")->status == 200);
  const auto seen = env.server.requests();
  REQUIRE_FALSE(seen.empty());
  CHECK(seen[0].sni == "localhost");
  CHECK(seen[0].target == "/jwks.json");
  const auto m = env.metrics();
  CHECK(m.find(R"(jwt_sidecar_jwks_fetches_total{provider="corp",result="ok"})") != std::string::npos);
  CHECK(m.find(R"(jwt_sidecar_jwks_keys{provider="corp"} 1)") != std::string::npos);
  CHECK(m.find(R"(jwt_sidecar_jwks_seconds_since_success{provider="corp"})") != std::string::npos);
}

TEST_CASE("a certificate for another host is refused", "[integration][jwks]") {
  LiveKeys env("", true, {"wronghost.test"});
  REQUIRE(env.server.wait_for_connections(1));
  CHECK(env.get(token_for(TestKey::shared_ec("P-256"), "k1")) == 503);
  CHECK(env.proxy->process().wait_for_line("TLS handshake").has_value());
  CHECK(http_request(env.proxy->admin_port(), "GET", "/readyz")->status == 503);
  CHECK(env.server.fetch_count() == 0);
}

TEST_CASE("the set refreshes on max-age, clamped to the configured bounds", "[integration][jwks]") {
  LiveKeys env("    refresh_interval: 2s\n    min_refresh_interval: 1s\n");
  REQUIRE(env.keys_loaded("k1"));
  // max-age 3600 is clamped down to refresh_interval (2 s): a second fetch comes within ~2.4 s.
  env.server.set_jwks(jwks_of({TestKey::shared_ec("P-256").jwk("k1")}), 3600);
  CHECK(env.server.wait_for_fetches(3, std::chrono::seconds(10)));
}

TEST_CASE("rotation: a new kid works on first use, a removed kid stops after a refresh", "[integration][jwks]") {
  LiveKeys env("    refresh_interval: 1s\n    min_refresh_interval: 1s\n");
  REQUIRE(env.keys_loaded("k1"));
  env.server.set_jwks(jwks_of({TestKey::shared_ec("P-256").jwk("k1"), second_key().jwk("k2")}));
  CHECK(env.get(token_for(second_key(), "k2")) == 200);  // unknown kid -> immediate refetch
  env.server.set_jwks(jwks_of({second_key().jwk("k2")}));
  REQUIRE(env.keys_loaded("k2"));
  const auto r = http_request(env.proxy->port(), "GET", "/orders/1",
                              {{"Authorization", bearer(token_for(TestKey::shared_ec("P-256"), "k1"))}});
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->body.find("key_not_found") != std::string::npos);
  CHECK(env.get(token_for(second_key(), "k2")) == 200);
}

TEST_CASE("outages: the last good set keeps working and readiness holds", "[integration][jwks]") {
  LiveKeys env("    refresh_interval: 1s\n    min_refresh_interval: 1s\n");
  REQUIRE(env.keys_loaded("k1"));
  const auto good = token_for(TestKey::shared_ec("P-256"), "k1");
  using Mode = JwksServer::Mode;
  for (const auto mode : {Mode::status_500, Mode::garbage, Mode::endless}) {
    env.server.set_mode(mode);
    const auto before = env.server.fetch_count();
    REQUIRE(env.server.wait_for_fetches(before + 1, std::chrono::seconds(15)));
    CHECK(env.get(good) == 200);
    CHECK(http_request(env.proxy->admin_port(), "GET", "/readyz")->status == 200);
  }
  env.server.set_jwks("{\"keys\":[]}");
  env.server.set_mode(Mode::normal);
  const auto before = env.server.fetch_count();
  REQUIRE(env.server.wait_for_fetches(before + 1, std::chrono::seconds(15)));
  CHECK(env.get(good) == 200);  // an empty answer never replaces a good set
  env.server.stop();
  CHECK(env.get(good) == 200);
  const auto m = env.metrics();
  CHECK(m.find(R"(result="http_error")") != std::string::npos);
  CHECK(m.find(R"(result="bad_document")") != std::string::npos);
}

TEST_CASE("startup without the JWKS server: 503 with Retry-After, then 200", "[integration][jwks]") {
  LiveKeys env("    refresh_interval: 1s\n    min_refresh_interval: 1s\n", /*start_server=*/false);
  CHECK(env.proxy->process().wait_for_line("JWKS fetch failed").has_value());
  const auto r = http_request(env.proxy->port(), "GET", "/orders/1",
                              {{"Authorization", bearer(token_for(TestKey::shared_ec("P-256"), "k1"))}});
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK_FALSE(r->header("Retry-After").empty());
  CHECK(http_request(env.proxy->admin_port(), "GET", "/readyz")->status == 503);
  env.server.restart();
  REQUIRE(env.keys_loaded("k1"));
  CHECK(env.get(token_for(TestKey::shared_ec("P-256"), "k1")) == 200);
  CHECK(http_request(env.proxy->admin_port(), "GET", "/readyz")->status == 200);
}

TEST_CASE("a storm of random kids causes only a handful of fetches", "[integration][jwks]") {
  LiveKeys env("    min_refresh_interval: 30s\n");
  REQUIRE(env.keys_loaded("k1"));
  const auto before = env.server.fetch_count();
  std::mt19937 rng(42);
  constexpr int kConnections = 10, kPerConnection = 1000;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int c = 0; c < kConnections; ++c) clients.push_back(std::make_unique<RawClient>(env.proxy->port()));
  int unauthorized = 0;
  for (int batch = 0; batch < kPerConnection / 50; ++batch) {
    for (auto& c : clients) {
      std::string pipeline;
      for (int i = 0; i < 50; ++i) {
        pipeline += "GET /orders/1 HTTP/1.1\r\nHost: x\r\nAuthorization: " +
                    bearer(token_for(TestKey::shared_ec("P-256"), "kid-" + std::to_string(rng()))) + "\r\n\r\n";
      }
      c->send(pipeline);
    }
    for (auto& c : clients) {
      for (int i = 0; i < 50; ++i) {
        const auto r = c->read_response();
        REQUIRE(r);
        unauthorized += r->status == 401;
      }
    }
  }
  CHECK(unauthorized == kConnections * kPerConnection);
  const auto fetches = env.server.fetch_count() - before;
  INFO("fetches during the storm: " << fetches);
  CHECK(fetches <= 3);
}

TEST_CASE("discovery: the issuer must match exactly", "[integration][jwks]") {
  TempDir dir;
  TestCa ca;
  const auto cert = ca.issue_localhost_cert();
  const auto files = write_cert_files(dir, ca, cert);
  JwksServer server(cert);
  UpstreamServer upstream;
  const auto issuer = server.base_url();
  server.set_jwks(jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  auto config = [&](const std::string& iss) {
    return "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nupstream: http://127.0.0.1:" + std::to_string(upstream.port()) +
           "\nproviders:\n  idp:\n    issuer: " + iss + "\n    discovery: true\n    ca_file: " + files.ca_file +
           "\n    min_refresh_interval: 1s\n    refresh_interval: 1s\n"
           "routes:\n  - name: all\n    match: {prefix: /}\n";
  };
  SECTION("a matching document leads to the keys") {
    server.set_discovery(R"({"issuer":")" + issuer + R"(","jwks_uri":")" + server.jwks_url() + "\"}");
    ProxyProcess proxy(config(issuer));
    REQUIRE(proxy.process().wait_for_line("\"kids\":\"k1\""));
    const auto t = token_for(TestKey::shared_ec("P-256"), "k1", issuer);
    CHECK(http_request(proxy.port(), "GET", "/x", {{"Authorization", bearer(t)}})->status == 200);
  }
  SECTION("a document naming another issuer is refused") {
    server.set_discovery(R"({"issuer":"https://evil.example","jwks_uri":")" + server.jwks_url() + "\"}");
    ProxyProcess proxy(config(issuer));
    REQUIRE(proxy.process().wait_for_line("discovery document names issuer"));
    const auto t = token_for(TestKey::shared_ec("P-256"), "k1", issuer);
    CHECK(http_request(proxy.port(), "GET", "/x", {{"Authorization", bearer(t)}})->status == 503);
    CHECK(server.fetch_count() == 0);
    const auto m = http_request(proxy.admin_port(), "GET", "/metrics")->body;
    CHECK(m.find(R"(result="issuer_mismatch")") != std::string::npos);
  }
}

TEST_CASE("jwks_file is re-read when it changes", "[integration][jwks]") {
  ProxyFixture f;
  const auto t2 = token_for(second_key(), "k2");
  CHECK(http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(t2)}})->status == 401);
  f.dir.write("jwks.json.tmp", jwks_of({TestKey::shared_ec("P-256").jwk("k1"), second_key().jwk("k2")}));
  REQUIRE(std::rename((f.dir.path() + "/jwks.json.tmp").c_str(), f.jwks_path.c_str()) == 0);
  REQUIRE(f.proxy.process().wait_for_line("\"kids\":\"k1,k2\""));
  CHECK(http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(t2)}})->status == 200);
}

TEST_CASE("past max_stale without a successful fetch, the keys expire", "[integration][jwks]") {
  LiveKeys env("    refresh_interval: 1s\n    min_refresh_interval: 1s\n    max_stale: 2s\n");
  REQUIRE(env.keys_loaded("k1"));
  const auto good = token_for(TestKey::shared_ec("P-256"), "k1");
  CHECK(env.get(good) == 200);
  env.server.set_mode(JwksServer::Mode::status_500);
  REQUIRE(env.proxy->process().wait_for_line("keys expired", std::chrono::seconds(20)));
  CHECK(env.get(good) == 503);
  CHECK(http_request(env.proxy->admin_port(), "GET", "/readyz")->status == 503);
  env.server.set_mode(JwksServer::Mode::normal);
  REQUIRE(env.keys_loaded("k1"));
  CHECK(env.get(good) == 200);
}

TEST_CASE("redirects: same origin followed, another origin refused", "[integration][jwks]") {
  TempDir dir;
  TestCa ca;
  const auto cert = ca.issue_localhost_cert();
  const auto files = write_cert_files(dir, ca, cert);
  JwksServer server(cert), other(cert);
  UpstreamServer upstream;
  server.set_jwks(jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  other.set_jwks(jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  server.set_redirect("/moved", "/jwks.json");
  server.set_redirect("/elsewhere", other.jwks_url());
  auto start = [&](const std::string& path) {
    return std::make_unique<ProxyProcess>(
        "listen: 127.0.0.1:0\nupstream: http://127.0.0.1:" + std::to_string(upstream.port()) +
        "\nproviders:\n  corp:\n    issuer: " + std::string(kIssuer) + "\n    jwks_uri: " + server.base_url() + path +
        "\n    ca_file: " + files.ca_file + "\nroutes:\n  - name: all\n    match: {prefix: /}\n");
  };
  auto followed = start("/moved");
  CHECK(followed->process().wait_for_line("\"kids\":\"k1\"").has_value());
  auto refused = start("/elsewhere");
  CHECK(refused->process().wait_for_line("redirect to another origin refused").has_value());
  CHECK(other.fetch_count() == 0);
}
