#include "proxy/http1/proxy_handler.h"

#include "common/path.h"
#include "proxy/http1/forwarder.h"
#include "proxy/observability/metrics.h"

namespace jwt_sidecar::proxy {
namespace {

// Absolute-form targets (RFC 9112 3.2.2) are reduced to origin-form; their authority must
// name the same host as the Host header, or the two could be routed differently.
bool reduce_absolute_form(std::string_view& target, std::string_view host) {
  std::string_view rest;
  if (target.size() > 7 && beast::iequals(target.substr(0, 7), "http://")) {
    rest = target.substr(7);
  } else if (target.size() > 8 && beast::iequals(target.substr(0, 8), "https://")) {
    rest = target.substr(8);
  } else {
    return true;  // not absolute-form: normalize_target() judges it
  }
  const auto slash = rest.find_first_of("/?");
  const auto authority = rest.substr(0, slash);
  if (!beast::iequals(authority, host)) return false;
  target = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  if (!target.empty() && target.front() == '?') return false;  // "http://h?q" has no path
  return true;
}

std::uint64_t content_length(const http::request<http::empty_body>& req) {
  const auto cl = req[http::field::content_length];
  std::uint64_t v = 0;
  for (const char c : cl) v = v * 10 + static_cast<std::uint64_t>(c - '0');  // digits checked
  return v;
}

awaitable<Outcome> forward_request(Exchange& x, const policies::Decision& d) {
  std::string base_path;
  const auto& upstream = x.rt.upstream_for(d.route->index, base_path);
  auto& target_parts = x.scratch.target;
  std::string target = base_path + target_parts.path;
  if (target_parts.has_query) {
    const auto query = d.strip_token ? d.token_location.strip_from_query(target_parts.query)
                                     : std::string(target_parts.query);
    if (!query.empty()) target += "?" + query;
  }
  ForwardRequest fr{x.stream, x.buffer, x.parser, x.rt, d, upstream, x.scratch, std::move(target), x.client_ip,
                    x.parser.get().keep_alive()};
  const auto result = co_await forward(x.worker, fr);
  Outcome o;
  o.status = result.status;
  o.decision = "allow";
  o.reason = result.reason;
  o.keep_alive = result.keep_alive;
  o.bytes_in = result.bytes_in;
  o.bytes_out = result.bytes_out;
  o.upstream_us = result.upstream_us;
  if (result.upstream_us >= 0) Metrics::instance().upstream(static_cast<double>(result.upstream_us) / 1e6);
  co_return o;
}

}  // namespace

awaitable<bool> handle_proxy_request(Exchange& x) {
  const auto start = Clock::now();
  auto& req = x.parser.get();
  const auto& limits = x.rt.config.limits;
  const bool may_keep = req.keep_alive() && !has_request_body(req) && !x.worker.state.draining.load();

  std::string_view target = req.target();
  const auto host = req[http::field::host];
  policies::Decision decision;
  Outcome out;
  if (!reduce_absolute_form(target, host)) {
    out = co_await answer_error(x, 400, "invalid_request", "absolute_form_host_mismatch");
  } else if (const auto err = common::normalize_target(target, x.scratch.target); err != common::TargetError::none) {
    out = co_await answer_error(x, 400, "invalid_request", common::reason(err));
  } else {
    collect_token_headers(x);
    policies::RequestView view{req.method_string(), host, x.scratch.target.match_path, x.scratch.token_headers,
                               x.scratch.target.query};
    view.cors_preflight = has_preflight_headers(req);
    decision = co_await decide(x, view);
    if (!decision.allowed()) {
      out = co_await answer_rejection(x, decision, may_keep);
    } else if (req.has_content_length() && content_length(req) > limits.max_body_bytes) {
      out = co_await answer_error(x, 413, "request_too_large", "body_too_large");
    } else {
      out = co_await forward_request(x, decision);
    }
  }
  record(x, start, decision, out);
  co_return out.keep_alive;
}

}  // namespace jwt_sidecar::proxy
