#include "proxy/auth_service/check_handler.h"

#include <algorithm>
#include <vector>

#include "common/path.h"
#include "proxy/auth_service/original_request.h"

namespace jwt_sidecar::proxy {
namespace {

constexpr std::string_view kListener = "auth_service";

// 200, no body, the claim headers as response headers (what nginx's auth_request_set,
// Traefik's authResponseHeaders, Caddy's copy_headers and Envoy's allowed_upstream_headers
// pick up). Every configured claim header is answered, empty when the request has no such
// claim (or no token): a front proxy copying a header the answer lacks may keep the client's
// own copy, or (Caddy 2.6) write its placeholder's text, so the answer always names them all.
std::string render_allowed(const policies::RequestScratch& scratch, const std::vector<std::string>& claim_headers,
                           bool keep_alive) {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nCache-Control: no-store\r\n";
  for (const auto& [name, value] : scratch.claim_headers) {
    out.append(name).append(": ").append(value).append("\r\n");
  }
  for (const auto& name : claim_headers) {
    const bool given = std::any_of(scratch.claim_headers.begin(), scratch.claim_headers.end(),
                                   [&](const auto& h) { return beast::iequals(h.first, name); });
    if (!given) out.append(name).append(":\r\n");
  }
  if (!keep_alive) out += "Connection: close\r\n";
  return out + "\r\n";
}

}  // namespace

awaitable<bool> handle_check(Exchange& x) {
  const auto start = Clock::now();
  auto& req = x.parser.get();
  // Checks carry no body (nginx and Envoy send none). One that does is answered and the
  // connection closed: the body is never read.
  const bool may_keep = req.keep_alive() && !has_request_body(req) && !x.worker.state.draining.load();
  std::vector<CheckField> fields;
  fields.reserve(16);
  for (const auto& f : req) fields.push_back({f.name_string(), f.value()});

  policies::Decision decision;
  Outcome out;
  std::string_view reason;
  const auto original = read_original_request({req.method_string(), req.target(), fields},
                                              *x.rt.config.auth_service, reason);
  if (!original) {
    x.scratch.target.clear();
    out = co_await answer_error(x, 400, "invalid_request", reason);
    record(x, start, decision, out, kListener);
    co_return false;
  }
  // The original target is normalised exactly as the proxy normalises a request's.
  if (const auto err = common::normalize_target(original->target, x.scratch.target); err != common::TargetError::none) {
    out = co_await answer_error(x, 400, "invalid_request", common::reason(err));
    record(x, start, decision, out, kListener, original->method);
    co_return false;
  }
  // Tokens: the check's headers and cookies (the front proxy passes the client's on), and the
  // original URI's query; never the check's own query (Caddy copies the client's onto it).
  collect_token_headers(x);
  policies::RequestView view{original->method, original->host, x.scratch.target.match_path,
                             x.scratch.token_headers, x.scratch.target.query};
  view.cors_preflight = has_preflight_headers(req);
  decision = co_await decide(x, view);
  if (!decision.allowed()) {
    out = co_await answer_rejection(x, decision, may_keep);
  } else {
    out.status = 200;
    out.decision = "allow";
    out.reason = decision.reason;
    out.keep_alive = may_keep;
    co_await write_bytes(x.stream, render_allowed(x.scratch.request, x.rt.engine->protected_header_names(), may_keep),
                         x.rt.config.limits.idle_timeout);
  }
  record(x, start, decision, out, kListener, original->method);
  co_return out.keep_alive;
}

}  // namespace jwt_sidecar::proxy
