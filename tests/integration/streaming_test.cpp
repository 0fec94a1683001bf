// Bodies stream both ways with flat memory; keep-alive on both sides; chunked passes through.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <thread>

#include "tests/integration/fixture.h"

using namespace jwt_sidecar::testing;

namespace {

// Peak resident set of a process in KiB (VmHWM).
long peak_rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

TEST_CASE("a 200 MiB upload and download stream through with flat memory", "[integration][streaming]") {
  ProxyFixture f("limits: {max_body_bytes: 1073741824}\n");
  const auto t = token();
  constexpr std::uint64_t kSize = 200ull << 20;
  {
    RawClient c(f.port(), std::chrono::seconds(120));
    c.send("POST /orders/upload HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer(t) +
           "\r\nContent-Length: " + std::to_string(kSize) + "\r\n\r\n");
    const std::string block(1 << 20, 'u');
    for (std::uint64_t sent = 0; sent < kSize; sent += block.size()) REQUIRE(c.send(block));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  const auto seen = f.upstream.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].body_bytes == kSize);
  {
    RawClient c(f.port(), std::chrono::seconds(120));
    c.send("GET /download?bytes=" + std::to_string(kSize) + " HTTP/1.1\r\nHost: x\r\nAuthorization: " +
           bearer(t) + "\r\n\r\n");
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.size() == kSize);
  }
  const auto rss = peak_rss_kib(f.proxy.process().pid());
  INFO("peak RSS KiB: " << rss);
  CHECK(rss > 0);
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer keeps freed memory in quarantine (256 MiB by default): RSS says nothing
  // about the proxy here. The release build checks the bound.
  WARN("peak RSS bound not checked under AddressSanitizer; measured " << rss << " KiB");
#else
  CHECK(rss < 64 * 1024);  // 200 MiB went through; the proxy never held more than a buffer
#endif
}

TEST_CASE("chunked bodies pass through both ways", "[integration][streaming]") {
  ProxyFixture f;
  RawClient c(f.port());
  c.send("POST /orders/c HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer(token()) +
         "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  auto seen = f.upstream.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].chunked);
  CHECK(seen[0].body_prefix == "hello world");
  c.send("GET /chunked?chunks=5 HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer(token()) + "\r\n\r\n");
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("Transfer-Encoding") == "chunked");
  CHECK(r->body.size() == 5 * 1024);
}

TEST_CASE("keep-alive is reused on both sides", "[integration][keepalive]") {
  ProxyFixture f;
  RawClient c(f.port());
  const auto t = token();
  for (int i = 0; i < 5; ++i) {
    c.send("GET /orders/" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer(t) + "\r\n\r\n");
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("Connection") != "close");
  }
  CHECK(f.upstream.request_count() == 5);
  CHECK(f.upstream.connections_accepted() == 1);
}

TEST_CASE("HEAD, close-delimited bodies and HTTP/1.0 clients", "[integration][streaming]") {
  ProxyFixture f;
  RawClient c(f.port());
  c.send("HEAD /public/h HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = c.read_response(true);
  REQUIRE(r);
  CHECK(r->status == 200);
  c.send("GET /public/x HTTP/1.1\r\nHost: x\r\n\r\n");
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  RawClient old(f.port());
  old.send("GET /chunked?chunks=2 HTTP/1.0\r\nAuthorization: " + bearer(token()) + "\r\n\r\n");
  r = old.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body.size() == 2048);
  CHECK(r->header("Transfer-Encoding").empty());
}

TEST_CASE("Expect: 100-continue is answered only after the request is allowed", "[integration][expect]") {
  ProxyFixture f;
  {
    RawClient c(f.port());
    c.send("POST /orders/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 401);  // no 100 first: the client never sends its body
  }
  RawClient c(f.port());
  c.send("POST /orders/1 HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer(token()) +
         "\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  CHECK(c.read_exact(25) == "HTTP/1.1 100 Continue\r\n\r\n");
  c.send("hello");
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  REQUIRE(f.upstream.request_count() == 1);
  CHECK(f.upstream.requests()[0].body_prefix == "hello");
}

TEST_CASE("WebSocket upgrades tunnel after the request is allowed; h2c never does", "[integration][upgrade]") {
  ProxyFixture f;
  {
    RawClient c(f.port());
    c.send("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  RawClient c(f.port());
  c.send("GET /ws HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer(token()) +
         "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 101);
  c.send("ping-bytes");
  CHECK(c.read_exact(10) == "ping-bytes");

  RawClient h2(f.port());
  h2.send("GET /public/x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
  const auto plain = h2.read_response();
  REQUIRE(plain);
  CHECK(plain->status == 200);
  const auto seen = f.upstream.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].count("Upgrade") == 0);
  CHECK(seen[1].count("HTTP2-Settings") == 0);
}

TEST_CASE("upstream refusing gives 502, a slow upstream 504", "[integration][upstream]") {
  ProxyFixture f("limits: {upstream_timeout: 500ms}\n");
  auto r = http_request(f.port(), "GET", "/slow?ms=3000", {{"Authorization", bearer(token())}});
  REQUIRE(r);
  CHECK(r->status == 504);
  CHECK(r->body.find("upstream_timeout") != std::string::npos);
  f.upstream.stop();
  r = http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(token())}});
  REQUIRE(r);
  CHECK(r->status == 502);
  CHECK(r->body.find("upstream_unreachable") != std::string::npos);
}

TEST_CASE("SIGTERM lets in-flight requests complete, then exits 0", "[integration][drain]") {
  ProxyFixture f;
  const auto t = token();
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<RawClient>(f.port()));
    clients.back()->send("GET /slow?ms=1500 HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer(t) + "\r\n\r\n");
  }
  // All three have reached the upstream's timer before the signal.
  for (int i = 0; i < 200 && f.upstream.connections_accepted() < 3; ++i) {
    RawClient probe(f.port());  // a round trip through the proxy as the wait step
    probe.send("GET /public/probe HTTP/1.1\r\nHost: x\r\n\r\n");
    probe.read_response();
  }
  REQUIRE(f.upstream.connections_accepted() >= 3);
  f.proxy.process().signal(SIGTERM);
  for (auto& c : clients) {
    const auto r = c->read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  CHECK(f.proxy.process().wait(std::chrono::seconds(20)) == 0);
}
