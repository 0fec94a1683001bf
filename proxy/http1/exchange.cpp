#include "proxy/http1/exchange.h"

#include "proxy/keys/jwks_fetcher.h"
#include "proxy/observability/log.h"
#include "proxy/observability/metrics.h"
#include "proxy/runtime/clock.h"

namespace jwt_sidecar::proxy {

ErrorResponse error_for(const policies::Decision& d) {
  ErrorResponse r;
  r.status = d.http_status;
  r.description = d.reason;
  r.challenge = d.challenge;
  r.retry_after = d.retry_after;
  if (!d.error.empty()) {
    r.error = d.error;
  } else {
    r.challenge_error = false;  // RFC 6750 3.1: no error code when no token was sent
    r.error = d.http_status == 401 ? "unauthorized"
              : d.http_status == 403 ? "access_denied"
              : d.http_status == 404 ? "not_found"
              : d.http_status == 503 ? "temporarily_unavailable"
                                     : "invalid_request";
  }
  return r;
}

void count_token_rejection(const policies::Decision& d) {
  if (d.token_status != policies::Status::ok) {
    Metrics::instance().token_rejection(d.provider ? d.provider->name() : "", policies::reason(d.token_status));
  }
}

awaitable<void> write_bytes(ByteStream& stream, const std::string& bytes, std::chrono::milliseconds timeout) {
  co_await stream.write(net::buffer(bytes), deadline_in(timeout));
}

bool has_request_body(const http::request<http::empty_body>& req) {
  if (req.chunked()) return true;
  const auto cl = req[http::field::content_length];
  return !cl.empty() && cl != "0";
}

bool has_preflight_headers(const http::request<http::empty_body>& req) {
  return req.find(http::field::origin) != req.end() && req.find(http::field::access_control_request_method) != req.end();
}

void collect_token_headers(Exchange& x) {
  auto& out = x.scratch.token_headers;
  out.clear();
  const auto& wanted = x.rt.engine->token_header_names();
  for (const auto& f : x.parser.get()) {
    const auto name = f.name_string();
    for (const auto& w : wanted) {
      if (beast::iequals(name, w)) {
        out.push_back({name, f.value()});
        break;
      }
    }
  }
}

awaitable<policies::Decision> decide(Exchange& x, const policies::RequestView& view) {
  return decide(x.worker, x.rt, x.scratch.request, view);
}

awaitable<policies::Decision> decide(Worker& w, const Runtime& rt, policies::RequestScratch& scratch,
                                     const policies::RequestView& view) {
  auto decision = rt.engine->decide(view, unix_seconds(), scratch, w.cache_for(rt));
  if (decision.token_status == policies::Status::key_not_found && decision.provider && w.state.fetcher) {
    const auto waited_from = Clock::now();
    const bool fetched = co_await w.state.fetcher->refetch_for_unknown_kid(*decision.provider);
    log_debug("unknown kid",
              {{"provider", decision.provider->name()}, {"refetched", fetched ? "yes" : "no"},
               {"waited_us", std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - waited_from).count()}});
    if (fetched) decision = rt.engine->decide(view, unix_seconds(), scratch, w.cache_for(rt));
  }
  if (decision.cache == policies::Decision::Cache::hit) Metrics::instance().cache_hit();
  if (decision.cache == policies::Decision::Cache::miss) Metrics::instance().cache_miss();
  co_return decision;
}

awaitable<Outcome> answer_rejection(Exchange& x, const policies::Decision& d, bool keep_alive) {
  ErrorResponse r = error_for(d);
  r.keep_alive = keep_alive;
  r.head = x.parser.get().method() == http::verb::head;
  Outcome out;
  out.status = d.http_status;
  out.reason = d.reason;
  out.keep_alive = keep_alive;
  co_await write_bytes(x.stream, render_error_response(r), x.rt.config.limits.idle_timeout);
  count_token_rejection(d);
  co_return out;
}

awaitable<Outcome> answer_error(Exchange& x, unsigned status, std::string_view error, std::string_view reason) {
  ErrorResponse r;
  r.status = status;
  r.error = error;
  r.description = reason;
  co_await write_bytes(x.stream, render_error_response(r), x.rt.config.limits.idle_timeout);
  Outcome o;
  o.status = status;
  o.reason = reason;
  co_return o;
}

void record(Exchange& x, Clock::time_point start, const policies::Decision& d, const Outcome& out,
            std::string_view listener, std::string_view method) {
  RequestRecord r;
  r.listener = listener;
  r.method = method.empty() ? std::string_view(x.parser.get().method_string()) : method;
  r.path = x.scratch.target.path;
  record(r, start, d, out, x.scratch.request);
}

void record(const RequestRecord& r, Clock::time_point start, const policies::Decision& d, const Outcome& out,
            const policies::RequestScratch& scratch) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  const std::string_view route = d.route ? std::string_view(d.route->name) : std::string_view{};
  Metrics::instance().request(route, out.decision, out.status, static_cast<double>(us) / 1e6, r.listener, r.protocol);
  AccessLogEntry e;
  e.listener = r.listener;
  e.protocol = r.protocol;
  e.stream = r.stream;
  e.method = r.method;
  e.path = r.path;
  e.route = route;
  e.decision = out.decision;
  e.reason = out.reason;
  e.provider = d.provider ? std::string_view(d.provider->name()) : std::string_view{};
  const auto& sub = scratch.jws.claims().sub;
  e.sub = d.verified && sub ? std::string_view(*sub) : std::string_view{};
  e.status = out.status;
  e.duration_us = us;
  e.upstream_us = out.upstream_us;
  e.bytes_in = out.bytes_in;
  e.bytes_out = out.bytes_out;
  Logger::instance().access(e);
}

}  // namespace jwt_sidecar::proxy
