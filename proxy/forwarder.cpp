#include "proxy/forwarder.h"

#include <array>
#include <chrono>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/responses.h"

namespace jwt_sidecar::proxy {
namespace {

using namespace boost::asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

using RequestBodyParser = http::request_parser<http::buffer_body>;
using ResponseBodyParser = http::response_parser<http::buffer_body>;

// Calls f(token) for each element of a comma-separated header list (RFC 9110 5.6.1).
template <typename F>
void for_each_list_token(std::string_view list, F&& f) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// Beast's equal_range() yields an iterator pair; this visits each field in it.
template <typename F>
void for_each_field(const http::fields& fields, http::field name, F&& f) {
  const auto [first, last] = fields.equal_range(name);
  for (auto it = first; it != last; ++it) f(*it);
}

bool list_contains(const http::fields& fields, http::field name, std::string_view token) {
  bool found = false;
  for_each_field(fields, name, [&](const auto& f) {
    for_each_list_token(f.value(), [&](std::string_view t) { found = found || beast::iequals(t, token); });
  });
  return found;
}

// RFC 9110 7.6.1: Connection and the fields it names, plus the classic hop-by-hop set, end at
// this hop. Framing fields named in Connection are kept: dropping Content-Length on a client's
// say-so would desynchronise the upstream.
void strip_hop_by_hop(http::fields& fields, bool keep_upgrade) {
  std::vector<std::string> named;
  for_each_field(fields, http::field::connection, [&](const auto& f) {
    for_each_list_token(f.value(), [&](std::string_view t) {
      if (beast::iequals(t, "content-length") || beast::iequals(t, "transfer-encoding") ||
          beast::iequals(t, "host") || (keep_upgrade && beast::iequals(t, "upgrade"))) {
        return;
      }
      named.emplace_back(t);
    });
  });
  for (const auto& n : named) fields.erase(n);
  for (const auto f : {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
                       http::field::te, http::field::trailer, http::field::proxy_authenticate,
                       http::field::proxy_authorization}) {
    fields.erase(f);
  }
  fields.erase("HTTP2-Settings");
  if (!keep_upgrade) fields.erase(http::field::upgrade);
}

// Whether a header name equals a protected name in its normalised form (lower case, '_' as
// '-'), compared in place: no allocation per header.
bool same_normalized(std::string_view name, std::string_view normalized) {
  if (name.size() != normalized.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '_') c = '-';
    if (c != normalized[i]) return false;
  }
  return true;
}

void strip_protected(http::fields& fields, const std::vector<std::string>& protected_names) {
  if (protected_names.empty()) return;
  for (auto it = fields.begin(); it != fields.end();) {
    const auto name = it->name_string();
    const bool doomed = std::any_of(protected_names.begin(), protected_names.end(),
                                    [&](const std::string& p) { return same_normalized(name, p); });
    it = doomed ? fields.erase(it) : std::next(it);
  }
}

void strip_token(http::fields& fields, const config::TokenSource& source) {
  if (source.kind == config::TokenSource::Kind::header) {
    fields.erase(source.name);
  } else if (source.kind == config::TokenSource::Kind::cookie) {
    std::vector<std::string> kept;
    for_each_field(fields, http::field::cookie, [&](const auto& f) {
      auto rest = policies::remove_cookie(f.value(), source.name);
      if (!rest.empty()) kept.push_back(std::move(rest));
    });
    fields.erase(http::field::cookie);
    for (auto& c : kept) fields.insert(http::field::cookie, c);
  }
  // Query tokens are removed from the target by the session.
}

bool is_websocket_upgrade(const http::fields& fields) {
  return list_contains(fields, http::field::connection, "upgrade") &&
         list_contains(fields, http::field::upgrade, "websocket");
}

enum class Relay { ok, read_failed, read_timeout, body_limit, write_failed };

template <bool IsRequest>
awaitable<Relay> relay_body(beast::tcp_stream& in, beast::flat_buffer& in_buffer,
                            http::parser<IsRequest, http::buffer_body>& parser,
                            beast::tcp_stream& out,
                            http::serializer<IsRequest, http::buffer_body>& sr,
                            std::chrono::milliseconds read_timeout,
                            std::chrono::milliseconds write_timeout, char* buf,
                            std::uint64_t& bytes) {
  while (!sr.is_done()) {
    auto& body = parser.get().body();
    if (!parser.is_done()) {
      body.data = buf;
      body.size = kRelayBuffer;
      in.expires_after(read_timeout);
      auto [ec, n] = co_await http::async_read_some(in, in_buffer, parser, use_tuple);
      if (ec == http::error::need_buffer) ec = {};
      if (ec == http::error::body_limit) co_return Relay::body_limit;
      if (ec == beast::error::timeout) co_return Relay::read_timeout;
      if (ec) co_return Relay::read_failed;
      const std::size_t got = kRelayBuffer - body.size;
      // An empty buffer with data set would be serialised as a zero-length chunk, which ends
      // a chunked body: only parsed framing arrived, so read again.
      if (got == 0 && !parser.is_done()) continue;
      body.data = got ? buf : nullptr;
      body.size = got;
      body.more = !parser.is_done();
      bytes += got;
    } else {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    }
    out.expires_after(write_timeout);
    auto [ec, n] = co_await http::async_write(out, sr, use_tuple);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return Relay::write_failed;
  }
  co_return Relay::ok;
}

awaitable<void> pump(beast::tcp_stream& from, beast::tcp_stream& to, std::chrono::milliseconds idle) {
  std::array<char, 16384> buf;
  while (true) {
    from.expires_after(idle);
    auto [ec, n] = co_await from.async_read_some(net::buffer(buf), use_tuple);
    if (ec) break;
    to.expires_after(idle);
    auto [wec, wn] = co_await net::async_write(to, net::buffer(buf.data(), n), use_tuple);
    if (wec) break;
  }
  error_code ignored;
  to.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

// After a 101: bytes both ways until either side closes or both go quiet.
awaitable<void> tunnel(beast::tcp_stream& client, beast::flat_buffer& client_buffer,
                       UpstreamConnection& upstream, std::chrono::milliseconds idle) {
  if (client_buffer.size() > 0) {
    upstream.stream.expires_after(idle);
    auto [ec, n] = co_await net::async_write(upstream.stream, client_buffer.data(), use_tuple);
    if (ec) co_return;
    client_buffer.consume(n);
  }
  if (upstream.buffer.size() > 0) {
    client.expires_after(idle);
    auto [ec, n] = co_await net::async_write(client, upstream.buffer.data(), use_tuple);
    if (ec) co_return;
    upstream.buffer.consume(n);
  }
  co_await (pump(client, upstream.stream, idle) && pump(upstream.stream, client, idle));
}

awaitable<void> send_error(beast::tcp_stream& client, unsigned status, std::string_view reason,
                           std::chrono::milliseconds timeout) {
  ErrorResponse r;
  r.status = status;
  r.error = status == 413 ? "request_too_large" : "upstream_error";
  r.description = reason;
  const auto bytes = render_error_response(r);
  client.expires_after(timeout);
  co_await net::async_write(client, net::buffer(bytes), use_tuple);
}

std::int64_t micros_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

}  // namespace

namespace {

// Rewrites the request header in place for the upstream.
void prepare_upstream_request(Worker& worker, ForwardRequest& fr, http::request<http::buffer_body>& req,
                              bool websocket) {
  const auto& engine = *fr.runtime.engine;
  const auto host = std::string(req[http::field::host]);
  strip_hop_by_hop(req, websocket);
  strip_protected(req, engine.protected_header_names());
  const auto* provider = fr.decision.provider;
  if (provider && !provider->forward_token() && fr.decision.token_source) {
    strip_token(req, *fr.decision.token_source);
  }
  if (beast::iequals(req[http::field::expect], "100-continue")) req.erase(http::field::expect);

  std::string xff(req["X-Forwarded-For"]);
  xff = xff.empty() ? fr.client_ip : xff + ", " + fr.client_ip;
  req.set("X-Forwarded-For", xff);
  req.set("X-Forwarded-Proto", worker.state.tls ? "https" : "http");
  if (!host.empty()) req.set("X-Forwarded-Host", host);

  auto& claim_headers = fr.scratch.claim_headers;
  claim_headers.clear();
  engine.forwarded_headers(fr.decision, fr.scratch.jws, claim_headers);
  for (const auto& [name, value] : claim_headers) req.set(name, value);

  req.target(fr.target);
  req.version(11);
  if (websocket) {
    req.set(http::field::connection, "Upgrade");
  } else {
    req.keep_alive(true);
  }
}

void prepare_client_response(http::response<http::buffer_body>& res, unsigned client_version,
                             bool& keep_alive, bool upgraded, bool bodiless) {
  strip_hop_by_hop(res, upgraded);
  if (upgraded) {
    res.set(http::field::connection, "Upgrade");
    keep_alive = false;
    return;
  }
  const bool delimited = bodiless || res.chunked() || res.has_content_length();
  if (!delimited) {
    // Close-delimited upstream body: chunk it for HTTP/1.1 clients so the connection lives on.
    if (client_version >= 11) {
      res.chunked(true);
    } else {
      keep_alive = false;
    }
  } else if (res.chunked() && client_version < 11) {
    res.chunked(false);  // HTTP/1.0 cannot read chunks: send the body raw and close
    keep_alive = false;
  }
  res.version(11);
  res.keep_alive(keep_alive);
}

}  // namespace

awaitable<ForwardResult> forward(Worker& worker, ForwardRequest& fr) {
  const auto& limits = fr.runtime.config.limits;
  ForwardResult result;
  const unsigned client_version = fr.header_parser.get().version();
  const bool head = fr.header_parser.get().method() == http::verb::head;
  const bool expect_continue =
      beast::iequals(fr.header_parser.get()[http::field::expect], "100-continue");

  RequestBodyParser parser(std::move(fr.header_parser));
  parser.body_limit(limits.max_body_bytes);
  auto& req = parser.get();
  const bool websocket = is_websocket_upgrade(req);
  const bool has_body = !parser.is_done();
  prepare_upstream_request(worker, fr, req, websocket);

  const auto& target = fr.upstream;
  const auto upstream_start = Clock::now();

  auto fail = [&](unsigned status, std::string_view reason) -> awaitable<ForwardResult> {
    co_await send_error(fr.client, status, reason, limits.idle_timeout);
    result.status = status;
    result.reason = reason;
    result.keep_alive = false;
    result.upstream_us = micros_since(upstream_start);
    co_return result;
  };

  bool timed_out = false;
  auto conn = co_await worker.pool.acquire(target, limits.upstream_timeout, timed_out);
  if (!conn) co_return co_await fail(timed_out ? 504 : 502, timed_out ? "upstream_timeout" : "upstream_unreachable");

  std::optional<http::request_serializer<http::buffer_body>> sr;
  // A pooled connection the upstream closed meanwhile fails on first use; a request whose
  // body has not been read yet can be replayed once on a fresh connection.
  for (int attempt = 0;; ++attempt) {
    sr.emplace(req);
    conn->stream.expires_after(limits.upstream_timeout);
    auto [ec, n] = co_await http::async_write_header(conn->stream, *sr, use_tuple);
    if (!ec) break;
    if (attempt > 0 || !conn->reused) co_return co_await fail(502, "upstream_write_failed");
    conn = co_await worker.pool.connect(target, limits.upstream_timeout, timed_out);
    if (!conn) co_return co_await fail(timed_out ? 504 : 502, timed_out ? "upstream_timeout" : "upstream_unreachable");
  }

  if (expect_continue && has_body) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    fr.client.expires_after(limits.idle_timeout);
    auto [ec, n] = co_await net::async_write(fr.client, net::buffer(kContinue), use_tuple);
    if (ec) co_return result;
  }

  // Borrowed from the worker for this forward only, returned on every way out.
  struct Lease {
    Worker& w;
    std::unique_ptr<char[]> b;
    ~Lease() { w.return_relay_buffer(std::move(b)); }
  } lease{worker, worker.take_relay_buffer()};
  char* buf = lease.b.get();
  const auto sent = co_await relay_body<true>(fr.client, fr.client_buffer, parser, conn->stream, *sr,
                                              limits.idle_timeout, limits.upstream_timeout,
                                              buf, result.bytes_in);
  if (sent == Relay::body_limit) co_return co_await fail(413, "body_too_large");
  if (sent == Relay::read_failed || sent == Relay::read_timeout) {
    result.reason = "client_aborted";
    co_return result;  // the client went away mid-upload: nothing to answer
  }
  if (sent == Relay::write_failed) co_return co_await fail(502, "upstream_write_failed");

  // Read the response header, skipping interim 1xx responses other than 101.
  std::optional<ResponseBodyParser> rp;
  while (true) {
    rp.emplace();
    rp->body_limit(boost::none);
    if (head) rp->skip(true);
    conn->stream.expires_after(limits.upstream_timeout);
    auto [ec, n] = co_await http::async_read_header(conn->stream, conn->buffer, *rp, use_tuple);
    if (ec == beast::error::timeout) co_return co_await fail(504, "upstream_timeout");
    if (ec) co_return co_await fail(502, "upstream_reset");
    const auto code = rp->get().result_int();
    if (code < 100 || code >= 200 || code == 101) break;
  }
  auto& res = rp->get();
  const auto code = res.result_int();
  const bool upgraded = code == 101 && websocket;
  const bool bodiless = head || code == 204 || code == 304 || (code >= 100 && code < 200);
  result.keep_alive = fr.client_keep_alive && !worker.state.draining.load();
  prepare_client_response(res, client_version, result.keep_alive, upgraded, bodiless);
  result.status = code;

  http::response_serializer<http::buffer_body> rsr(res);
  fr.client.expires_after(limits.idle_timeout);
  if (auto [ec, n] = co_await http::async_write_header(fr.client, rsr, use_tuple); ec) {
    result.keep_alive = false;
    result.reason = "client_aborted";
    co_return result;
  }
  if (upgraded) {
    result.upstream_us = micros_since(upstream_start);
    co_await tunnel(fr.client, fr.client_buffer, *conn, limits.idle_timeout);
    result.keep_alive = false;
    co_return result;
  }
  if (!bodiless) {
    const auto got = co_await relay_body<false>(conn->stream, conn->buffer, *rp, fr.client, rsr,
                                                limits.upstream_timeout, limits.idle_timeout,
                                                buf, result.bytes_out);
    if (got != Relay::ok) {
      result.keep_alive = false;  // the response is cut short: the client must see a close
      result.reason = got == Relay::write_failed ? "client_aborted" : "upstream_reset";
      result.upstream_us = micros_since(upstream_start);
      co_return result;
    }
  }
  result.upstream_us = micros_since(upstream_start);
  // The parser remembers the upstream's own keep-alive intent; the message now carries ours.
  if (rp->is_done() && rp->keep_alive() && !rp->need_eof()) {
    worker.pool.release(target, std::move(conn));
  }
  co_return result;
}

}  // namespace jwt_sidecar::proxy
