// Hostile clients, framing and request smuggling: Content-Length and Transfer-Encoding
// ambiguities, chunk syntax, header bytes, refused bodies, pipelining. Every case has a double
// oracle: what the client gets (a status, or a closed connection), and exactly what the counting
// upstream received. http_framing_test.cpp and decisions_test.cpp hold the first one-off cases
// of several classes; the tables here widen them without repeating them.
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
// Framing and request smuggling
// ---------------------------------------------------------------------------------------------

TEST_CASE("hostile framing: Content-Length and Transfer-Encoding ambiguities", "[integration][hostile]") {
  ProxyFixture f;
  const std::string auth = "Authorization: " + bearer(token()) + "\r\n";
  auto post = [&](const std::string& framing_and_body) { return request("POST", "/orders/f", auth + framing_and_body); };
  struct Case {
    const char* name;
    std::string bytes;  // followed by kSmuggled on the wire
    int status;         // 200: forwarded, kSmuggled then answered as the next request
    const char* reason;
    std::vector<Seen> upstream;
  };
  const std::vector<Seen> none;
  const std::vector<Seen> hello_then_smuggled = {{"/orders/f", "hello"}, {"/public/smuggled", ""}};
  const std::vector<Case> cases = {
      // Both framings at once, in either order (RFC 9112 6.3 item 3: a proxy must not guess).
      // The parser refuses chunked together with Content-Length (README: malformed_request_header);
      // any other coding with a Content-Length is refused by the framing check.
      {"CL.TE", post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG"), 400,
       "malformed_request_header", none},
      {"TE.CL", post("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n"), 400,
       "malformed_request_header", none},
      {"TE identity with CL", post("Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello"), 400,
       "content_length_with_transfer_encoding", none},
      {"CL 0 with TE", post("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), 400,
       "malformed_request_header", none},
      // Transfer-Encoding spellings a lenient hop might read as chunked and a strict one not.
      {"TE chunked, x", post("Transfer-Encoding: chunked, x\r\n\r\n0\r\n\r\n"), 400, "unsupported_transfer_encoding", none},
      {"TE x, chunked", post("Transfer-Encoding: x, chunked\r\n\r\n0\r\n\r\n"), 400, "unsupported_transfer_encoding", none},
      {"TE chunked, chunked", post("Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"), 400,
       "unsupported_transfer_encoding", none},
      {"TE gzip, chunked", post("Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"), 400, "unsupported_transfer_encoding", none},
      {"TE identity", post("Transfer-Encoding: identity\r\n\r\n"), 400, "unsupported_transfer_encoding", none},
      {"TE xchunked", post("Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"), 400, "unsupported_transfer_encoding", none},
      {"TE chunked with a parameter", post("Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n"), 400,
       "unsupported_transfer_encoding", none},
      {"TE leading comma", post("Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n"), 400, "unsupported_transfer_encoding", none},
      {"TE quoted", post("Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n"), 400, "unsupported_transfer_encoding", none},
      {"TE twice", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400, nullptr, none},
      {"TE space before colon", post("Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"), 400, "malformed_request_header", none},
      {"TE tab before colon", post("Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n"), 400, "malformed_request_header", none},
      {"TE obs-fold value", post("Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"), 400, "obs_fold_in_header", none},
      {"TE as a continuation line", post("X-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400,
       "obs_fold_in_header", none},
      {"TE bare CR", post("Transfer-Encoding: chunked\r\r\n\r\n0\r\n\r\n"), 400, "bare_cr_in_header", none},
      {"TE bare CR inside", post("Transfer-Encoding: chun\rked\r\n\r\n0\r\n\r\n"), 400, "bare_cr_in_header", none},
      {"TE vertical tab", post("Transfer-Encoding: \x0b" "chunked\r\n\r\n0\r\n\r\n"), 400, "control_character_in_header", none},
      {"TE form feed", post("Transfer-Encoding: \x0c" "chunked\r\n\r\n0\r\n\r\n"), 400, "control_character_in_header", none},
      {"TE NUL", post("Transfer-Encoding: chunked\0\r\n\r\n0\r\n\r\n"s), 400, "nul_in_header", none},
      {"TE in HTTP/1.0", "POST /orders/f HTTP/1.0\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "transfer_encoding_in_http10", none},
      // Spellings RFC 9110 allows: the same body reaches the upstream, re-framed by the proxy.
      {"TE upper case", post("Transfer-Encoding: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), 200, nullptr, hello_then_smuggled},
      {"TE tab as whitespace", post("Transfer-Encoding:\tchunked\t\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), 200, nullptr,
       hello_then_smuggled},
      {"TE with underscore is no framing", post("Transfer_Encoding: chunked\r\n\r\n"), 200, nullptr,
       {{"/orders/f", ""}, {"/public/smuggled", ""}}},
      // Content-Length values (RFC 9110 8.6: 1*DIGIT, nothing else).
      {"CL plus sign", post("Content-Length: +5\r\n\r\nhello"), 400, nullptr, none},
      {"CL hex", post("Content-Length: 0x5\r\n\r\nhello"), 400, nullptr, none},
      {"CL two numbers", post("Content-Length: 5 5\r\n\r\nhello"), 400, nullptr, none},
      {"CL negative", post("Content-Length: -1\r\n\r\nhello"), 400, nullptr, none},
      {"CL decimal point", post("Content-Length: 5.0\r\n\r\nhello"), 400, nullptr, none},
      {"CL exponent", post("Content-Length: 5e0\r\n\r\nhello"), 400, nullptr, none},
      {"CL empty", post("Content-Length: \r\n\r\nhello"), 400, nullptr, none},
      {"CL 2^64 overflows", post("Content-Length: 18446744073709551616\r\n\r\nhello"), 400, nullptr, none},
      {"CL 2^64-1", post("Content-Length: 18446744073709551615\r\n\r\nhello"), 400, nullptr, none},
      {"CL list of equal values", post("Content-Length: 5, 5\r\n\r\nhello"), 400, nullptr, none},
      {"CL trailing comma", post("Content-Length: 5,\r\n\r\nhello"), 400, nullptr, none},
      {"CL twice, equal", post("Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"), 400, "multiple_content_length", none},
      {"CL twice, different", post("Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"), 400, nullptr, none},
      {"CL space before colon", post("Content-Length : 5\r\n\r\nhello"), 400, "malformed_request_header", none},
      {"CL vertical tab", post("Content-Length: 5\x0b\r\n\r\nhello"), 400, "control_character_in_header", none},
      {"CL leading zeros are legal", post("Content-Length: 0005\r\n\r\nhello"), 200, nullptr, hello_then_smuggled},
      {"CL with surrounding whitespace", post("Content-Length: \t5 \r\n\r\nhello"), 200, nullptr, hello_then_smuggled},
      {"CL with underscore is no framing", post("Content_Length: 5\r\n\r\n"), 200, nullptr,
       {{"/orders/f", ""}, {"/public/smuggled", ""}}},
  };
  std::size_t smuggled_expected = 0;
  for (const auto& c : cases) {
    INFO(c.name);
    const auto before = f.upstream.request_count();
    RawClient client(f.port());
    REQUIRE(client.send(c.bytes + kSmuggled));
    const auto r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == c.status);
    if (c.reason) CHECK(decode_error_reason(*r) == c.reason);
    if (c.status == 400) {
      CHECK(r->header("Connection") == "close");
      CHECK(client.closed_by_peer());
    } else {
      const auto next = client.read_response();
      REQUIRE(next);
      CHECK(next->status == 200);
      ++smuggled_expected;
    }
    check_seen(seen_since(f.upstream, before), c.upstream);
  }
  std::size_t smuggled_seen = 0;
  for (const auto& seen : f.upstream.requests()) smuggled_seen += seen.target == "/public/smuggled";
  CHECK(smuggled_seen == smuggled_expected);
  for (const auto& seen : f.upstream.requests()) {
    if (seen.target != "/orders/f") continue;
    // The upstream always gets framing the proxy wrote itself, exactly one of the two, and a
    // Content-Length in plain decimal whatever the client's spelling.
    CHECK(seen.count("Content-Length") + seen.count("Transfer-Encoding") <= 1);
    CHECK(seen.count("Transfer_Encoding") + seen.count("Content_Length") <= 1);
    if (seen.body_bytes > 0 && !seen.chunked) CHECK(seen.header("Content-Length") == std::to_string(seen.body_bytes));
  }
}

TEST_CASE("hostile framing: chunk sizes, chunk extensions and trailers", "[integration][hostile]") {
  ProxyFixture f("limits: {max_body_bytes: 1048576, idle_timeout: 1s}\n");
  const std::string head = request("POST", "/public/c", "Transfer-Encoding: chunked\r\n\r\n");
  struct Case {
    const char* name;
    std::string body;  // the chunked body after the header; followed by kSmuggled
    int status;        // 200: forwarded with `forwarded` as the body; 0: closed, no answer
    const char* reason;
    std::string forwarded;
  };
  const std::vector<Case> cases = {
      {"non-hex size", "zz\r\nhello\r\n0\r\n\r\n", 400, "bad_chunked_encoding", ""},
      {"negative size", "-5\r\nhello\r\n0\r\n\r\n", 400, "bad_chunked_encoding", ""},
      {"size with 0x", "0x5\r\nhello\r\n0\r\n\r\n", 400, "bad_chunked_encoding", ""},
      {"size overflowing 64 bits", "10000000000000005\r\nhello\r\n0\r\n\r\n", 400, "bad_chunked_encoding", ""},
      {"size 2^64-1 is over the body limit", "ffffffffffffffff\r\nhello\r\n0\r\n\r\n", 413, "body_too_large", ""},
      {"space before the size", " 5\r\nhello\r\n0\r\n\r\n", 400, "bad_chunked_encoding", ""},
      {"missing CRLF after the data", "5\r\nhelloX\r\n0\r\n\r\n", 400, "bad_chunked_encoding", ""},
      {"data longer than the size", "3\r\nhello\r\n0\r\n\r\n", 400, "bad_chunked_encoding", ""},
      {"bare LF after the size", "5\nhello\r\n0\r\n\r\n", 400, "bad_chunked_encoding", ""},
      {"bare LF after the data", "5\r\nhello\n0\r\n\r\n", 400, "bad_chunked_encoding", ""},
      {"control byte in an extension", "5;a=\x01\r\nhello\r\n0\r\n\r\n", 400, "bad_chunked_encoding", ""},
      // Boost.Beast 1.81 scans a quoted extension value past the end of its line, so a quote
      // that never closes is "need more" rather than an error: the body read then ends at
      // idle_timeout (or at 64 KiB of pending bytes, below), and nothing is forwarded.
      {"unterminated quoted extension", "5;a=\"x\r\nhello\r\n0\r\n\r\n", 0, nullptr, ""},
      // Legal, and re-framed by the proxy: extensions and trailers never reach the upstream.
      {"leading zeros in the size", "0005\r\nhello\r\n000\r\n\r\n", 200, nullptr, "hello"},
      {"upper-case hex", "A\r\nhellohello\r\n0\r\n\r\n", 200, nullptr, "hellohello"},
      {"extension with a quoted value", "5;name=\"va;l\\\"ue\"\r\nhello\r\n0;x=y\r\n\r\n", 200, nullptr, "hello"},
      {"long extension", "5;" + std::string(4000, 'e') + "=1\r\nhello\r\n0\r\n\r\n", 200, nullptr, "hello"},
      {"trailer fields", "5\r\nhello\r\n0\r\nX-Trailer: 1\r\nAuthorization: Bearer x.y.z\r\n\r\n", 200, nullptr, "hello"},
      // The parser tolerates obs-fold in trailers; harmless, since trailers are dropped.
      {"trailer with obs-fold", "5\r\nhello\r\n0\r\nX-Trailer: a\r\n b\r\n\r\n", 200, nullptr, "hello"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto before = f.upstream.request_count();
    RawClient client(f.port());
    REQUIRE(client.send(head + c.body + kSmuggled));
    const auto r = client.read_response();
    if (c.status == 0) {
      CHECK_FALSE(r);
    } else {
      REQUIRE(r);
      CHECK(r->status == c.status);
      if (c.reason) CHECK(decode_error_reason(*r) == c.reason);
    }
    if (c.status != 200) {
      CHECK(client.closed_by_peer());
      // The header went ahead of the body; the upstream connection was dropped before the
      // body ended, so the upstream never completed (or answered) that request.
      CHECK(f.upstream.request_count() == before);
      continue;
    }
    const auto next = client.read_response();
    REQUIRE(next);
    CHECK(next->status == 200);
    const auto seen = seen_since(f.upstream, before);
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].chunked);
    CHECK(seen[0].body_prefix == c.forwarded);
    CHECK(seen[0].count("X-Trailer") == 0);
    CHECK(seen[0].count("Authorization") == 0);
    CHECK(seen[1].target == "/public/smuggled");
  }
}

TEST_CASE("hostile framing: a chunk line or trailer section without end is cut off, not buffered",
          "[integration][hostile]") {
  ProxyFixture f;
  const std::string head = request("POST", "/public/c", "Transfer-Encoding: chunked\r\n\r\n");
  const std::string endless_extension = "5;" + std::string(1 << 20, 'e');
  std::string endless_trailers = "5\r\nhello\r\n0\r\n";
  while (endless_trailers.size() < (1u << 20)) endless_trailers += "X-Trailer: " + std::string(100, 't') + "\r\n";
  for (const std::string* body : std::initializer_list<const std::string*>{&endless_extension, &endless_trailers}) {
    const auto before = f.upstream.request_count();
    RawClient client(f.port());
    REQUIRE(client.send(head));
    // The proxy may refuse before it has read everything: a failed send is fine.
    client.send(*body);
    const auto r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(decode_error_reason(*r) == "bad_chunked_encoding");
    CHECK(client.closed_by_peer());
    CHECK(f.upstream.request_count() == before);
  }
  CHECK(http_request(f.port(), "GET", "/public/after")->status == 200);
}

TEST_CASE("hostile header bytes: NUL, CR, LF and control bytes anywhere in the header", "[integration][hostile]") {
  ProxyFixture f;
  const std::string auth = "Authorization: " + bearer(token()) + "\r\n";
  struct Case {
    const char* name;
    std::string bytes;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"NUL in a value", request("GET", "/orders/h", auth + "X-A: a\0b\r\n\r\n"s), "nul_in_header"},
      {"NUL in the token", request("GET", "/orders/h", "Authorization: Bearer a\0b\r\n\r\n"s), "nul_in_header"},
      {"NUL in a name", request("GET", "/orders/h", auth + "X\0A: b\r\n\r\n"s), "nul_in_header"},
      {"NUL in the target", "GET /orders/h\0 HTTP/1.1\r\nHost: x\r\n"s + auth + "\r\n", "nul_in_header"},
      {"bare CR in a value", request("GET", "/orders/h", auth + "X-A: a\rX-Injected: 1\r\n\r\n"), "bare_cr_in_header"},
      {"bare LF in a value", request("GET", "/orders/h", auth + "X-A: a\nX-Injected: 1\r\n\r\n"), "bare_lf_in_header"},
      {"bare LF ends the request line", "GET /orders/h HTTP/1.1\nHost: x\r\n" + auth + "\r\n", "bare_lf_in_header"},
      {"bare LF line endings", "GET /orders/h HTTP/1.1\nHost: x\n" + auth.substr(0, auth.size() - 2) + "\n\n",
       "bare_lf_in_header"},
      {"LF LF ends the header", request("GET", "/orders/h", auth + "\n\n"), "bare_lf_in_header"},
      {"bare CR ends the header", request("GET", "/orders/h", auth + "\r\r"), "bare_cr_in_header"},
      {"obs-fold", request("GET", "/orders/h", auth + "X-A: a\r\n\tX-Injected: 1\r\n\r\n"), "obs_fold_in_header"},
      {"escape byte", request("GET", "/orders/h", auth + "X-A: \x1b[31m\r\n\r\n"), "control_character_in_header"},
      {"DEL byte", request("GET", "/orders/h", auth + "X-A: a\x7f\r\n\r\n"), "control_character_in_header"},
      {"backspace in the token", request("GET", "/orders/h", "Authorization: Bearer \x08" + token() + "\r\n\r\n"),
       "control_character_in_header"},
      {"control byte in the Host", request("GET", "/orders/h", auth + "\r\n", "x\x01y"), "control_character_in_header"},
      {"space in the target", "GET /orders/h x HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", "malformed_request_header"},
      {"tab in the target", "GET /orders/h\tx HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", "malformed_request_header"},
      {"empty header name", request("GET", "/orders/h", auth + ": empty\r\n\r\n"), "malformed_request_header"},
      {"header without colon", request("GET", "/orders/h", auth + "X-A\r\n\r\n"), "malformed_request_header"},
      {"HTTP/2 request line", "GET /orders/h HTTP/2.0\r\nHost: x\r\n" + auth + "\r\n", nullptr},
      {"lower-case protocol", "GET /orders/h http/1.1\r\nHost: x\r\n" + auth + "\r\n", "malformed_request_header"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    RawClient client(f.port());
    REQUIRE(client.send(c.bytes + kSmuggled));
    const auto r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == 400);
    if (c.reason) CHECK(decode_error_reason(*r) == c.reason);
    CHECK(client.closed_by_peer());
  }
  CHECK(f.upstream.request_count() == 0);
  // Bytes 0x80-0xFF (obs-text) are legal in values and pass through byte for byte.
  RawClient client(f.port());
  REQUIRE(client.send(request("GET", "/orders/h", auth + "X-Name: caf\xc3\xa9 \xff\r\n\r\n")));
  const auto r = client.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  REQUIRE(f.upstream.request_count() == 1);
  CHECK(f.upstream.requests()[0].header("X-Name") == "caf\xc3\xa9 \xff");
}

TEST_CASE("hostile framing: a rejected request's body is never read as a request", "[integration][hostile]") {
  ProxyFixture f;
  const auto t = token();
  const std::string inner = "GET /public/inner HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string inner_chunk = [&] {
    char size[16];
    std::snprintf(size, sizeof size, "%zx", inner.size());
    return std::string(size) + "\r\n" + inner + "\r\n0\r\n\r\n";
  }();
  const std::string cl = "Content-Length: " + std::to_string(inner.size()) + "\r\n\r\n" + inner;
  const std::string te = "Transfer-Encoding: chunked\r\n\r\n" + inner_chunk;
  struct Case {
    const char* name;
    std::string bytes;
    int status;
  };
  const std::vector<Case> cases = {
      {"401, Content-Length", request("POST", "/orders/1", cl), 401},
      {"401, chunked", request("POST", "/orders/1", te), 401},
      {"401, keep-alive asked", request("POST", "/orders/1", "Connection: keep-alive\r\n" + cl), 401},
      {"401, Expect: 100-continue", request("POST", "/orders/1", "Expect: 100-continue\r\n" + cl), 401},
      {"401, bad token", request("POST", "/orders/1", "Authorization: Bearer a.b.c\r\n" + te), 401},
      {"403, denied route", request("POST", "/admin/1", "Authorization: " + bearer(t) + "\r\n" + cl), 403},
      {"403, claims", request("POST", "/orders/1", "Authorization: " + bearer(token(R"("scope":"x")")) + "\r\n" + te), 403},
      {"404, no route", request("POST", "/nowhere", te), 404},
      {"400, two tokens", request("POST", "/orders/1", "Authorization: " + bearer(t) + "\r\nAuthorization: " +
                                                           bearer(t) + "\r\n" + cl), 400},
      {"413, too large", request("POST", "/orders/1", "Authorization: " + bearer(t) +
                                                          "\r\nContent-Length: 99999999999\r\n\r\n" + inner), 413},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    RawClient client(f.port());
    REQUIRE(client.send(c.bytes));
    const auto r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == c.status);
    CHECK(r->header("Connection") == "close");
    CHECK(client.closed_by_peer());
  }
  CHECK(f.upstream.request_count() == 0);
  CHECK(f.upstream.connections_accepted() == 0);
}

TEST_CASE("hostile pipelining: only the first request carries a token", "[integration][hostile]") {
  ProxyFixture f;
  const auto t = token();
  const std::string auth = "Authorization: " + bearer(t) + "\r\n";
  const std::string second = "GET /orders/2 HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string third = "POST /orders/3 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nthird";
  const std::vector<std::pair<const char*, std::string>> firsts = {
      {"GET", request("GET", "/orders/1", auth + "\r\n")},
      {"POST with Content-Length", request("POST", "/orders/1", auth + "Content-Length: 5\r\n\r\nfirst")},
      {"POST chunked", request("POST", "/orders/1", auth + "Transfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n0\r\n\r\n")},
      {"POST with Expect", request("POST", "/orders/1", auth + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\nfirst")},
  };
  for (const auto& [name, first] : firsts) {
    INFO(name);
    const auto before = f.upstream.request_count();
    RawClient client(f.port());
    REQUIRE(client.send(first + second + third));
    auto r = client.read_response();  // a 100 Continue, if any, is skipped by the reader
    REQUIRE(r);
    CHECK(r->status == 200);
    r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(r->header("Connection") != "close");
    r = client.read_response();
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(client.closed_by_peer());  // the third had a body the proxy did not read
    const auto seen = seen_since(f.upstream, before);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].target == "/orders/1");
    CHECK(seen[0].body_prefix == (std::string(name) == "GET" ? "" : "first"));
    CHECK(seen[0].header("Authorization") == bearer(t));
  }
}
