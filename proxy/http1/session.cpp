#include "proxy/runtime/clock.h"
#include "proxy/http1/session.h"

#include <chrono>

#include "common/json_text.h"
#include "proxy/http1/forwarder.h"
#include "proxy/http1/header_reader.h"
#include "proxy/keys/jwks_fetcher.h"
#include "proxy/observability/log.h"
#include "proxy/observability/metrics.h"
#include "proxy/http1/responses.h"

namespace jwt_sidecar::proxy {
namespace {

using Clock = std::chrono::steady_clock;

struct Outcome {
  unsigned status = 0;
  std::string_view decision = "reject";
  std::string_view reason;
  bool keep_alive = false;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  std::int64_t upstream_us = -1;
};

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

awaitable<void> write_bytes(ByteStream& stream, const std::string& bytes, std::chrono::milliseconds timeout) {
  co_await stream.write(net::buffer(bytes), deadline_in(timeout));
}

bool has_request_body(const http::request<http::empty_body>& req) {
  if (req.chunked()) return true;
  const auto cl = req[http::field::content_length];
  return !cl.empty() && cl != "0";
}

std::uint64_t content_length(const http::request<http::empty_body>& req) {
  const auto cl = req[http::field::content_length];
  std::uint64_t v = 0;
  for (const char c : cl) v = v * 10 + static_cast<std::uint64_t>(c - '0');  // digits checked
  return v;
}

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

class RequestHandler {
 public:
  RequestHandler(Worker& w, SessionScratch& sc, const Runtime& rt, ByteStream& s,
                 beast::flat_buffer& b, RequestHeaderParser& p, const std::string& ip)
      : w_(w), sc_(sc), rt_(rt), stream_(s), buffer_(b), parser_(p), client_ip_(ip) {}

  awaitable<bool> handle() {
    const auto start = Clock::now();
    auto& req = parser_.get();
    const auto& limits = rt_.config.limits;
    const bool may_keep = req.keep_alive() && !has_request_body(req) && !w_.state.draining.load();

    std::string_view target = req.target();
    const auto host = req[http::field::host];
    policies::Decision decision;
    Outcome out;
    if (!reduce_absolute_form(target, host)) {
      out = co_await reject(400, "invalid_request", "absolute_form_host_mismatch");
    } else if (const auto err = common::normalize_target(target, sc_.target);
               err != common::TargetError::none) {
      out = co_await reject(400, "invalid_request", common::reason(err));
    } else {
      collect_token_headers(req);
      const policies::RequestView view{req.method_string(), host, sc_.target.match_path,
                                       sc_.token_headers, sc_.target.query};
      decision = rt_.engine->decide(view, unix_seconds(), sc_.request, w_.cache_for(rt_));
      // A kid the set lacks may be a key the IdP just rotated in: refetch (coalesced and
      // rate-limited by the fetcher) and decide once more.
      if (decision.token_status == policies::Status::key_not_found && decision.provider &&
          w_.state.fetcher) {
        const auto waited_from = Clock::now();
        const bool fetched = co_await w_.state.fetcher->refetch_for_unknown_kid(*decision.provider);
        log_debug("unknown kid", {{"provider", decision.provider->name()}, {"refetched", fetched ? "yes" : "no"},
                                  {"waited_us", std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - waited_from).count()}});
        if (fetched) decision = rt_.engine->decide(view, unix_seconds(), sc_.request, w_.cache_for(rt_));
      }
      if (decision.cache == policies::Decision::Cache::hit) Metrics::instance().cache_hit();
      if (decision.cache == policies::Decision::Cache::miss) Metrics::instance().cache_miss();
      if (!decision.allowed()) {
        ErrorResponse r = error_for(decision);
        r.keep_alive = may_keep;
        r.head = req.method() == http::verb::head;
        out.status = decision.http_status;
        out.reason = decision.reason;
        out.keep_alive = may_keep;
        co_await write_bytes(stream_, render_error_response(r), limits.idle_timeout);
        if (decision.token_status != policies::Status::ok) {
          Metrics::instance().token_rejection(decision.provider ? decision.provider->name() : "",
                                              policies::reason(decision.token_status));
        }
      } else if (req.has_content_length() && content_length(req) > limits.max_body_bytes) {
        out = co_await reject(413, "request_too_large", "body_too_large");
      } else {
        out = co_await forward_request(decision);
      }
    }
    finish(start, decision, out);
    co_return out.keep_alive;
  }

 private:
  awaitable<Outcome> reject(unsigned status, std::string_view error, std::string_view reason) {
    ErrorResponse r;
    r.status = status;
    r.error = error;
    r.description = reason;
    co_await write_bytes(stream_, render_error_response(r), rt_.config.limits.idle_timeout);
    Outcome o;
    o.status = status;
    o.reason = reason;
    co_return o;
  }

  awaitable<Outcome> forward_request(const policies::Decision& d) {
    std::string base_path;
    const auto& upstream = rt_.upstream_for(d.route->index, base_path);
    std::string target = base_path + sc_.target.path;
    if (sc_.target.has_query) {
      const auto query = d.strip_token ? d.token_location.strip_from_query(sc_.target.query)
                                       : std::string(sc_.target.query);
      if (!query.empty()) target += "?" + query;
    }
    ForwardRequest fr{stream_, buffer_, parser_, rt_, d, upstream, sc_, std::move(target), client_ip_,
                      parser_.get().keep_alive()};
    const auto result = co_await forward(w_, fr);
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

  void collect_token_headers(const http::request<http::empty_body>& req) {
    sc_.token_headers.clear();
    const auto& wanted = rt_.engine->token_header_names();
    for (const auto& f : req) {
      const auto name = f.name_string();
      for (const auto& w : wanted) {
        if (beast::iequals(name, w)) {
          sc_.token_headers.push_back({name, f.value()});
          break;
        }
      }
    }
  }

  void finish(Clock::time_point start, const policies::Decision& d, const Outcome& out) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    const std::string_view route = d.route ? std::string_view(d.route->name) : std::string_view{};
    Metrics::instance().request(route, out.decision, out.status, static_cast<double>(us) / 1e6);
    AccessLogEntry e;
    const auto& req = parser_.get();
    e.method = req.method_string();
    e.path = sc_.target.path;
    e.route = route;
    e.decision = out.decision;
    e.reason = out.reason;
    e.provider = d.provider ? std::string_view(d.provider->name()) : std::string_view{};
    const auto& sub = sc_.request.jws.claims().sub;
    e.sub = d.verified && sub ? std::string_view(*sub) : std::string_view{};
    e.status = out.status;
    e.duration_us = us;
    e.upstream_us = out.upstream_us;
    e.bytes_in = out.bytes_in;
    e.bytes_out = out.bytes_out;
    Logger::instance().access(e);
  }

  Worker& w_;
  SessionScratch& sc_;
  const Runtime& rt_;
  ByteStream& stream_;
  beast::flat_buffer& buffer_;
  RequestHeaderParser& parser_;
  const std::string& client_ip_;
};

// Half-close, then read and discard briefly so the client sees our response instead of a
// reset caused by unread request bytes (RFC 9112 9.6).
awaitable<void> linger_close(ByteStream& stream) {
  const auto deadline = deadline_in(std::chrono::seconds(2));
  co_await stream.shutdown_send(deadline);
  std::array<char, 16384> sink;
  std::size_t discarded = 0;
  while (discarded < (1u << 20)) {
    auto [rec, n] = co_await stream.read_some(net::buffer(sink), deadline);
    if (rec) break;
    discarded += n;
  }
  error_code ec;
  stream.socket().close(ec);
}

}  // namespace

awaitable<void> run_session(Worker& worker, tcp::socket socket) {
  error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  std::string client_ip = ec ? std::string("unknown") : remote.address().to_string();
  socket.set_option(tcp::no_delay(true), ec);
  const auto tls = worker.state.server_tls.load();
  auto stream = tls ? make_tls_server_stream(std::move(socket), tls) : make_tcp_stream(std::move(socket));
  if (tls) {
    const auto timeout = worker.current()->config.limits.header_timeout;
    if (const auto hec = co_await stream->handshake(deadline_in(timeout)); hec) {
      Metrics::instance().tls_handshake_failure();
      log_debug("TLS handshake failed", {{"client", client_ip}, {"error", hec.message()}});
      error_code ignored;
      stream->socket().close(ignored);
      co_return;
    }
  }
  co_await run_session(worker, std::move(stream), std::move(client_ip));
}

awaitable<void> run_session(Worker& worker, std::unique_ptr<ByteStream> owned, std::string client_ip) {
  Metrics::instance().connection_opened();
  ByteStream& stream = *owned;
  const auto id = worker.next_connection_id++;
  // A reference into a node-based map stays valid while other connections come and go.
  auto& registered = worker.connections[id] = {&stream, true};

  beast::flat_buffer buffer;
  SessionScratch scratch;
  bool first = true;
  while (!worker.state.draining.load() || first) {
    // Each request runs under the config current when its header arrived, to its end.
    const auto limits = worker.current()->config.limits;
    RequestHeaderParser parser;
    registered.idle = true;
    const auto read = co_await read_request_header(
        stream, buffer, parser,
        {limits.max_header_bytes, first ? limits.header_timeout : limits.idle_timeout,
         limits.header_timeout});
    registered.idle = false;
    first = false;
    const std::shared_ptr<const Runtime> rt = worker.current();
    using Kind = HeaderReadResult::Kind;
    if (read.kind == Kind::closed) break;
    if (read.kind != Kind::ok) {
      ErrorResponse r;
      r.status = read.kind == Kind::timeout ? 408 : read.kind == Kind::too_large ? 431 : 400;
      r.error = r.status == 400 ? "invalid_request" : r.status == 408 ? "request_timeout" : "header_too_large";
      r.description = read.kind == Kind::bad ? read.reason
                      : read.kind == Kind::timeout ? std::string_view("header_timeout")
                                                   : std::string_view("header_too_large");
      co_await write_bytes(stream, render_error_response(r), limits.header_timeout);
      Metrics::instance().request("", "reject", r.status, 0);
      log_debug("request refused", {{"status", r.status}, {"reason", r.description}, {"client", client_ip}});
      break;
    }
    RequestHandler handler(worker, scratch, *rt, stream, buffer, parser, client_ip);
    if (!co_await handler.handle()) break;
  }
  worker.connections.erase(id);
  co_await linger_close(stream);
  Metrics::instance().connection_closed();
}

}  // namespace jwt_sidecar::proxy
