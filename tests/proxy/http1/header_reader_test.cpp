#include "proxy/http1/header_reader.h"

#include <catch2/catch.hpp>

#include <string>

using namespace jwt_sidecar::proxy;
using namespace std::string_literals;

namespace {

// Parses `raw` (a complete request header) with Beast and returns check_request_framing's verdict.
std::string framing_of(const std::string& raw) {
  RequestHeaderParser parser;
  parser.eager(false);
  error_code ec;
  parser.put(net::buffer(raw), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(parser.is_header_done());
  return std::string(check_request_framing(parser.get()));
}

}  // namespace

TEST_CASE("check_raw_header: line endings and control bytes", "[header_reader]") {
  CHECK(check_raw_header("GET / HTTP/1.1\r\nHost: a\r\n") == "");
  CHECK(check_raw_header("GET / HTTP/1.1\r\nX: a\tb\r\n") == "");  // HTAB is allowed in values
  CHECK(check_raw_header("GET / HTTP/1.1\rHost: a\r\n") == "bare_cr_in_header");
  CHECK(check_raw_header("GET / HTTP/1.1\r\nHost: a\r") == "bare_cr_in_header");
  CHECK(check_raw_header("GET / HTTP/1.1\nHost: a\r\n") == "bare_lf_in_header");
  CHECK(check_raw_header("GET / HTTP/1.1\r\nX: a\r\n b\r\n") == "obs_fold_in_header");
  CHECK(check_raw_header("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n") == "obs_fold_in_header");
  CHECK(check_raw_header("GET / HTTP/1.1\r\nX: a\0b\r\n"s) == "nul_in_header");
  CHECK(check_raw_header("GET / HTTP/1.1\r\nX: a\x01" "b\r\n") == "control_character_in_header");
  CHECK(check_raw_header("GET / HTTP/1.1\r\nX: a\x7f" "b\r\n") == "control_character_in_header");
  // Far from the start, past the 16-byte blocks of the fast scan.
  CHECK(check_raw_header("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\x1b\r\n") ==
        "control_character_in_header");
}

TEST_CASE("check_request_framing: Host, Content-Length, Transfer-Encoding", "[header_reader]") {
  CHECK(framing_of("GET / HTTP/1.1\r\nHost: a.test:8080\r\n\r\n") == "");
  CHECK(framing_of("GET / HTTP/1.0\r\n\r\n") == "");
  CHECK(framing_of("GET / HTTP/1.1\r\n\r\n") == "missing_host_header");
  CHECK(framing_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == "multiple_host_headers");
  CHECK(framing_of("GET / HTTP/1.1\r\nHost: a..b\r\n\r\n") == "invalid_host_header");
  CHECK(framing_of("GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n") == "invalid_host_header");
  CHECK(framing_of("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n") == "");
  CHECK(framing_of("GET / HTTP/1.1\r\nHost: [zz]\r\n\r\n") == "invalid_host_header");
  CHECK(framing_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n") == "");
  CHECK(framing_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n") == "");
  CHECK(framing_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n") ==
        "unsupported_transfer_encoding");
  CHECK(framing_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") == "transfer_encoding_in_http10");
}

TEST_CASE("check_request_framing: a method with a lower-case letter is refused", "[header_reader]") {
  // RFC 9110 9.1: "get" is not GET, but an upstream that upper-cases it would serve it as one
  // after it skipped a route scoped to GET.
  CHECK(framing_of("get / HTTP/1.1\r\nHost: a\r\n\r\n") == "invalid_method");
  CHECK(framing_of("Get / HTTP/1.1\r\nHost: a\r\n\r\n") == "invalid_method");
  CHECK(framing_of("DELETe / HTTP/1.1\r\nHost: a\r\n\r\n") == "invalid_method");
  CHECK(framing_of("PURGE / HTTP/1.1\r\nHost: a\r\n\r\n") == "");
  CHECK(framing_of("M-SEARCH / HTTP/1.1\r\nHost: a\r\n\r\n") == "");
}
