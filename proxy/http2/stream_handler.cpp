#include "proxy/http2/stream_handler.h"

#include <charconv>

#include "common/ascii.h"
#include "common/path.h"
#include "proxy/http1/exchange.h"
#include "proxy/http2/client_session.h"
#include "proxy/http2/forward.h"
#include "proxy/http2/grpc.h"
#include "proxy/http2/server_session.h"
#include "proxy/observability/metrics.h"

namespace jwt_sidecar::proxy::h2 {
namespace {

// The request head as the decision needs it. nghttp2 has already checked the pseudo-header
// rules of RFC 9113 8.3 (present, once, before the regular fields, no connection-specific
// fields); what it leaves to us is below.
struct Head {
  std::string_view method, authority, path;
  std::optional<std::uint64_t> content_length;
  std::string cookie;  // crumbs joined with "; " (RFC 9113 8.2.3)
  bool any_cookie = false;
  bool preflight_origin = false, preflight_method = false;
};

// "" when the head is usable, else the reason of a 400.
std::string_view read_head(const Stream& st, Head& h) {
  std::string_view host;
  bool any_host = false;
  for (const auto& f : st.headers) {
    const std::string_view n = f.name;
    if (n == ":method") h.method = f.value;
    else if (n == ":authority") h.authority = f.value;
    else if (n == ":path") h.path = f.value;
    else if (n == "host") {
      if (any_host) return "duplicate_host";
      host = f.value;
      any_host = true;
    } else if (n == "content-length") {
      std::uint64_t v = 0;
      const auto [end, ec] = std::from_chars(f.value.data(), f.value.data() + f.value.size(), v);
      if (ec != std::errc() || end != f.value.data() + f.value.size()) return "invalid_content_length";
      h.content_length = v;
    } else if (n == "cookie") {
      h.cookie.append(h.any_cookie ? "; " : "").append(f.value);
      h.any_cookie = true;
    } else if (n == "origin") h.preflight_origin = true;
    else if (n == "access-control-request-method") h.preflight_method = true;
  }
  if (h.method == "CONNECT") return "connect_not_supported";
  if (h.authority.empty()) h.authority = host;
  // RFC 9113 8.3.1: a Host that disagrees with :authority could route differently.
  else if (any_host && !common::equals_ignore_case(host, h.authority)) return "authority_host_mismatch";
  if (h.authority.empty()) return "missing_authority";
  if (h.path.empty()) return "missing_path";
  return "";
}

// The fields tokens are read from: every field the configured sources name, and the cookie
// crumbs as one field (the Head's joined copy, which outlives the decision).
void collect_token_headers(const Stream& st, const Head& h, const Runtime& rt, SessionScratch& scratch) {
  auto& out = scratch.token_headers;
  const auto& wanted = rt.engine->token_header_names();
  for (const auto& f : st.headers) {
    if (f.name == "cookie" || f.name.front() == ':') continue;
    for (const auto& name : wanted) {
      if (common::equals_ignore_case(f.name, name)) {
        out.push_back({f.name, f.value});
        break;
      }
    }
  }
  if (h.any_cookie) out.push_back({"cookie", h.cookie});
}

// The answer the proxy gives itself: JSON, or for gRPC a Trailers-Only response (one HEADERS
// frame with END_STREAM: :status 200, grpc-status, grpc-message; DESIGN.md).
void answer(ServerSession& c, Stream& st, const ErrorResponse& r, bool head) {
  c.discard_request(st);
  std::vector<Field> fields;
  if (st.grpc) {
    fields = {{":status", "200"},
              {"content-type", "application/grpc"},
              {"grpc-status", std::to_string(grpc::status_for_http(r.status))},
              {"grpc-message", grpc::percent_encode_message(r.description)}};
    if (r.challenge) fields.push_back({"www-authenticate", challenge_value(r)});
    c.submit_response(st, fields, false);
    return;
  }
  auto body = error_body(r);
  fields = {{":status", std::to_string(r.status)},
            {"content-type", "application/json"},
            {"cache-control", "no-store"},
            {"content-length", std::to_string(body.size())}};
  if (r.challenge) fields.push_back({"www-authenticate", challenge_value(r)});
  if (r.retry_after) fields.push_back({"retry-after", std::to_string(*r.retry_after)});
  if (head) {
    c.submit_response(st, fields, false);
    return;
  }
  st.response.push(body);
  st.response.ended = true;
  c.submit_response(st, fields, true);
}

Outcome answer_error(ServerSession& c, Stream& st, unsigned status, std::string_view error, std::string_view reason,
                     bool head) {
  ErrorResponse r;
  r.status = status;
  r.error = error;
  r.description = reason;
  answer(c, st, r, head);
  Outcome o;
  o.status = status;
  o.reason = reason;
  return o;
}

std::string_view error_name(unsigned status) {
  switch (status) {
    case 413: return "request_too_large";
    case 431: return "header_too_large";
    case 400: return "invalid_request";
    case 404: return "not_found";
    default: return "upstream_error";
  }
}

// The allowed stream, forwarded: the upstream's answer, or the proxy's own when the upstream
// could not give one.
awaitable<Outcome> forward_stream(ServerSession& c, Stream& st, const Runtime& rt, const policies::Decision& d,
                                  SessionScratch& scratch, const Head& h) {
  std::string base_path;
  const auto& upstream = rt.upstream_for(d.route->index, base_path);
  auto& target_parts = scratch.target;
  std::string target = base_path + target_parts.path;
  if (target_parts.has_query) {
    const auto query = d.strip_token ? d.token_location.strip_from_query(target_parts.query)
                                     : std::string(target_parts.query);
    if (!query.empty()) target += "?" + query;
  }
  Forward f{c, st, rt, d, scratch, upstream, std::move(target), h.method, h.authority,
            upstream_request_fields(st, rt, d, scratch, h.authority, c.client_ip(), c.tls()), h.content_length,
            h.method == "HEAD"};
  ForwardOutcome result;
  ConnectError error = ConnectError::none;
  auto& w = c.worker();
  const auto protocol = co_await ClientPool::of(w).protocol_of(upstream, w.pool, rt.config.limits.upstream_timeout, error);
  if (protocol == UpstreamProtocol::h2) {
    result = co_await forward_h2(f);
  } else if (protocol == UpstreamProtocol::http1) {
    result = co_await forward_http1(f);
  } else {
    result.status = error == ConnectError::timeout ? 504 : 502;
    result.reason = error == ConnectError::timeout ? "upstream_timeout"
                    : error == ConnectError::tls   ? "upstream_tls_failed"
                                                   : "upstream_unreachable";
  }
  if (result.upstream_us >= 0) Metrics::instance().upstream(static_cast<double>(result.upstream_us) / 1e6);
  Outcome o;
  o.decision = "allow";
  if (!result.answered && result.status != 0 && !st.closed) {
    o = answer_error(c, st, result.status, error_name(result.status), result.reason, f.head);
    o.decision = "allow";
  }
  o.status = result.status;
  o.reason = result.reason;
  o.upstream_us = result.upstream_us;
  co_return o;
}

}  // namespace

awaitable<void> serve_stream(std::shared_ptr<ServerSession> conn, std::shared_ptr<Stream> sp) {
  struct Finished {
    ServerSession& c;
    ~Finished() { c.handler_finished(); }
  } finished{*conn};
  Stream& st = *sp;
  if (st.closed) co_return;  // reset before it was served (a rapid reset): nothing to do
  const auto start = Clock::now();
  auto& w = conn->worker();
  const std::shared_ptr<const Runtime> rt = w.current();
  const auto& limits = rt->config.limits;
  SessionScratch scratch;
  Head h;
  for (const auto& f : st.headers) {
    if (f.name == "content-type") st.grpc = grpc::is_grpc_content_type(f.value);
  }
  policies::Decision decision;
  Outcome out;
  const auto bad = st.header_too_large ? std::string_view() : read_head(st, h);
  const bool head = h.method == "HEAD";
  if (st.header_too_large) {
    out = answer_error(*conn, st, 431, "header_too_large", "header_too_large", false);
  } else if (!bad.empty()) {
    out = answer_error(*conn, st, 400, "invalid_request", bad, head);
  } else if (const auto err = common::normalize_target(h.path, scratch.target); err != common::TargetError::none) {
    out = answer_error(*conn, st, 400, "invalid_request", common::reason(err), head);
  } else if (st.grpc && !grpc::is_method_path(h.path)) {
    out = answer_error(*conn, st, 404, "not_found", "invalid_grpc_path", head);
  } else {
    collect_token_headers(st, h, *rt, scratch);
    policies::RequestView view{h.method, h.authority, scratch.target.match_path, scratch.token_headers,
                               scratch.target.query};
    view.cors_preflight = h.preflight_origin && h.preflight_method;
    decision = co_await decide(w, *rt, scratch.request, view);
    if (st.closed) {
      out.reason = "client_aborted";
    } else if (!decision.allowed()) {
      auto r = error_for(decision);
      answer(*conn, st, r, head);
      count_token_rejection(decision);
      out.status = decision.http_status;
      out.reason = decision.reason;
    } else if (!st.grpc && h.content_length && *h.content_length > limits.max_body_bytes) {
      out = answer_error(*conn, st, 413, "request_too_large", "body_too_large", head);
      out.decision = "allow";
    } else {
      out = co_await forward_stream(*conn, st, *rt, decision, scratch, h);
    }
  }
  out.bytes_in = st.bytes_in;
  out.bytes_out = st.bytes_out;
  if (st.reset_by_client && out.reason == "ok") out.reason = "client_aborted";
  RequestRecord rec;
  rec.protocol = "h2";
  rec.stream = st.id;
  rec.method = h.method;
  rec.path = scratch.target.path.empty() ? h.path : std::string_view(scratch.target.path);
  record(rec, start, decision, out, scratch.request);
}

}  // namespace jwt_sidecar::proxy::h2
