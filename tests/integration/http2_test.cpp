// HTTP/2 in front of HTTP/1.1 upstreams with real clients: curl (prior-knowledge h2c, and h2
// over TLS by ALPN) and nghttp (multiplexed streams). The same decisions, answers and claim
// headers as HTTP/1.1; the protocol in the metrics and the access log.
#include <catch2/catch.hpp>

#include "tests/integration/fixture.h"
#include "tests/integration/http2_support.h"
#include "tests/support/tls_certs.h"

using namespace jwt_sidecar::testing;

TEST_CASE("h2c: prior-knowledge curl gets the same decisions as HTTP/1.1", "[integration][http2]") {
  ProxyFixture f;
  const auto t = token();

  const auto ok = curl_h2(f.port(), "/orders/1", {"-H", "Authorization: " + bearer(t)});
  CHECK(ok.version == "2");
  CHECK(ok.status == 200);
  REQUIRE(f.upstream.request_count() == 1);
  const auto seen = f.upstream.requests()[0];
  CHECK(seen.target == "/orders/1");
  CHECK(seen.header("x-user-id") == "alice");
  CHECK(seen.header("Host") == "127.0.0.1:" + std::to_string(f.port()));
  CHECK(seen.header("X-Forwarded-Proto") == "http");
  CHECK(seen.header("X-Forwarded-For") == "127.0.0.1");

  // No token: 401 with the challenge and the JSON body, and nothing forwarded.
  const auto none = curl_h2(f.port(), "/orders/2", {"-D", "-"});
  CHECK(none.status == 401);
  CHECK(none.version == "2");
  CHECK(none.output.find("www-authenticate: Bearer realm=\"jwt-sidecar\"") != std::string::npos);
  CHECK(none.output.find("\"error_description\":\"token_missing\"") != std::string::npos);
  // A token without the route's scope: 403.
  CHECK(curl_h2(f.port(), "/orders/3", {"-H", "Authorization: " + bearer(token(R"("scope":"other")"))}).status == 403);
  // Public and denied routes, and no route at all.
  CHECK(curl_h2(f.port(), "/public/x").status == 200);
  CHECK(curl_h2(f.port(), "/admin/x").status == 403);
  CHECK(curl_h2(f.port(), "/nowhere").status == 404);
  // Path tricks are normalised (or refused) exactly as on HTTP/1.1.
  CHECK(curl_h2(f.port(), "/public/../orders/1", {"--path-as-is"}).status == 401);
  CHECK(curl_h2(f.port(), "/public/%2e%2e/orders/1", {"--path-as-is"}).status != 200);
  CHECK(f.upstream.request_count() == 2);  // /orders/1, /public/x and nothing else
}

TEST_CASE("h2c: a Host header that disagrees with :authority is refused", "[integration][http2]") {
  ProxyFixture f;
  const auto r = curl_h2(f.port(), "/public/x", {"-H", "Host: other.example", "-D", "-"});
  // curl sends :authority from -H Host; nghttp sends both: use nghttp for the mismatch.
  const auto n = run_tool("/usr/bin/nghttp", {"-v", "-H", "host: evil.example", h2c_url(f.port(), "/public/x")});
  CHECK(n.output.find(":status: 400") != std::string::npos);
  CHECK(n.output.find("authority_host_mismatch") != std::string::npos);
  CHECK(r.status == 200);  // the client's own Host, sent as :authority, is fine
  CHECK(f.upstream.request_count() == 1);
}

TEST_CASE("h2c: request and response bodies stream through to an HTTP/1.1 upstream", "[integration][http2]") {
  ProxyFixture f;
  const auto t = token();
  TempDir dir;
  const std::string body(300000, 'b');
  const auto file = dir.write("body.bin", body);
  const auto up = curl_h2(f.port(), "/orders/upload", {"-H", "Authorization: " + bearer(t), "--data-binary", "@" + file});
  CHECK(up.status == 200);
  REQUIRE(f.upstream.request_count() == 1);
  CHECK(f.upstream.requests()[0].body_bytes == body.size());
  CHECK(f.upstream.requests()[0].method == "POST");
  CHECK(f.upstream.requests()[0].count("Content-Length") == 1);  // framing stated once
  CHECK(f.upstream.requests()[0].header("Content-Length") == std::to_string(body.size()));

  const auto down = curl_h2(f.port(), "/download?bytes=5000000", {"-H", "Authorization: " + bearer(t), "-o", "/dev/null",
                                                                    "-w", "SIZE %{size_download}\n"});
  CHECK(down.status == 200);
  CHECK(down.output.find("SIZE 5000000") != std::string::npos);
  const auto chunked = curl_h2(f.port(), "/chunked?chunks=50", {"-H", "Authorization: " + bearer(t), "-o", "/dev/null",
                                                                  "-w", "SIZE %{size_download}\n"});
  CHECK(chunked.status == 200);
  CHECK(chunked.output.find("SIZE 51200") != std::string::npos);

  // Over max_body_bytes by Content-Length: 413 before anything is forwarded.
  ProxyFixture small("limits: {max_body_bytes: 1000}\n");
  CHECK(curl_h2(small.port(), "/orders/big", {"-H", "Authorization: " + bearer(t), "--data-binary", "@" + file}).status ==
        413);
  CHECK(small.upstream.request_count() == 0);
}

TEST_CASE("h2c: nghttp multiplexes streams on one connection", "[integration][http2]") {
  ProxyFixture f;
  const auto t = token();
  std::vector<std::string> args = {"-n", "-s", "-m", "1", "-H", "authorization: " + bearer(t)};
  std::vector<std::string> urls;
  for (int i = 0; i < 20; ++i) urls.push_back(h2c_url(f.port(), "/orders/" + std::to_string(i)));
  args.insert(args.end(), urls.begin(), urls.end());
  const auto r = run_tool("/usr/bin/nghttp", args);
  CHECK(r.exit_code == 0);
  CHECK(f.upstream.request_count() == 20);
  // Priorities: weights per stream and nghttp's dependency tree (PRIORITY frames on idle
  // anchor streams) are accepted; every stream is still answered.
  const auto weighted = run_tool("/usr/bin/nghttp", {"-n", "-s", "-p", "256", "-p", "1", "-H", "authorization: " + bearer(t),
                                                     h2c_url(f.port(), "/orders/w1"), h2c_url(f.port(), "/orders/w2"),
                                                     h2c_url(f.port(), "/public/w3")});
  CHECK(weighted.exit_code == 0);
  CHECK(f.upstream.request_count() == 23);
  std::set<std::uint64_t> connections;
  for (const auto& seen : f.upstream.requests()) connections.insert(seen.connection);
  CHECK(connections.size() >= 1);
  // Metrics carry the protocol; the access log the protocol and the stream.
  CHECK(eventually([&] {
    return metric(f.proxy.admin_port(),
                  R"(jwt_sidecar_requests_total{route="orders",decision="allow",code="200",protocol="h2"})") == 22.0;
  }));
  f.proxy.process().wait_for_line("\"stream\":");
  f.proxy.process().drain_output();
  bool logged = false;
  for (const auto& line : f.proxy.process().stdout_lines()) {
    if (line.find("\"protocol\":\"h2\"") != std::string::npos && line.find("\"stream\":") != std::string::npos) {
      logged = true;
    }
  }
  CHECK(logged);
}

TEST_CASE("h2 over TLS: ALPN picks h2, and http2: false keeps HTTP/1.1", "[integration][http2][tls]") {
  TestCa ca("h2 CA");
  TempDir certs;
  const auto files = write_cert_files(certs, ca, ca.issue_localhost_cert());
  const auto tls = "tls: {cert_file: " + files.cert_file + ", key_file: " + files.key_file + "}\n";
  {
    ProxyFixture f(tls);
    const auto r = curl_tls(f.port(), files.ca_file, "/public/a", {"--http2"});
    CHECK(r.version == "2");
    CHECK(r.status == 200);
    CHECK(f.upstream.requests()[0].header("X-Forwarded-Proto") == "https");
    const auto old = curl_tls(f.port(), files.ca_file, "/public/b", {"--http1.1"});
    CHECK(old.version == "1.1");
    CHECK(old.status == 200);
  }
  {
    ProxyFixture f(tls + "http2: false\n");
    const auto r = curl_tls(f.port(), files.ca_file, "/public/a", {"--http2"});
    CHECK(r.version == "1.1");
    CHECK(r.status == 200);
  }
}

TEST_CASE("http2: false refuses prior-knowledge h2c; Upgrade: h2c stays refused", "[integration][http2]") {
  ProxyFixture f("http2: false\n");
  const auto r = curl_h2(f.port(), "/public/a");
  CHECK(r.status != 200);
  ProxyFixture on;
  // An HTTP/1.1 request asking to upgrade to h2c is answered in HTTP/1.1.
  const auto up = run_tool("/usr/bin/curl", {"-sS", "--http2", "-o", "/dev/null", "-w", "STATUS %{http_version} %{http_code}\n",
                                             "http://127.0.0.1:" + std::to_string(on.port()) + "/public/u"});
  CHECK(up.output.find("STATUS 1.1 200") != std::string::npos);
}

TEST_CASE("h2c: two host fields are refused on their stream and never forwarded", "[integration][http2]") {
  ProxyFixture f;
  const auto report = h2_attack(f.port(), "many_streams",
                                {"--count", "1", "--path", "/public/x", "--header", "host: 127.0.0.1", "--header",
                                 "host: other.example"});
  INFO(report);
  // nghttp2's message checks reset such a stream (PROTOCOL_ERROR); the proxy's own check would
  // answer 400 duplicate_host. Either way the connection goes on and nothing is forwarded.
  CHECK((has(report, R"("400": 1)") || has(report, R"("PROTOCOL_ERROR": 1)")));
  CHECK(has(report, R"("goaway": false)"));
  CHECK(f.upstream.request_count() == 0);
  CHECK(curl_h2(f.port(), "/public/after").status == 200);
}

TEST_CASE("h2c: CONNECT is refused with 400 on its stream; a request head nghttp2 rejects never travels",
          "[integration][http2]") {
  ProxyFixture f;
  // RFC 9113 8.5: CONNECT carries :authority and neither :scheme nor :path.
  const auto connect = h2_attack(f.port(), "many_streams",
                                 {"--count", "1", "--method", "CONNECT", "--omit", ":scheme", "--omit", ":path",
                                  "--authority", "127.0.0.1:443"});
  INFO(connect);
  CHECK(has(connect, R"("400": 1)"));
  CHECK(has(connect, R"("goaway": false)"));
  CHECK(f.proxy.process().wait_for_line("\"reason\":\"connect_not_supported\"").has_value());
  // No :authority and no host, no :path, a content-length that is not a number: nghttp2's own
  // checks reset the stream (RFC 9113 8.1.1: malformed) before the proxy would answer 400
  // (missing_authority, missing_path, invalid_content_length). Either way, nothing travels.
  // Upper-case names and connection-specific fields (RFC 9113 8.2.1, 8.2.2) too, sent raw so
  // that the client library does not normalise them away.
  const std::vector<std::vector<std::string>> malformed = {
      {"--omit", ":authority"},   {"--omit", ":path"},
      {"--header", "content-length: 1x"},
      {"--raw", "--header", "X-Upper: 1"}, {"--raw", "--header", "connection: close"},
      {"--raw", "--header", "transfer-encoding: chunked"}, {"--raw", "--header", "te: gzip"}};
  for (const auto& extra : malformed) {
    std::vector<std::string> args = {"--count", "1", "--path", "/public/x"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto report = h2_attack(f.port(), "many_streams", args);
    INFO(report);
    CHECK((has(report, R"("400": 1)") || has(report, R"("PROTOCOL_ERROR": 1)")));
    CHECK(has(report, R"("goaway": false)"));
  }
  CHECK(f.upstream.request_count() == 0);
  // A host field stands in for :authority (RFC 9113 8.3.1): forwarded with that Host.
  const auto host_only = h2_attack(f.port(), "many_streams",
                                   {"--count", "1", "--path", "/public/h", "--omit", ":authority", "--header",
                                    "host: 127.0.0.1"});
  INFO(host_only);
  CHECK(has(host_only, R"("200": 1)"));
  REQUIRE(f.upstream.request_count() == 1);
  CHECK(f.upstream.requests()[0].header("Host") == "127.0.0.1");
}
