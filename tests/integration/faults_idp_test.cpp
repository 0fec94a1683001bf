// Faults around the proxy, identity provider side: a JWKS server that is down, slow, endless
// or closes. Keys already held are kept and requests never wait on the IdP.
// jwks_fetch_test.cpp covers 500, garbage and a first fetch that fails.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "tests/integration/faults_support.h"
#include "tests/integration/fixture.h"
#include "tests/support/jwks_server.h"

using namespace jwt_sidecar::testing;
using namespace jwt_sidecar::testing::faults;
using jwt_sidecar::policies::Algorithm;

// ---------------------------------------------------------------------------------------------
// Identity provider faults
// ---------------------------------------------------------------------------------------------

namespace {

// A proxy whose one provider fetches its keys from a plain-HTTP JWKS server.
struct IdpFixture {
  IdpFixture() {
    server.set_jwks(jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  }
  void start(const std::string& provider_extra) {
    proxy = std::make_unique<ProxyProcess>(
        "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nthreads: 1\n"
        "upstream: http://127.0.0.1:" + std::to_string(upstream.port()) + "\n"
        "providers:\n  corp:\n    issuer: " + std::string(kIssuer) + "\n    audiences: [orders-api]\n"
        "    jwks_uri: " + server.jwks_url() + "\n" + provider_extra +
        "routes:\n  - name: orders\n    match: {prefix: /orders}\n");
  }
  // Status and how long the request took.
  std::pair<int, Clock::duration> get(const std::string& token_value) {
    const auto start = Clock::now();
    const auto r = http_request(proxy->port(), "GET", "/orders/1", {{"Authorization", bearer(token_value)}});
    return {r ? r->status : -1, Clock::now() - start};
  }
  int ready() { return http_request(proxy->admin_port(), "GET", "/readyz")->status; }
  double fetches(const std::string& result) {
    return metric_or_zero(proxy->admin_port(),
                          "jwt_sidecar_jwks_fetches_total{provider=\"corp\",result=\"" + result + "\"}");
  }
  // Fetches so far with any of these results; take it before changing the server.
  struct Mark {
    std::vector<std::string> results;
    double count;
  };
  Mark mark(std::initializer_list<const char*> results) {
    Mark m{{results.begin(), results.end()}, 0};
    m.count = sum(m.results);
    return m;
  }
  // Waits for one more fetch with one of the marked results.
  bool one_more(const Mark& m, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    return eventually([&] { return sum(m.results) > m.count; }, timeout);
  }
  double sum(const std::vector<std::string>& results) {
    double n = 0;
    for (const auto& r : results) n += fetches(r);
    return n;
  }

  JwksServer server;
  UpstreamServer upstream;
  std::unique_ptr<ProxyProcess> proxy;
};

}  // namespace

TEST_CASE("faults: the IdP endless, silent, closing or down: keys kept, requests never wait",
          "[integration][faults][jwks]") {
  IdpFixture idp;
  idp.start("    refresh_interval: 1s\n    min_refresh_interval: 1s\n    max_stale: 1h\n");
  REQUIRE(idp.proxy->process().wait_for_line("\"kids\":\"k1\""));
  const auto good = token_for(TestKey::shared_ec("P-256"), "k1");
  REQUIRE(idp.get(good).first == 200);
  using Mode = JwksServer::Mode;
  auto still_serving = [&] {
    const auto [status, took] = idp.get(good);
    CHECK(status == 200);
    CHECK(took < std::chrono::milliseconds(500));  // never waits on the key fetch
    CHECK(idp.ready() == 200);
  };

  SECTION("an endless body is cut at 1 MiB") {
    const auto cut = idp.mark({"too_large"});
    idp.server.set_mode(Mode::endless);
    CHECK(idp.one_more(cut));
    still_serving();
  }
  SECTION("a server that reads the request and never answers") {
    idp.server.set_mode(Mode::slow);
    const auto before = idp.server.fetch_count();
    REQUIRE(idp.server.wait_for_fetches(before + 1, std::chrono::seconds(5)));
    still_serving();  // while that fetch hangs
    // A token with an unknown kid waits for the hanging fetch at most its timeout (15 s):
    // not checked here for time; the restart ends the hanging fetch at once.
    const auto failed = idp.mark({"http_error", "connect_error"});
    const auto ok = idp.mark({"ok"});
    idp.server.set_mode(Mode::normal);  // for the fetches after this one
    idp.server.restart();
    CHECK(idp.one_more(failed, std::chrono::seconds(2)));  // at once, not at the 10 s timeout
    CHECK(idp.one_more(ok));
    still_serving();
  }
  SECTION("a server that accepts and closes") {
    const auto failed = idp.mark({"http_error", "connect_error"});
    idp.server.set_mode(Mode::close);
    CHECK(idp.one_more(failed));
    still_serving();
  }
  SECTION("the server down, then back") {
    const auto refused = idp.mark({"connect_error"});
    idp.server.stop();
    CHECK(idp.one_more(refused));
    still_serving();
    const auto ok = idp.mark({"ok"});
    idp.server.restart();
    CHECK(idp.one_more(ok));
    still_serving();
  }
  CHECK(idp.upstream.request_count() >= 2);
}

TEST_CASE("faults: a slow IdP within the timeouts: 503 until the first keys, then a rotation waits and passes",
          "[integration][faults][jwks]") {
  IdpFixture idp;
  constexpr auto kDelay = std::chrono::milliseconds(2000);
  idp.server.set_delay(kDelay);
  // One scheduled fetch at startup, none after, so only the unknown kid causes the next.
  idp.start("    refresh_interval: 1h\n    min_refresh_interval: 1s\n");
  REQUIRE(idp.server.wait_for_fetches(1));
  const auto good = token_for(TestKey::shared_ec("P-256"), "k1");
  // The answer is being held back: no keys yet.
  const auto r = http_request(idp.proxy->port(), "GET", "/orders/1", {{"Authorization", bearer(good)}});
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->header("Retry-After") == "5");
  CHECK(r->body.find("keys_unavailable") != std::string::npos);
  CHECK(idp.ready() == 503);
  REQUIRE(idp.proxy->process().wait_for_line("\"kids\":\"k1\""));
  CHECK(idp.get(good).first == 200);
  CHECK(idp.ready() == 200);
  CHECK(idp.upstream.request_count() == 1);

  // The IdP rotates a key in; the first token with it waits for the (slow) refetch.
  idp.server.set_jwks(jwks_of({TestKey::shared_ec("P-256").jwk("k1"), second_key().jwk("k2")}));
  const auto fetches = idp.server.fetch_count();
  const auto [status, took] = idp.get(token_for(second_key(), "k2"));
  CHECK(status == 200);
  CHECK(took >= kDelay - std::chrono::milliseconds(100));
  CHECK(idp.server.fetch_count() == fetches + 1);
  CHECK(idp.fetches("ok") == 2);
  CHECK(idp.upstream.request_count() == 2);
}
