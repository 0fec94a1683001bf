// Hostile clients, one table per attack class: framing and smuggling, header bytes, limits and
// slow clients, route bypass, token transport. Every case has a double oracle: what the client
// gets (a status, or a closed connection), and exactly what the counting upstream received.
// http_framing_test.cpp and decisions_test.cpp hold the first one-off cases of several classes;
// the tables here widen them without repeating them.
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

using namespace jwt_sidecar::testing;
using namespace std::string_literals;
using jwt_sidecar::policies::Algorithm;

namespace {

using Clock = std::chrono::steady_clock;

// Sent right after each hostile request: a request to a public route, so only framing decides
// whether it reaches the upstream. It may do so only as the next request after one that was
// accepted and read to its end, never out of a refused request's bytes or body.
const std::string kSmuggled = "GET /public/smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

// What a test expects the upstream to have received for one case.
struct Seen {
  std::string target;
  std::string body;
};



// The upstream requests that arrived after the first `from`.
std::vector<SeenRequest> seen_since(const UpstreamServer& upstream, std::size_t from) {
  auto all = upstream.requests();
  return {all.begin() + static_cast<std::ptrdiff_t>(std::min(from, all.size())), all.end()};
}

void check_seen(const std::vector<SeenRequest>& got, const std::vector<Seen>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    CHECK(got[i].target == want[i].target);
    CHECK(got[i].body_prefix == want[i].body);
    CHECK(got[i].body_bytes == want[i].body.size());
  }
}

// A request line and Host for `target`, then `rest` (more header lines, the blank line, a body).
std::string request(const std::string& method, const std::string& target, const std::string& rest,
                    const std::string& host = "x") {
  return method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + rest;
}

std::string decode_error_reason(const Response& r) {
  const auto at = r.body.find("\"error_description\":\"");
  if (at == std::string::npos) return "";
  const auto from = at + 21;
  return r.body.substr(from, r.body.find('"', from) - from);
}

// How a lenient upstream might read a Host value: up to the first ':', '/', '?', '#', '\' or
// space, every trailing dot dropped, lower case. The route oracle uses it to ask "could a
// forwarded request be taken for the denied host by a less strict server?".
std::string lenient_host(std::string host) {
  host = host.substr(0, host.find_first_of(":/?#\\ "));
  while (!host.empty() && host.back() == '.') host.pop_back();
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

// A forwarded target's path without its query and without ";params" on any segment.
std::string path_for_matching(const std::string& target) {
  const auto path = target.substr(0, target.find('?'));
  std::string out;
  std::size_t i = 0;
  while (i < path.size()) {
    const auto slash = path.find('/', i + 1);
    auto segment = path.substr(i, slash == std::string::npos ? std::string::npos : slash - i);
    out += segment.substr(0, segment.find(';'));
    if (slash == std::string::npos) break;
    i = slash;
  }
  return out;
}


bool under(const std::string& path, const std::string& prefix) {
  return path == prefix || path.rfind(prefix + "/", 0) == 0;
}

// Whether the peer sent something (or closed) within `wait`: the pacing of a slow client.
bool readable_within(const RawClient& client, std::chrono::milliseconds wait) {
  pollfd p{client.fd(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
}

// Raises the soft limit on open files to at least `wanted` (the hard limit permitting); the
// proxy started afterwards inherits it.
void ensure_open_files(rlim_t wanted) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= wanted) return;
  rl.rlim_cur = std::min(wanted, rl.rlim_max);
  setrlimit(RLIMIT_NOFILE, &rl);
}

}  // namespace

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

// ---------------------------------------------------------------------------------------------
// Route bypass
// ---------------------------------------------------------------------------------------------

TEST_CASE("hostile routes: path, target and Host spellings aimed at denied and protected routes",
          "[integration][hostile]") {
  TempDir dir;
  UpstreamServer upstream;
  const auto jwks = dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}));
  ProxyProcess proxy("listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nthreads: 1\n"
                     "upstream: http://127.0.0.1:" + std::to_string(upstream.port()) + "\n"
                     "providers:\n  corp: {issuer: " + std::string(kIssuer) + ", audiences: [orders-api], jwks_file: " +
                     jwks + "}\n"
                     "routes:\n"
                     "  - name: admin-host\n    match: {host: admin.example.test}\n    auth: deny\n"
                     "  - name: admin\n    match: {prefix: /admin}\n    auth: deny\n"
                     "  - name: secret\n    match: {prefix: /secret}\n    claims: {scope: {all: [secret:read]}}\n"
                     "  - name: rest\n    match: {prefix: /}\n    auth: none\n");
  struct Case {
    std::string method, target, host;
    int status;
    std::string forwarded;  // for 200: the target the upstream must get
  };
  const std::string pub = "public.example.test";
  const std::string adm = "admin.example.test";
  const std::vector<Case> cases = {
      // Dot segments, encoded dots, repeated slashes: all resolve to the denied path.
      {"GET", "/admin", pub, 403, ""},
      {"GET", "//admin", pub, 403, ""},
      {"GET", "///admin//x", pub, 403, ""},
      {"GET", "/./admin", pub, 403, ""},
      {"GET", "/x/../admin", pub, 403, ""},
      {"GET", "/x/./../admin/", pub, 403, ""},
      {"GET", "/x/../../../admin", pub, 403, ""},
      {"GET", "/%2e%2e/admin", pub, 403, ""},
      {"GET", "/x/%2E%2e/admin", pub, 403, ""},
      {"GET", "/x/.%2e/admin", pub, 403, ""},
      {"GET", "/x/%2e./admin", pub, 403, ""},
      {"GET", "/%2e/admin", pub, 403, ""},
      {"GET", "/%61dmin", pub, 403, ""},
      {"GET", "/%61%64%6D%69%6e/x", pub, 403, ""},
      {"GET", "/admin?/public", pub, 403, ""},
      // Path parameters are ignored for matching, including on a dot-dot segment.
      {"GET", "/admin;x=1", pub, 403, ""},
      {"GET", "/admin;/x", pub, 403, ""},
      {"GET", "/x/..;/admin", pub, 403, ""},
      {"GET", "/x;a/../admin", pub, 403, ""},
      {"GET", "/x/..;a=b/admin/y", pub, 403, ""},
      // Encoded separators, backslashes, NUL, fragments: refused outright.
      {"GET", "/x/..%2fadmin", pub, 400, ""},
      {"GET", "/x%2F..%2Fadmin", pub, 400, ""},
      {"GET", "/x/..%5cadmin", pub, 400, ""},
      {"GET", "/x/..%5Cadmin", pub, 400, ""},
      {"GET", "/x\\..\\admin", pub, 400, ""},
      {"GET", "/admin%00", pub, 400, ""},
      {"GET", "/admin%", pub, 400, ""},
      {"GET", "/adm%zzin", pub, 400, ""},
      {"GET", "/admin#", pub, 400, ""},
      {"GET", "/x#/../admin", pub, 400, ""},
      // Spellings that are other paths, forwarded in canonical form (they cannot be /admin to
      // an upstream that follows RFC 3986).
      {"GET", "/admin%23x", pub, 200, "/admin%23x"},
      {"GET", "/admin%3bx", pub, 200, "/admin%3Bx"},
      {"GET", "/%252e%252e/admin", pub, 200, "/%252e%252e/admin"},
      {"GET", "/%c0%ae%c0%ae/admin", pub, 200, "/%C0%AE%C0%AE/admin"},
      {"GET", "/adminx", pub, 200, "/adminx"},
      {"GET", "/public?/../admin", pub, 200, "/public?/../admin"},
      // The protected route, without a token.
      {"GET", "/secret", pub, 401, ""},
      {"GET", "//secret/x", pub, 401, ""},
      {"GET", "/x/../secret", pub, 401, ""},
      {"GET", "/secret;x", pub, 401, ""},
      {"GET", "/%73ecret", pub, 401, ""},
      {"HEAD", "/secret", pub, 401, ""},
      // Absolute-form targets: reduced to their path, and their authority must be the Host.
      {"GET", "http://public.example.test/admin", pub, 403, ""},
      {"GET", "HTTP://PUBLIC.EXAMPLE.TEST/admin", pub, 403, ""},
      {"GET", "https://public.example.test/x/../admin", pub, 403, ""},
      {"GET", "http://public.example.test/secret", pub, 401, ""},
      {"GET", "http://admin.example.test/x", pub, 400, ""},
      {"GET", "http://public.example.test/x", adm, 400, ""},
      {"GET", "http://admin.example.test/x", adm, 403, ""},
      {"GET", "http://public.example.test:80/x", pub, 400, ""},
      {"GET", "http://user@public.example.test/x", pub, 400, ""},
      {"GET", "http://public.example.test?x", pub, 400, ""},
      {"GET", "http://public.example.test", pub, 200, "/"},
      {"GET", "ftp://public.example.test/x", pub, 400, ""},
      // Asterisk and authority forms.
      {"GET", "*", pub, 400, ""},
      {"OPTIONS", "*", pub, 400, ""},
      {"CONNECT", "admin.example.test:443", adm, 400, ""},
      {"CONNECT", "public.example.test:443", pub, 400, ""},
      {"CONNECT", "/admin", pub, 403, ""},
      // Host spellings of the denied host: case, trailing dot and port are ignored.
      {"GET", "/x", adm, 403, ""},
      {"GET", "/x", "ADMIN.EXAMPLE.TEST", 403, ""},
      {"GET", "/x", "Admin.Example.Test", 403, ""},
      {"GET", "/x", "admin.example.test.", 403, ""},
      {"GET", "/x", "admin.example.test:8080", 403, ""},
      {"GET", "/x", "admin.example.test.:443", 403, ""},
      {"GET", "/x", "aDmIn.example.test.:1", 403, ""},
      // Host values that are not host[:port] (RFC 9112 3.2: 400), which a lenient upstream
      // could still read as the denied host.
      {"GET", "/x", "admin.example.test:1:2", 400, ""},
      {"GET", "/x", "admin.example.test:", 403, ""},
      {"GET", "/x", "admin.example.test:x", 400, ""},
      {"GET", "/x", "admin.example.test..", 400, ""},
      {"GET", "/x", ".admin.example.test", 400, ""},
      {"GET", "/x", "admin%2eexample.test", 400, ""},
      {"GET", "/x", "admin.example.test:80@evil", 400, ""},
      {"GET", "/x", "admin.example.test#.public", 400, ""},
      {"GET", "/x", "admin.example.test?.public", 400, ""},
      {"GET", "/x", "admin.example.test\\.public", 400, ""},
      {"GET", "/x", "admin.example.test/", 400, ""},
      {"GET", "/x", "x@admin.example.test", 400, ""},
      {"GET", "/x", "admin.example.test,public", 400, ""},
      {"GET", "/x", "admin.example.test public", 400, ""},
      {"GET", "/x", "admin.example.test\"", 400, ""},
      {"GET", "/x", "[admin.example.test]", 400, ""},
      {"GET", "/x", "admin.example.test\xc2\xa0", 400, ""},
      // Other hosts pass.
      {"GET", "/x", pub, 200, "/x"},
      {"GET", "/x", "127.0.0.1:8080", 200, "/x"},
      {"GET", "/x", "[::1]:8080", 200, "/x"},
      {"GET", "/x", "admin.example.test.evil", 200, "/x"},
  };
  for (const auto& c : cases) {
    INFO(c.method << " " << c.target << " Host: " << c.host);
    const auto before = upstream.request_count();
    RawClient client(proxy.port());
    REQUIRE(client.send(c.method + " " + c.target + " HTTP/1.1\r\nHost: " + c.host + "\r\nConnection: close\r\n\r\n"));
    const auto r = client.read_response(c.method == "HEAD");
    REQUIRE(r);
    CHECK(r->status == c.status);
    const auto seen = seen_since(upstream, before);
    if (c.status == 200) {
      REQUIRE(seen.size() == 1);
      CHECK(seen[0].target == c.forwarded);
      CHECK(seen[0].header("Host") == c.host);
    } else {
      CHECK(seen.empty());
    }
  }
  // Whatever was forwarded is neither the denied path nor the protected one, and no Host a
  // lenient upstream could mistake for the denied host.
  for (const auto& seen : upstream.requests()) {
    INFO(seen.target << " Host: " << seen.header("Host"));
    const auto path = path_for_matching(seen.target);
    CHECK_FALSE(under(path, "/admin"));
    CHECK_FALSE(under(path, "/secret"));
    CHECK(lenient_host(seen.header("Host")) != adm);
  }
}

// ---------------------------------------------------------------------------------------------
// Token transport
// ---------------------------------------------------------------------------------------------

TEST_CASE("hostile token transport: schemes, places and sizes", "[integration][hostile]") {
  ProxyFixture f("", "    token_from: [{header: Authorization}, {cookie: access_token}, {query: access_token}]\n");
  const auto t = token();
  const auto big = token(R"("scope":"orders:read","pad":")" + std::string(9000, 'p') + "\"");
  REQUIRE(big.size() > 8192);
  REQUIRE(big.size() < 15000);
  const auto huge = token(R"("scope":"orders:read","pad":")" + std::string(20000, 'p') + "\"");
  struct Case {
    const char* name;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    int status;
    const char* reason;
  };
  using H = std::vector<std::pair<std::string, std::string>>;
  const std::vector<Case> cases = {
      {"Bearer", "/orders/1", H{{"Authorization", "Bearer " + t}}, 200, nullptr},
      {"bearer in lower case", "/orders/1", H{{"Authorization", "bearer " + t}}, 200, nullptr},
      {"BEARER in upper case", "/orders/1", H{{"Authorization", "BEARER " + t}}, 200, nullptr},
      {"two spaces after Bearer", "/orders/1", H{{"Authorization", "Bearer  " + t}}, 200, nullptr},
      {"header name in lower case", "/orders/1", H{{"authorization", "Bearer " + t}}, 200, nullptr},
      // A Bearer credential is judged, never taken for "no token" (an optional route would
      // otherwise pass it on unverified).
      {"Bearer alone", "/orders/1", H{{"Authorization", "Bearer"}}, 401, "malformed_token"},
      {"Bearer and spaces", "/orders/1", H{{"Authorization", "Bearer   "}}, 401, "malformed_token"},
      {"Bearer with a tab", "/orders/1", H{{"Authorization", "Bearer\t" + t}}, 200, nullptr},
      {"Bearer with a tab, forged", "/orders/1", H{{"Authorization", "Bearer\t" + t.substr(0, t.size() - 4) + "AAAA"}},
       401, "signature_invalid"},
      {"Bearer with a tab, optional route", "/maybe/1",
       H{{"Authorization", "Bearer\t" + t.substr(0, t.size() - 4) + "AAAA"}}, 401, "signature_invalid"},
      {"Bearer alone, optional route", "/maybe/1", H{{"Authorization", "Bearer"}}, 401, "malformed_token"},
      {"Basic", "/orders/1", H{{"Authorization", "Basic YWxpY2U6c2VjcmV0"}}, 401, "token_missing"},
      {"token without a scheme", "/orders/1", H{{"Authorization", t}}, 401, "token_missing"},
      {"another scheme", "/orders/1", H{{"Authorization", "Token " + t}}, 401, "token_missing"},
      {"Bearer with two credentials", "/orders/1", H{{"Authorization", "Bearer " + t + " " + t}}, 401, "malformed_token"},
      {"Bearer list in one header", "/orders/1", H{{"Authorization", "Bearer " + t + ", Bearer " + t}}, 401,
       "malformed_token"},
      {"Bearer with a quote", "/orders/1", H{{"Authorization", "Bearer \"" + t + "\""}}, 401, "malformed_token"},
      {"two Authorization headers", "/orders/1", H{{"Authorization", "Bearer " + t}, {"Authorization", "Bearer " + t}},
       400, "multiple_tokens"},
      {"Basic and Bearer", "/orders/1", H{{"Authorization", "Basic YWxpY2U6c2VjcmV0"}, {"Authorization", "Bearer " + t}},
       400, "multiple_tokens"},
      {"header and query", "/orders/1?access_token=" + t, H{{"Authorization", "Bearer " + t}}, 400, "multiple_tokens"},
      {"header and cookie", "/orders/1", H{{"Authorization", "Bearer " + t}, {"Cookie", "access_token=" + t}}, 400,
       "multiple_tokens"},
      {"cookie and query", "/orders/1?access_token=" + t, H{{"Cookie", "access_token=" + t}}, 400, "multiple_tokens"},
      {"query twice", "/orders/1?access_token=" + t + "&access_token=" + t, H{}, 400, "multiple_tokens"},
      {"query name percent-encoded", "/orders/1?access_token=" + t + "&access%5Ftoken=" + t, H{}, 400, "multiple_tokens"},
      {"cookie twice in one header", "/orders/1", H{{"Cookie", "access_token=" + t + "; access_token=" + t}}, 400,
       "multiple_tokens"},
      {"cookie in two headers", "/orders/1", H{{"Cookie", "access_token=" + t}, {"Cookie", "access_token=" + t}}, 400,
       "multiple_tokens"},
      {"empty query value with a header", "/orders/1?access_token=", H{{"Authorization", "Bearer " + t}}, 200, nullptr},
      {"cookie in quotes", "/orders/1", H{{"Cookie", "a=1; access_token=\"" + t + "\""}}, 200, nullptr},
      {"cookie name in another case", "/orders/1", H{{"Cookie", "Access_Token=" + t}}, 401, "token_missing"},
      {"token over max_token_bytes", "/orders/1", H{{"Authorization", "Bearer " + big}}, 401, "token_too_large"},
      {"token over max_token_bytes in a cookie", "/orders/1", H{{"Cookie", "access_token=" + big}}, 401, "token_too_large"},
      {"token over the header limit", "/orders/1", H{{"Authorization", "Bearer " + huge}}, 431, "header_too_large"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto before = f.upstream.request_count();
    const auto r = http_request(f.port(), "GET", c.target, c.headers);
    REQUIRE(r);
    CHECK(r->status == c.status);
    if (c.reason) CHECK(decode_error_reason(*r) == c.reason);
    CHECK(r->body.find(t.substr(0, 40)) == std::string::npos);
    CHECK(r->header("WWW-Authenticate").find(t.substr(0, 40)) == std::string::npos);
    CHECK(f.upstream.request_count() == before + (c.status == 200 ? 1 : 0));
    if (c.status == 200) CHECK(f.upstream.requests().back().header("x-user-id") == "alice");
  }
  // Tokens are never logged, whatever happened to them.
  flush_access_log(f.proxy);
  for (const auto& line : f.proxy.process().stdout_lines()) {
    CHECK(line.find(t.substr(t.size() - 30)) == std::string::npos);
    CHECK(line.find(big.substr(big.size() - 30)) == std::string::npos);
  }
}

TEST_CASE("hostile claims: values that would inject headers never add one at the upstream",
          "[integration][hostile]") {
  ProxyFixture f("", "    forward_payload_header: x-jwt-payload\n",
                 "{sub: x-user-id, email: x-user-email, roles: x-roles, org: x-org}");
  auto signed_with = [](const std::string& members) {
    return make_token(TestKey::shared_ec("P-256"), Algorithm::ES256, R"({"alg":"ES256","kid":"k1"})",
                      std::string(R"({"iss":")") + kIssuer + R"(","aud":"orders-api","scope":"orders:read","exp":)" +
                          std::to_string(unix_now() + 600) + "," + members + "}");
  };
  // The header names a plain token produces: no case below may add to them.
  REQUIRE(http_request(f.port(), "GET", "/orders/base",
                       {{"Authorization", bearer(signed_with(R"("sub":"alice","email":"a@x","roles":["r"],"org":{"a":1})"))}})
              ->status == 200);
  std::vector<std::string> base_names;
  const auto base = f.upstream.requests();
  for (const auto& [name, value] : base.back().headers) base_names.push_back(name);
  struct Case {
    const char* name;
    std::string members;
    std::vector<const char*> left_out;  // claim headers that must be absent
  };
  const std::vector<Case> cases = {
      {"CR LF in sub", R"("sub":"alice\r\nX-Injected: 1","email":"a@x")", {"x-user-id"}},
      {"LF in sub", R"("sub":"alice\nX-Injected: 1")", {"x-user-id"}},
      {"CR in sub", R"("sub":"alice\rX-Injected: 1")", {"x-user-id"}},
      {"NUL in sub", R"("sub":"alice\u0000X-Injected: 1")", {"x-user-id"}},
      {"escaped CR LF in sub", R"("sub":"alice\u000d\u000aX-Injected: 1")", {"x-user-id"}},
      {"DEL in email", R"("sub":"alice","email":"a\u007f@x")", {"x-user-email"}},
      {"vertical tab in email", R"("sub":"alice","email":"a\u000b@x")", {"x-user-email"}},
      // Arrays and objects go as JSON text, whose escapes keep CR and LF out of the value.
      {"CR LF in an array element", R"("sub":"alice","roles":["a","b\r\nX-Injected: 1"])", {}},
      {"CR LF in an object member", R"("sub":"alice","org":{"n":"a\r\nX-Injected: 1"})", {}},
      {"header-looking sub", R"("sub":"X-Injected: 1")", {}},
      {"sub that ends the header", R"("sub":"alice\r\n\r\nGET /admin HTTP/1.1")", {"x-user-id"}},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto before = f.upstream.request_count();
    const auto t = signed_with(c.members);
    const auto r = http_request(f.port(), "GET", "/orders/claims", {{"Authorization", bearer(t)}});
    REQUIRE(r);
    CHECK(r->status == 200);
    const auto seen = seen_since(f.upstream, before);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].count("X-Injected") == 0);
    for (const auto* h : c.left_out) CHECK(seen[0].count(h) == 0);
    for (const auto& [name, value] : seen[0].headers) {
      INFO(name << ": " << value);
      CHECK(std::find_if(base_names.begin(), base_names.end(), [&](const std::string& b) {
              return jwt_sidecar::common::equals_ignore_case(b, name);
            }) != base_names.end());
      CHECK(value.find_first_of("\r\n"s + '\0') == std::string::npos);
    }
  }
  CHECK(f.upstream.request_count() == cases.size() + 1);
  // A claim with a line break cannot split a log line either.
  flush_access_log(f.proxy);
  for (const auto& line : f.proxy.process().stdout_lines()) {
    CHECK(line.front() == '{');
    CHECK(line.back() == '}');
  }
}

TEST_CASE("hostile hop-by-hop: Connection and spoofed X-Forwarded-* cannot change what the proxy sets",
          "[integration][hostile]") {
  ProxyFixture f;
  const auto t = token();
  const auto r = http_request(f.port(), "GET", "/orders/hop",
                              {{"Authorization", bearer(t)},
                               {"Connection", "keep-alive, x-user-id, X-Forwarded-For, X-Forwarded-Host, Host, "
                                              "Content-Length, Transfer-Encoding, X-Drop-Me"},
                               {"X-Drop-Me", "1"},
                               {"X-User-Id", "mallory"},
                               {"X-Forwarded-For", "10.9.8.7"},
                               {"X-Forwarded-Host", "admin.example.test"},
                               {"X-Forwarded-Proto", "https"},
                               {"Keep-Alive", "timeout=5"},
                               {"Proxy-Authorization", "Basic eDp5"},
                               {"TE", "trailers"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  REQUIRE(f.upstream.request_count() == 1);
  const auto seen = f.upstream.requests()[0];
  CHECK(seen.count("x-user-id") == 1);
  CHECK(seen.header("x-user-id") == "alice");
  CHECK(seen.count("X-Forwarded-For") == 1);
  CHECK(seen.header("X-Forwarded-For") == "127.0.0.1");  // a header Connection names is dropped whole
  CHECK(seen.count("X-Forwarded-Host") == 1);
  CHECK(seen.header("X-Forwarded-Host") == "127.0.0.1");
  CHECK(seen.header("X-Forwarded-Proto") == "http");
  CHECK(seen.header("Host") == "127.0.0.1");
  CHECK(seen.header("Authorization") == bearer(t));
  for (const char* gone : {"X-Drop-Me", "Keep-Alive", "Proxy-Authorization", "TE", "Connection"}) {
    INFO(gone);
    CHECK(seen.count(gone) == 0);
  }
  // Without Connection naming it, a client's X-Forwarded-For is kept and the client appended.
  REQUIRE(http_request(f.port(), "GET", "/public/xff", {{"X-Forwarded-For", "10.9.8.7"}})->status == 200);
  CHECK(f.upstream.requests()[1].header("X-Forwarded-For") == "10.9.8.7, 127.0.0.1");
}
