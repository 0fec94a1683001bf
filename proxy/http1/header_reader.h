// Reads one request header off a client connection, strictly: the raw bytes are checked
// before Beast parses them (Beast tolerates obs-fold and repeated equal Content-Lengths, which
// a proxy must refuse: RFC 9112 5.2 and 6.3), and framing is validated after.
#pragma once

#include <string_view>

#include "proxy/io/net.h"
#include "proxy/io/stream.h"

namespace jwt_sidecar::proxy {

struct HeaderReadLimits {
  std::size_t max_header_bytes;
  std::chrono::milliseconds first_byte_timeout;  // idle time allowed before a request starts
  std::chrono::milliseconds header_timeout;      // time allowed for the whole header
};

struct HeaderReadResult {
  enum class Kind {
    ok,
    closed,     // the peer closed, or stayed idle, before sending a byte: close quietly
    timeout,    // the header did not arrive in time: 408
    too_large,  // 431
    bad,        // 400, with `reason`
  };
  Kind kind = Kind::ok;
  std::string_view reason;
};

using RequestHeaderParser = http::request_parser<http::empty_body>;

awaitable<HeaderReadResult> read_request_header(ByteStream& stream,
                                                beast::flat_buffer& buffer,
                                                RequestHeaderParser& parser,
                                                const HeaderReadLimits& limits);

// Checks the framing of a parsed request header (RFC 9112 section 6): Host, Content-Length,
// Transfer-Encoding; and that the method has no lower-case letter. Returns "" when acceptable, else a reason for a 400.
std::string_view check_request_framing(const http::request<http::empty_body>& req);

// Scans raw header bytes [0, size) for what RFC 9112 forbids or a proxy must not pass on:
// bare CR or LF, obs-fold, NUL and other control bytes. Returns "" when clean.
std::string_view check_raw_header(std::string_view raw);

}  // namespace jwt_sidecar::proxy
