// Hostile clients, limits and slow clients: sizes of every part of a request, slowloris and
// trickled bodies, thousands of idle connections.
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
// Limits and slow clients
// ---------------------------------------------------------------------------------------------

TEST_CASE("hostile limits: request line, header, header count and body sizes", "[integration][hostile]") {
  ProxyFixture f("limits: {max_body_bytes: 65536}\n");  // max_header_bytes stays 16 KiB
  const auto t = token();
  const std::string auth = "Authorization: " + bearer(t) + "\r\n";
  struct Case {
    const char* name;
    std::string bytes;
    int status;
    const char* reason;
  };
  std::string many_small;  // 2,000 fields in 12 KiB: within the byte limit
  for (int i = 0; i < 2000; ++i) many_small += "a" + std::to_string(i % 10) + ":\r\n";
  std::string too_many;  // 4,000 fields: over it
  for (int i = 0; i < 4000; ++i) too_many += "a:b\r\n";
  const std::vector<Case> cases = {
      {"request line over the header limit", "GET /public/" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 431,
       "header_too_large"},
      {"target over 8 KiB, header within the limit", "GET /public/" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
       400, "too_long"},
      {"one huge header", request("GET", "/public/x", "X-Big: " + std::string(17000, 'b') + "\r\n\r\n"), 431,
       "header_too_large"},
      {"thousands of headers over the limit", request("GET", "/public/x", too_many + "\r\n"), 431, "header_too_large"},
      {"huge Content-Length", request("POST", "/orders/1", auth + "Content-Length: 10000000000\r\n\r\n"), 413,
       "body_too_large"},
      {"Content-Length one over", request("POST", "/orders/1", auth + "Content-Length: 65537\r\n\r\n"), 413,
       "body_too_large"},
      {"first chunk over the limit", request("POST", "/public/c", "Transfer-Encoding: chunked\r\n\r\n10001\r\n"), 413,
       "body_too_large"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    RawClient client(f.port());
    client.send(c.bytes);  // may fail part-way once the proxy has refused
    const auto r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == c.status);
    CHECK(decode_error_reason(*r) == c.reason);
    CHECK(client.closed_by_peer());
  }
  // Refused before the proxy even connected to the upstream, except the chunked one, whose
  // header went ahead and whose upstream connection was dropped before the body ended.
  CHECK(f.upstream.request_count() == 0);
  CHECK(f.upstream.connections_accepted() <= 1);

  SECTION("small chunks crossing the body limit are cut off mid-stream") {
    RawClient client(f.port());
    REQUIRE(client.send(request("POST", "/public/c", "Transfer-Encoding: chunked\r\n\r\n")));
    const std::string chunk = "1000\r\n" + std::string(4096, 'c') + "\r\n";
    bool sent = true;
    for (int i = 0; i < 17 && sent; ++i) sent = client.send(chunk);  // 68 KiB > 64 KiB
    const auto r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(client.closed_by_peer());
    CHECK(f.upstream.request_count() == 0);
  }
  SECTION("exactly at the limits passes, every header intact") {
    auto r = http_request(f.port(), "POST", "/orders/1", {{"Authorization", bearer(t)}}, std::string(65536, 'b'));
    REQUIRE(r);
    CHECK(r->status == 200);
    RawClient client(f.port());
    REQUIRE(client.send(request("GET", "/public/many", many_small + "\r\n")));
    r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    const auto seen = f.upstream.requests();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].body_bytes == 65536);
    CHECK(seen[1].count("a7") == 200);
  }
}

TEST_CASE("hostile slow clients: slowloris header, trickled and stalled bodies", "[integration][hostile]") {
  ProxyFixture f("limits: {header_timeout: 1s, idle_timeout: 1s}\n");
  const auto t = token();

  SECTION("a header sent a byte at a time is cut at header_timeout, not per byte") {
    const std::string bytes = request("GET", "/public/slow", "X-Pad: " + std::string(200, 'p') + "\r\n\r\n");
    RawClient client(f.port());
    const auto start = Clock::now();
    std::size_t sent = 0;
    // One byte every 20 ms, until the proxy answers or closes (the wait is the pacing).
    while (sent < bytes.size() && !readable_within(client, std::chrono::milliseconds(20))) {
      if (!client.send(bytes.substr(sent++, 1))) break;
    }
    const auto took = Clock::now() - start;
    CHECK(sent < bytes.size());  // the whole header would have taken over 4 s
    const auto r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == 408);
    CHECK(decode_error_reason(*r) == "header_timeout");
    CHECK(client.closed_by_peer());
    CHECK(took >= std::chrono::milliseconds(900));
    CHECK(took < std::chrono::seconds(3));
    CHECK(f.upstream.request_count() == 0);
  }
  SECTION("a body trickled within idle_timeout per read completes") {
    RawClient client(f.port());
    REQUIRE(client.send(request("POST", "/orders/1", "Authorization: " + bearer(t) + "\r\nContent-Length: 6\r\n\r\n")));
    for (const char c : std::string("trickl")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));  // pacing the slow client
      REQUIRE(client.send(std::string(1, c)));
    }
    const auto r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    REQUIRE(f.upstream.request_count() == 1);
    CHECK(f.upstream.requests()[0].body_prefix == "trickl");
  }
  SECTION("a body that stalls past idle_timeout is dropped on both sides") {
    RawClient client(f.port());
    REQUIRE(client.send(request("POST", "/orders/1", "Authorization: " + bearer(t) + "\r\nContent-Length: 100\r\n\r\nhalf")));
    const auto start = Clock::now();
    CHECK_FALSE(client.read_response());  // no answer: the client is the one who failed
    CHECK(Clock::now() - start >= std::chrono::milliseconds(900));
    CHECK(f.upstream.request_count() == 0);  // it never saw a complete request
    CHECK(f.proxy.process().wait_for_line("\"reason\":\"client_aborted\"").has_value());
    CHECK(connections_drop_to_zero(f.proxy.admin_port()));
  }
  SECTION("a connection that never sends a byte is closed quietly") {
    RawClient client(f.port());
    const auto start = Clock::now();
    CHECK_FALSE(client.read_response());
    CHECK(Clock::now() - start < std::chrono::seconds(4));
  }
}

TEST_CASE("hostile limits: 2,000 idle connections do not stop the proxy serving others",
          "[integration][hostile]") {
  constexpr int kIdle = 2000;
  ensure_open_files(2 * kIdle + 512);
  ProxyFixture f("limits: {header_timeout: 30s}\n");
  const auto t = token();
  std::vector<std::unique_ptr<RawClient>> idle;
  idle.reserve(kIdle);
  for (int i = 0; i < kIdle; ++i) {
    idle.push_back(std::make_unique<RawClient>(f.port()));
    if (i % 2 == 1) idle.back()->send("GET /orders/1 HTTP/1.1\r\nHost: x\r\n");  // half a header
  }
  REQUIRE(eventually([&] { return metric(f.proxy.admin_port(), "jwt_sidecar_connections_active") >= kIdle; },
                     std::chrono::seconds(20)));
  const auto start = Clock::now();
  for (int i = 0; i < 20; ++i) {
    const auto r = http_request(f.port(), "GET", "/orders/1", {{"Authorization", bearer(t)}});
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  CHECK(Clock::now() - start < std::chrono::seconds(5));
  CHECK(f.upstream.request_count() == 20);
  idle.clear();
  CHECK(connections_drop_to_zero(f.proxy.admin_port()));
  CHECK(f.upstream.request_count() == 20);
}
