// Faults around the proxy, upstream and client side: an upstream that is slow or resets
// mid-response, clients that vanish mid-transfer. Each case checks what the client gets, what
// the upstream received, and that the proxy keeps serving with nothing leaked.
// streaming_test.cpp already covers an upstream that refuses connections (502) and a single
// slow one (504).
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
// Upstream faults
// ---------------------------------------------------------------------------------------------

TEST_CASE("faults: a slow upstream's late answer never reaches another request", "[integration][faults]") {
  FaultFixture f("limits: {upstream_timeout: 500ms}\n");
  const auto t = token();
  RawClient slow(f.port());
  REQUIRE(slow.send(get("/slow?ms=1200", t)));
  const auto r = slow.read_response();
  REQUIRE(r);
  CHECK(r->status == 504);
  CHECK(r->body.find("upstream_timeout") != std::string::npos);
  CHECK(r->header("Connection") == "close");
  CHECK(slow.closed_by_peer());
  // Requests that follow, while the late answer is still on its way, get their own answers:
  // the timed-out upstream connection was dropped, not pooled.
  RawClient next(f.port());
  const auto start = Clock::now();
  for (int i = 0; Clock::now() - start < std::chrono::milliseconds(1500); ++i) {
    const auto target = "/orders/" + std::to_string(i);
    REQUIRE(next.send(get(target, t)));
    const auto answer = next.read_response();
    REQUIRE(answer);
    CHECK(answer->status == 200);
    CHECK(answer->body.find("\"target\":\"" + target + "\"") != std::string::npos);
  }
  const auto seen = f.upstream.requests();
  REQUIRE_FALSE(seen.empty());
  CHECK(seen[0].target == "/slow?ms=1200");
  for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].connection != seen[0].connection);
}

TEST_CASE("faults: an upstream reset mid-response cuts the client's response; the proxy keeps serving",
          "[integration][faults]") {
  FaultFixture f;
  const auto t = token();
  struct Case {
    const char* target;
    bool chunked;  // how the client's response is framed
  };
  const Case cases[] = {
      {"/reset?after=1000", false},
      {"/reset?after=1000&chunked=1", true},
      {"/reset?after=1000&close=1", true},  // close-delimited upstream: re-chunked for HTTP/1.1
  };
  for (const auto& c : cases) {
    INFO(c.target);
    RawClient client(f.port());
    REQUIRE(client.send(get(c.target, t)));
    const auto got = read_until_close(client);
    CHECK(got.closed);  // not left hanging as if the body could still come
    const auto end = got.bytes.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    const auto head = got.bytes.substr(0, end);
    CHECK(head.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(head.find(c.chunked ? "Transfer-Encoding: chunked" : "Content-Length: 1048576") != std::string::npos);
    auto rest = got.bytes.substr(end + 4);
    if (!c.chunked) {
      CHECK(rest == std::string(1000, 'r'));  // what was sent, and the close says it is cut
      continue;
    }
    // Every complete chunk is data; there is no last chunk, so it cannot look complete.
    std::string body;
    while (true) {
      const auto eol = rest.find("\r\n");
      if (eol == std::string::npos) break;
      const auto size = std::stoul(rest.substr(0, eol), nullptr, 16);
      CHECK(size > 0);
      if (size == 0 || rest.size() < eol + 2 + size + 2) break;
      body += rest.substr(eol + 2, size);
      rest.erase(0, eol + 2 + size + 2);
    }
    CHECK(body == std::string(1000, 'r'));
    CHECK(rest.empty());
  }
  {
    // Reset right after the header: the header may or may not have been relayed.
    RawClient client(f.port());
    REQUIRE(client.send(get("/reset?after=0", t)));
    const auto got = read_until_close(client);
    CHECK(got.closed);
    const auto end = got.bytes.find("\r\n\r\n");
    CHECK((got.bytes.empty() || got.bytes.size() == end + 4));
  }
  // Reset before the response header: 502 upstream_reset. A bodiless request on a pooled
  // connection is sent once more on a fresh one, never more than that.
  REQUIRE(http_request(f.port(), "GET", "/orders/warm", {{"Authorization", bearer(t)}})->status == 200);
  auto before = f.upstream.request_count();
  {
    RawClient keep(f.port());
    REQUIRE(keep.send(get("/orders/warm2", t)));
    REQUIRE(keep.read_response()->status == 200);
    REQUIRE(keep.send(get("/reset?header=0", t)));
    const auto r = keep.read_response();
    REQUIRE(r);
    CHECK(r->status == 502);
    CHECK(r->body.find("upstream_reset") != std::string::npos);
    CHECK(keep.closed_by_peer());
  }
  auto seen = f.upstream.requests();
  REQUIRE(seen.size() == before + 3);
  CHECK(seen[before + 1].target == "/reset?header=0");
  CHECK(seen[before + 2].target == "/reset?header=0");
  // With a body, never twice: the body cannot be replayed.
  before = f.upstream.request_count();
  const auto r = http_request(f.port(), "POST", "/reset?header=0", {{"Authorization", bearer(t)}}, "payload");
  REQUIRE(r);
  CHECK(r->status == 502);
  CHECK(f.upstream.request_count() == before + 1);
  // The proxy keeps serving, on fresh and kept connections, and nothing is left open.
  RawClient after(f.port());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(after.send(get("/orders/after" + std::to_string(i), t)));
    const auto ok = after.read_response();
    REQUIRE(ok);
    CHECK(ok->status == 200);
    CHECK(ok->body.find("/orders/after" + std::to_string(i)) != std::string::npos);
  }
  CHECK(f.proxy.process().wait_for_line("\"reason\":\"upstream_reset\"").has_value());
  after.shutdown_write();
  CHECK(after.closed_by_peer());
  CHECK(connections_drop_to_zero(f.admin()));
}

// ---------------------------------------------------------------------------------------------
// Clients that go away
// ---------------------------------------------------------------------------------------------

TEST_CASE("faults: clients vanishing mid-upload and mid-download leave nothing behind", "[integration][faults]") {
  FaultFixture f;
  const auto t = token();
  const auto pid = f.proxy.process().pid();
  REQUIRE(http_request(f.port(), "GET", "/orders/warm", {{"Authorization", bearer(t)}})->status == 200);
  REQUIRE(connections_drop_to_zero(f.admin()));
  const auto fds_before = open_fds(pid);
  const auto upstream_before = f.upstream.request_count();
  constexpr int kEach = 8;
  for (int i = 0; i < kEach; ++i) {
    INFO("round " << i);
    {
      RawClient up(f.port());
      REQUIRE(up.send("POST /orders/up HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer(t) +
                      "\r\nContent-Length: 10485760\r\n\r\n"));
      REQUIRE(up.send(std::string(256 * 1024, 'u')));
      if (i % 2) reset(up);  // half end with a reset, half with a FIN
    }
    {
      RawClient down(f.port());
      REQUIRE(down.send(get("/download?bytes=104857600", t)));
      REQUIRE(down.read_exact(64 * 1024).size() == 64 * 1024);
      if (i % 2) reset(down);
    }
  }
  CHECK(connections_drop_to_zero(f.admin()));
  // No upload completed at the upstream: each was cut off when its client went.
  for (const auto& seen : f.upstream.requests()) CHECK(seen.target != "/orders/up");
  // The downloads reached the upstream and were abandoned with their connections.
  CHECK(f.upstream.request_count() == upstream_before + kEach);
  // The proxy still answers, each request with its own response.
  RawClient c(f.port());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(c.send(get("/orders/" + std::to_string(i), t)));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.find("\"target\":\"/orders/" + std::to_string(i) + "\"") != std::string::npos);
  }
  // Every client socket and every abandoned upstream connection is closed again.
  CHECK(eventually([&] { return open_fds(pid) <= fds_before + 1; }));
  INFO("fds before " << fds_before << ", after " << open_fds(pid));
  flush_access_log(f.proxy);
  std::size_t aborted = 0;
  for (const auto& line : f.proxy.process().stdout_lines()) {
    aborted += line.find("\"reason\":\"client_aborted\"") != std::string::npos;
  }
  CHECK(aborted == 2 * kEach);
}
