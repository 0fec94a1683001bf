// One request on an HTTP/1.1 connection, as each request handler sees it (the proxy's, the
// auth service's), and the steps they share: the token headers, the decision (with a key
// refetch for an unknown kid), error answers, metrics and the access log. The connection
// loop (session.h) reads the header and hands it to the listener's handler.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "policies/engine.h"
#include "proxy/http1/header_reader.h"
#include "proxy/http1/responses.h"
#include "proxy/http1/worker.h"
#include "proxy/io/net.h"

namespace jwt_sidecar::proxy {

struct Exchange {
  Worker& worker;
  SessionScratch& scratch;
  const Runtime& rt;  // the config this request runs under, to its end
  ByteStream& stream;
  beast::flat_buffer& buffer;
  RequestHeaderParser& parser;  // the request header, read and checked
  const std::string& client_ip;
};

// What the access log and the metrics say about one request.
struct Outcome {
  unsigned status = 0;
  std::string_view decision = "reject";
  std::string_view reason;
  bool keep_alive = false;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  std::int64_t upstream_us = -1;
};

// Answers one request; returns whether the connection may carry another.
using RequestHandler = awaitable<bool> (*)(Exchange&);

using Clock = std::chrono::steady_clock;

bool has_request_body(const http::request<http::empty_body>& req);
// Origin and Access-Control-Request-Method are present (a CORS preflight when the method,
// the request's or a check's original one, is OPTIONS: the engine looks at that).
bool has_preflight_headers(const http::request<http::empty_body>& req);

// The request's headers that tokens are read from, into scratch.token_headers.
void collect_token_headers(Exchange& x);

// PolicyEngine::decide, and once more after a refetch when the token names a kid the
// provider's set lacks (a key the IdP may just have rotated in). Counts cache hits and misses.
// The second form is every front end's (HTTP/2 streams too); the first is HTTP/1.1's.
awaitable<policies::Decision> decide(Worker& w, const Runtime& rt, policies::RequestScratch& scratch,
                                     const policies::RequestView& view);
awaitable<policies::Decision> decide(Exchange& x, const policies::RequestView& view);

// The answer to a rejected decision (status, challenge, reason), and the rejection counter.
ErrorResponse error_for(const policies::Decision& d);
void count_token_rejection(const policies::Decision& d);

// Writes a rejected decision's answer (status, WWW-Authenticate, JSON body) and counts the
// token rejection.
awaitable<Outcome> answer_rejection(Exchange& x, const policies::Decision& d, bool keep_alive);
// Writes an error the proxy raises itself (a bad target, a body too large); closes after.
awaitable<Outcome> answer_error(Exchange& x, unsigned status, std::string_view error, std::string_view reason);

// Metrics and the access log. `listener` is "" for the proxy, "auth_service" for checks (an
// extra label and log field, so the proxy's series keep their v1 labels); `method` is what the
// log shows ("" for the request's own; a check logs the original request's).
void record(Exchange& x, Clock::time_point start, const policies::Decision& d, const Outcome& out,
            std::string_view listener = {}, std::string_view method = {});

// What one request's metrics and access line say beyond its decision and outcome.
struct RequestRecord {
  std::string_view listener;             // "" or "auth_service"
  std::string_view protocol = "http/1.1";  // or "h2"
  std::int64_t stream = -1;              // HTTP/2 stream id (-1: HTTP/1.1)
  std::string_view method, path;
};
void record(const RequestRecord& r, Clock::time_point start, const policies::Decision& d, const Outcome& out,
            const policies::RequestScratch& scratch);

awaitable<void> write_bytes(ByteStream& stream, const std::string& bytes, std::chrono::milliseconds timeout);

}  // namespace jwt_sidecar::proxy
