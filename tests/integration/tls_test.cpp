// TLS on both sides, against the real binary: the listener with a test CA's certificate (and
// its rotation on disk), https:// upstreams with CA verification, SNI, a host name check and
// a client certificate. The clients are real ones: curl for the listener, and for mTLS the
// upstream is `openssl s_server` demanding a client certificate.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

#include "tests/integration/fixture.h"
#include "tests/support/jwks_server.h"
#include "tests/support/tls_certs.h"

namespace jwt_sidecar::testing {
namespace {

struct CurlResult {
  int exit_code = -1;
  std::string output;  // what -w printed: the status code, or "000" when none
};

// curl over TLS to the proxy's listener, trusting `ca_file`; `extra` adds options.
CurlResult curl_https(std::uint16_t port, const std::string& ca_file, const std::string& path,
                      std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"-sS", "-o", "/dev/null", "-w", "%{http_code}\n", "--max-time", "10",
                                   "--cacert", ca_file, "--resolve", "localhost:" + std::to_string(port) + ":127.0.0.1"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("https://localhost:" + std::to_string(port) + path);
  Process curl("/usr/bin/curl", args);
  CurlResult r;
  r.exit_code = curl.wait(std::chrono::seconds(20));
  curl.drain_output();
  for (const auto& line : curl.stdout_lines()) r.output += line;
  return r;
}

std::string tls_top(const CertFiles& files, const std::string& extra = "") {
  return "tls: {cert_file: " + files.cert_file + ", key_file: " + files.key_file + extra + "}\n";
}

// Replaces a file's contents in one step (write aside, rename), as a Secret update does.
void replace_file(const std::string& path, const std::string& content) {
  const auto tmp = path + ".new";
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    REQUIRE(f);
    REQUIRE(std::fwrite(content.data(), 1, content.size(), f) == content.size());
    std::fclose(f);
  }
  REQUIRE(std::rename(tmp.c_str(), path.c_str()) == 0);
}

}  // namespace

TEST_CASE("TLS listener: HTTPS in, X-Forwarded-Proto https, plain HTTP refused", "[integration][tls]") {
  TestCa ca("listener CA");
  TempDir certs;
  const auto files = write_cert_files(certs, ca, ca.issue_localhost_cert());
  ProxyFixture f(tls_top(files));

  const auto ok = curl_https(f.port(), files.ca_file, "/public/hello");
  CHECK(ok.exit_code == 0);
  CHECK(ok.output == "200");
  REQUIRE(f.upstream.request_count() == 1);
  CHECK(f.upstream.requests()[0].header("X-Forwarded-Proto") == "https");

  // Token checks work the same over TLS: no token, 401, and nothing forwarded.
  CHECK(curl_https(f.port(), files.ca_file, "/orders/1").output == "401");
  CHECK(f.upstream.request_count() == 1);

  // Plain HTTP on the TLS port gets no HTTP answer and reaches nothing.
  const auto plain = http_request(f.port(), "GET", "/public/plain");
  CHECK_FALSE((plain && plain->status == 200));
  CHECK(f.upstream.request_count() == 1);

  // A client that does not trust the CA fails its handshake.
  TestCa stranger("stranger CA");
  TempDir other;
  const auto stranger_files = write_cert_files(other, stranger, stranger.issue_localhost_cert());
  CHECK(curl_https(f.port(), stranger_files.ca_file, "/public/x").exit_code != 0);

  const auto metrics = http_request(f.proxy.admin_port(), "GET", "/metrics");
  REQUIRE(metrics);
  // Two failed handshakes: the plain HTTP request and the distrustful client.
  CHECK(metrics->body.find("jwt_sidecar_tls_handshake_failures_total 2") != std::string::npos);
}

TEST_CASE("TLS listener: min_version 1.3 refuses a TLS 1.2 client", "[integration][tls]") {
  TestCa ca;
  TempDir certs;
  const auto files = write_cert_files(certs, ca, ca.issue_localhost_cert());
  ProxyFixture f(tls_top(files, ", min_version: \"1.3\""));
  CHECK(curl_https(f.port(), files.ca_file, "/public/a", {"--tlsv1.3"}).output == "200");
  CHECK(curl_https(f.port(), files.ca_file, "/public/b", {"--tlsv1.2", "--tls-max", "1.2"}).exit_code != 0);
  CHECK(f.upstream.request_count() == 1);
}

TEST_CASE("TLS listener: a rotated certificate is picked up from disk", "[integration][tls][reload]") {
  TestCa first("first CA"), second("second CA");
  TempDir certs, next;
  const auto files = write_cert_files(certs, first, first.issue_localhost_cert());
  const auto next_files = write_cert_files(next, second, second.issue_localhost_cert());
  ProxyFixture f(tls_top(files));
  CHECK(curl_https(f.port(), files.ca_file, "/public/1").output == "200");
  CHECK(curl_https(f.port(), next_files.ca_file, "/public/2").exit_code != 0);

  // A broken key is refused and the old certificate stays.
  replace_file(files.key_file, "not a key\n");
  REQUIRE(f.proxy.process().wait_for_line("TLS certificate reload failed"));
  CHECK(curl_https(f.port(), files.ca_file, "/public/3").output == "200");

  const auto server = second.issue_localhost_cert();
  replace_file(files.cert_file, server.chain_pem);
  replace_file(files.key_file, server.key_pem);
  REQUIRE(f.proxy.process().wait_for_line("TLS certificate reloaded"));
  CHECK(curl_https(f.port(), next_files.ca_file, "/public/4").output == "200");
  CHECK(curl_https(f.port(), files.ca_file, "/public/5").exit_code != 0);
}

TEST_CASE("check-config: TLS files that are missing warn, unusable ones fail", "[integration][tls][cli]") {
  TempDir dir;
  const auto config = [&](const std::string& cert, const std::string& key) {
    return dir.write("c.yaml", "listen: 127.0.0.1:0\nupstream: http://127.0.0.1:9\n"
                               "tls: {cert_file: " + cert + ", key_file: " + key + "}\n"
                               "routes:\n  - name: all\n    match: {prefix: /}\n    auth: none\n");
  };
  {
    Process p(binary_path(), {"check-config", config(dir.path() + "/nope.pem", dir.path() + "/nope.key")});
    CHECK(p.wait(std::chrono::seconds(20)) == 0);
    CHECK(p.stderr_text().find("does not exist here") != std::string::npos);
  }
  {
    const auto bad = dir.write("bad.pem", "garbage\n");
    Process p(binary_path(), {"check-config", config(bad, bad)});
    CHECK(p.wait(std::chrono::seconds(20)) == 1);
    const auto err = p.stderr_text();
    CHECK(err.find("c.yaml:3:") != std::string::npos);
    CHECK(err.find("cannot load cert_file") != std::string::npos);
  }
}

namespace {

std::string https_upstream_config(const std::string& upstream, const std::string& jwks_path) {
  return "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nthreads: 1\n"
         "upstream: " + upstream + "\n"
         "providers:\n  corp:\n    issuer: " + std::string(kIssuer) + "\n    audiences: [orders-api]\n"
         "    jwks_file: " + jwks_path + "\n"
         "routes:\n  - name: keys\n    match: {path: /jwks.json}\n    auth: none\n"
         "  - name: orders\n    match: {prefix: /orders}\n";
}

}  // namespace

TEST_CASE("https upstream: CA verified, SNI sent, host name checked", "[integration][tls]") {
  TestCa ca("upstream CA");
  TempDir dir;
  const auto files = write_cert_files(dir, ca, ca.issue_localhost_cert());
  JwksServer upstream(ca.issue_localhost_cert());
  upstream.set_jwks(R"({"keys":[]})");
  const auto jwks = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  const auto url = "https://localhost:" + std::to_string(upstream.port());

  SECTION("trusted through ca_file") {
    ProxyProcess proxy(https_upstream_config("{url: " + url + ", ca_file: " + files.ca_file + "}", jwks));
    const auto r = http_request(proxy.port(), "GET", "/jwks.json");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == R"({"keys":[]})");
    // Authenticated requests travel the same way.
    const auto authed = http_request(proxy.port(), "GET", "/orders/7", {{"Authorization", bearer(token())}});
    REQUIRE(authed);
    CHECK(authed->status == 404);  // the JWKS server's answer for an unknown path: forwarded
    REQUIRE(upstream.requests().size() == 2);
    CHECK(upstream.requests()[0].sni == "localhost");
    CHECK(upstream.requests()[1].target == "/orders/7");
  }
  SECTION("not trusted without the CA: 502, nothing sent") {
    ProxyProcess proxy(https_upstream_config(url, jwks));
    const auto r = http_request(proxy.port(), "GET", "/jwks.json");
    REQUIRE(r);
    CHECK(r->status == 502);
    CHECK(r->body.find("upstream_tls_failed") != std::string::npos);
    CHECK(upstream.requests().empty());
  }
  SECTION("a certificate for another name: 502") {
    ProxyProcess proxy(https_upstream_config(
        "{url: " + url + ", ca_file: " + files.ca_file + ", server_name: orders.internal}", jwks));
    const auto r = http_request(proxy.port(), "GET", "/jwks.json");
    REQUIRE(r);
    CHECK(r->status == 502);
    CHECK(upstream.requests().empty());
  }
}

TEST_CASE("https upstream with a client certificate (mTLS) against openssl s_server", "[integration][tls]") {
  if (!std::filesystem::exists("/usr/bin/openssl")) {
    WARN("openssl command not installed: mTLS test skipped");
    return;
  }
  TestCa ca("mTLS CA");
  TempDir server_dir, client_dir;
  const auto server = write_cert_files(server_dir, ca, ca.issue_localhost_cert());
  const auto client = write_cert_files(client_dir, ca, ca.issue_server_cert({"jwt-sidecar.client"}));
  const auto port = free_port();
  // -Verify 1: a client certificate is required and checked against -CAfile. -www answers
  // every GET with a status page.
  Process s_server("/usr/bin/openssl",
                   {"s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert", server.cert_file, "-key",
                    server.key_file, "-CAfile", server.ca_file, "-Verify", "1", "-www", "-naccept", "50"});
  REQUIRE(s_server.wait_for_line("ACCEPT"));
  const auto jwks = client_dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  const auto url = "https://localhost:" + std::to_string(port);

  {
    ProxyProcess with_cert(https_upstream_config("{url: " + url + ", ca_file: " + server.ca_file +
                                                     ", cert_file: " + client.cert_file +
                                                     ", key_file: " + client.key_file + "}",
                                                 jwks));
    const auto r = http_request(with_cert.port(), "GET", "/jwks.json");
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  {
    ProxyProcess without_cert(https_upstream_config("{url: " + url + ", ca_file: " + server.ca_file + "}", jwks));
    const auto r = http_request(without_cert.port(), "GET", "/jwks.json");
    REQUIRE(r);
    CHECK(r->status == 502);
  }
  s_server.stop(SIGTERM, std::chrono::seconds(5));
}

TEST_CASE("upstream map form: errors point at the key", "[integration][tls][cli]") {
  TempDir dir;
  const auto check = [&](const std::string& upstream) {
    const auto path = dir.write("u.yaml", "listen: 127.0.0.1:0\nupstream: " + upstream +
                                               "\nroutes:\n  - name: all\n    match: {prefix: /}\n    auth: none\n");
    Process p(binary_path(), {"check-config", path});
    const int code = p.wait(std::chrono::seconds(20));
    return std::pair{code, p.stderr_text()};
  };
  const auto [c1, e1] = check("{url: http://a:1, ca_file: /x}");
  CHECK(c1 == 1);
  CHECK(e1.find("need an https:// upstream url") != std::string::npos);
  const auto [c2, e2] = check("{url: https://a:1, cert_file: /x}");
  CHECK(c2 == 1);
  CHECK(e2.find("cert_file and key_file go together") != std::string::npos);
  const auto [c3, e3] = check("{ca_file: /x}");
  CHECK(c3 == 1);
  CHECK(e3.find("u.yaml:2:") != std::string::npos);
  CHECK(e3.find("missing required key 'url'") != std::string::npos);
  const auto bad = dir.write("bad-ca.pem", "nope\n");
  const auto [c4, e4] = check("{url: https://a:1, ca_file: " + bad + "}");
  CHECK(c4 == 1);
  CHECK(e4.find("cannot load ca_file") != std::string::npos);
}

}  // namespace jwt_sidecar::testing

namespace jwt_sidecar::testing {

TEST_CASE("TLS listener: the auth service speaks TLS too when `tls` is set", "[integration][tls][auth_service]") {
  TestCa ca("listener CA");
  TempDir certs;
  const auto files = write_cert_files(certs, ca, ca.issue_localhost_cert());
  ProxyFixture f(tls_top(files) + "auth_service: {listen: 127.0.0.1:0}\n");
  const auto auth = f.proxy.auth_port();
  REQUIRE(auth != 0);
  const std::vector<std::string> check{"-H", "X-Forwarded-Method: GET", "-H", "X-Forwarded-Uri: /orders/1"};
  auto with_token = check;
  with_token.insert(with_token.end(), {"-H", "Authorization: Bearer " + token()});
  CHECK(curl_https(auth, files.ca_file, "/auth", with_token).output == "200");
  CHECK(curl_https(auth, files.ca_file, "/auth", check).output == "401");
  // Plain HTTP on the auth port gets no answer.
  const auto plain = [&] {
    try {
      return http_request(auth, "GET", "/auth", {{"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", "/public/x"}});
    } catch (const std::exception&) {
      return std::optional<Response>();
    }
  }();
  CHECK_FALSE((plain && plain->status == 200));
  CHECK(f.upstream.request_count() == 0);
}

}  // namespace jwt_sidecar::testing
