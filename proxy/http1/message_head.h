// The message heads the forwarder writes: the request the upstream receives and the response
// the client receives, each rendered into one buffer (hop-by-hop fields removed, framing
// re-emitted for the body actually sent, X-Forwarded-*, claim headers).
#pragma once

#include <optional>
#include <string>

#include "proxy/http1/forwarder.h"
#include "proxy/io/net.h"

namespace jwt_sidecar::proxy {

using ResponseBodyParser = http::response_parser<http::buffer_body>;

// Reading an upstream's response header (the forwarder's, and HTTP/2 streams forwarded to an
// HTTP/1.1 upstream). closed_early: the connection ended before the first byte (a stale
// pooled connection, which an idempotent request may be retried on).
enum class HeadRead { ok, timeout, closed_early, failed, bad };
// Reads a response header into `parser`, skipping interim 1xx responses other than 101.
awaitable<HeadRead> read_response_header(UpstreamConnection& conn, std::optional<ResponseBodyParser>& parser,
                                         bool head_request, std::chrono::milliseconds timeout);
// Whether a pooled connection is still open (one non-blocking peek).
bool still_open(UpstreamConnection& conn);
// RFC 9110 9.2.2: the methods a client may repeat with the same effect.
bool idempotent(http::verb method);

bool is_websocket_upgrade(const http::fields& fields);
// Whether a comma-separated list field (`name`, every occurrence) holds `token`, ignoring case:
// "Connection: keep-alive, X-Foo" holds "x-foo".
bool list_contains(const http::fields& fields, http::field name, std::string_view token);

// Request line and fields for the upstream: the client's end-to-end fields (minus names with
// '_', protected claim headers and, with forward_token: false, the token), framing,
// X-Forwarded-For/-Proto/-Host, the claim headers the decision computed.
void render_upstream_request(const Worker& worker, ForwardRequest& fr, const http::request<http::buffer_body>& req,
                             bool websocket, std::string& out);

// How a response body travels to the client.
enum class BodyOut {
  none,     // no body (HEAD, 1xx, 204, 304)
  raw,      // as received: Content-Length, or close-delimited to an HTTP/1.0 client
  chunked,  // re-chunked: chunked or close-delimited upstream body to an HTTP/1.1 client
};

// The response header the client receives. `keep_alive` may be turned off here when the body
// can only be delimited by closing the connection.
BodyOut render_client_response(const ResponseBodyParser& parser, unsigned client_version, bool bodiless,
                               bool upgraded, bool& keep_alive, std::string& out);

}  // namespace jwt_sidecar::proxy
