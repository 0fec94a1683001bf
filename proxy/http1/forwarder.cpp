#include "proxy/http1/forwarder.h"

#include <array>
#include <charconv>
#include <chrono>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "proxy/observability/log.h"
#include "proxy/observability/metrics.h"
#include "proxy/http1/responses.h"

namespace jwt_sidecar::proxy {
namespace {

using namespace boost::asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

using RequestBodyParser = http::request_parser<http::buffer_body>;
using ResponseBodyParser = http::response_parser<http::buffer_body>;

// Reads into a connection's buffer take at most this much at a time.
constexpr std::size_t kReadChunk = 16 * 1024;

// What a body parser may hold back unparsed while it waits for the rest of one framing
// element: a chunk-size line with its extensions, or the trailer section. Anything longer is
// refused as bad framing instead of being buffered without bound.
constexpr std::size_t kMaxPendingFraming = 64 * 1024;

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

bool is_websocket_upgrade(const http::fields& fields) {
  return list_contains(fields, http::field::connection, "upgrade") &&
         list_contains(fields, http::field::upgrade, "websocket");
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

// The fields a hop keeps for itself (RFC 9110 7.6.1): Connection, the classic hop-by-hop
// set, and every field Connection names - except the framing fields and Host, which the
// proxy sets itself, so a client cannot make it drop them. Upgrade survives only for a
// WebSocket handshake. Framing (Content-Length, Transfer-Encoding) is always re-emitted by
// the proxy for the body it actually sends, so the peer's copies are dropped here.
class HopByHop {
 public:
  HopByHop(const http::fields& fields, bool keep_upgrade) : keep_upgrade_(keep_upgrade) {
    for_each_field(fields, http::field::connection, [&](const auto& f) {
      for_each_list_token(f.value(), [&](std::string_view t) {
        if (count_ < named_.size()) named_[count_++] = t;
        else overflow_ = true;  // more than we track: treat every unknown extension as named
      });
    });
  }

  bool drops(const http::fields::value_type& f) const {
    switch (f.name()) {
      case http::field::connection:
      case http::field::keep_alive:
      case http::field::proxy_connection:
      case http::field::te:
      case http::field::trailer:
      case http::field::proxy_authenticate:
      case http::field::proxy_authorization:
      case http::field::content_length:
      case http::field::transfer_encoding:
        return true;
      case http::field::upgrade:
        return !keep_upgrade_;
      case http::field::host:
        return false;
      default:
        break;
    }
    const auto name = f.name_string();
    if (beast::iequals(name, "HTTP2-Settings")) return true;
    for (std::size_t i = 0; i < count_; ++i) {
      if (beast::iequals(name, named_[i])) return true;
    }
    return overflow_ && f.name() == http::field::unknown;
  }

 private:
  std::array<std::string_view, 16> named_{};
  std::size_t count_ = 0;
  bool overflow_ = false;
  bool keep_upgrade_;
};

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

void append_number(std::string& out, std::uint64_t v) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  out.append(digits, end);
}

// The request header the upstream receives, rendered in one buffer: request line, the
// client's end-to-end fields (minus protected claim headers and, when not forwarded, the
// token), framing for the body actually sent, X-Forwarded-*, claim headers.
void render_upstream_request(const Worker& worker, ForwardRequest& fr, const http::request<http::buffer_body>& req,
                             bool websocket, std::string& out) {
  const auto& engine = *fr.runtime.engine;
  const auto& protected_names = engine.protected_header_names();
  const policies::TokenLocation* strip = fr.decision.strip_token ? &fr.decision.token_location : nullptr;
  const HopByHop hop(req, websocket);

  out.clear();
  out.append(req.method_string()).append(" ").append(fr.target).append(" HTTP/1.1\r\n");
  std::string_view host;
  std::size_t xff_values = 0;
  std::string xff;
  for (const auto& f : req) {
    if (hop.drops(f)) continue;
    const auto name = f.name_string();
    // WSGI, CGI and PHP read "X_Forwarded_Host" and "X-Forwarded-Host" as one name, and would
    // see the client's copy of a header the proxy sets: names with '_' are dropped, as nginx
    // does by default (underscores_in_headers off).
    if (name.find('_') != std::string_view::npos) continue;
    switch (f.name()) {
      case http::field::host:
        host = f.value();
        break;
      case http::field::expect:
        if (beast::iequals(f.value(), "100-continue")) continue;  // answered by the proxy
        break;
      default:
        if (beast::iequals(name, "X-Forwarded-For")) {
          if (xff_values++ > 0) xff += ", ";
          xff += f.value();
          continue;
        }
        if (beast::iequals(name, "X-Forwarded-Proto") || beast::iequals(name, "X-Forwarded-Host")) continue;
        break;
    }
    if (strip) {
      if (const auto without = strip->strip_from_header(name, f.value())) {
        if (!without->empty()) append_field(out, name, *without);
        continue;
      }
    }
    if (std::any_of(protected_names.begin(), protected_names.end(),
                    [&](const std::string& p) { return same_normalized(name, p); })) {
      continue;
    }
    append_field(out, name, f.value());
  }
  if (host.empty()) append_field(out, "Host", fr.upstream.key);  // an HTTP/1.0 client may omit it
  if (req.chunked()) {
    out.append("Transfer-Encoding: chunked\r\n");
  } else if (req.has_content_length()) {
    // As plain decimal, not the client's spelling ("0010"), which a lax upstream parser could
    // read as another length. The header reader let only digits through.
    const auto cl = req[http::field::content_length];
    std::uint64_t length = 0;
    std::from_chars(cl.data(), cl.data() + cl.size(), length);
    out.append("Content-Length: ");
    append_number(out, length);
    out.append("\r\n");
  }
  out.append("X-Forwarded-For: ");
  if (xff_values > 0) out.append(xff).append(", ");
  out.append(fr.client_ip).append("\r\n");
  out.append("X-Forwarded-Proto: ").append(worker.state.tls ? "https" : "http").append("\r\n");
  if (!host.empty()) append_field(out, "X-Forwarded-Host", host);

  for (const auto& [name, value] : fr.scratch.request.claim_headers) append_field(out, name, value);
  if (websocket) out.append("Connection: Upgrade\r\n");
  out.append("\r\n");
}

// How a response body travels to the client.
enum class BodyOut {
  none,     // no body (HEAD, 1xx, 204, 304)
  raw,      // as received: Content-Length, or close-delimited to an HTTP/1.0 client
  chunked,  // re-chunked: chunked or close-delimited upstream body to an HTTP/1.1 client
};

// The response header the client receives. `keep_alive` may be turned off here when the body
// can only be delimited by closing the connection.
BodyOut render_client_response(const ResponseBodyParser& parser, unsigned client_version, bool bodiless,
                               bool upgraded, bool& keep_alive, std::string& out) {
  const auto& res = parser.get();
  const HopByHop hop(res, upgraded);
  const unsigned code = res.result_int();
  out.clear();
  out.append("HTTP/1.1 ");
  append_number(out, code);
  out.append(" ");
  const auto reason = res.reason();
  out.append(reason.empty() ? status_text(code) : std::string_view(reason));
  out.append("\r\n");
  for (const auto& f : res) {
    if (!hop.drops(f)) append_field(out, f.name_string(), f.value());
  }

  BodyOut body = BodyOut::raw;
  if (upgraded) {
    keep_alive = false;
    body = BodyOut::none;
    out.append("Connection: Upgrade\r\n");
  } else {
    if (bodiless) {
      body = BodyOut::none;
      // A HEAD response describes the body a GET would have had: its framing fields stay.
      for_each_field(res, http::field::content_length,
                     [&](const auto& f) { append_field(out, "Content-Length", f.value()); });
      if (client_version >= 11) {
        for_each_field(res, http::field::transfer_encoding,
                       [&](const auto& f) { append_field(out, "Transfer-Encoding", f.value()); });
      }
    } else if (const auto length = parser.content_length(); length && !res.chunked()) {
      out.append("Content-Length: ");
      append_number(out, *length);
      out.append("\r\n");
    } else if (client_version >= 11) {
      body = BodyOut::chunked;  // chunked or close-delimited upstream: chunks keep the connection
      out.append("Transfer-Encoding: chunked\r\n");
    } else {
      keep_alive = false;  // HTTP/1.0 cannot read chunks: the body goes raw, ended by a close
    }
    if (!keep_alive) {
      out.append("Connection: close\r\n");
    } else if (client_version < 11) {
      out.append("Connection: keep-alive\r\n");
    }
  }
  out.append("\r\n");
  return body;
}

enum class Relay { ok, read_failed, read_timeout, body_limit, bad_framing, write_failed };

// Feeds buffered bytes to `parser` until it yields body bytes into [buf, buf + cap), or is
// done; reads from `in` when it needs more. `got` is the number of body bytes produced.
template <bool IsRequest>
awaitable<Relay> read_body_some(ByteStream& in, beast::flat_buffer& in_buffer,
                                http::parser<IsRequest, http::buffer_body>& parser, char* buf,
                                std::size_t cap, std::chrono::milliseconds timeout, std::size_t& got) {
  auto& body = parser.get().body();
  body.data = buf;
  body.size = cap;
  parser.eager(true);
  got = 0;
  while (true) {
    if (in_buffer.size() > 0) {
      error_code ec;
      const auto used = parser.put(in_buffer.data(), ec);
      in_buffer.consume(used);
      if (ec == http::error::need_buffer || ec == http::error::need_more) ec = {};  // buffer full / partial input
      if (ec == http::error::body_limit) co_return Relay::body_limit;
      if (ec) co_return Relay::bad_framing;
      got = cap - body.size;
      if (got > 0 || parser.is_done()) co_return Relay::ok;
      if (used > 0 && in_buffer.size() > 0) continue;  // framing consumed; more to parse
      // Whatever is still buffered is an incomplete framing element the parser cannot use.
      if (in_buffer.size() >= kMaxPendingFraming) co_return Relay::bad_framing;
    }
    auto [ec, n] = co_await in.read_some(in_buffer.prepare(kReadChunk), deadline_in(timeout));
    if (ec == net::error::eof && parser.need_eof()) {
      parser.put_eof(ec);  // a close-delimited body ends here
      if (ec) co_return Relay::read_failed;
      co_return Relay::ok;
    }
    if (ec == beast::error::timeout) co_return Relay::read_timeout;
    if (ec) co_return Relay::read_failed;
    in_buffer.commit(n);
  }
}

// Moves one message body from `in` to `out` through `buf`, writing `head` (the rendered
// header, possibly empty) together with the first piece of body, and re-framing the body as
// chunks when `chunked` is set.
template <bool IsRequest>
awaitable<Relay> relay_body(ByteStream& in, beast::flat_buffer& in_buffer,
                            http::parser<IsRequest, http::buffer_body>& parser, ByteStream& out,
                            std::string_view head, bool chunked, std::chrono::milliseconds read_timeout,
                            std::chrono::milliseconds write_timeout, char* buf, std::uint64_t& bytes) {
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";
  static constexpr std::string_view kChunkEnd = "\r\n";
  while (true) {
    std::size_t got = 0;
    if (!parser.is_done()) {
      const auto r = co_await read_body_some(in, in_buffer, parser, buf, kRelayBuffer, read_timeout, got);
      if (r != Relay::ok) co_return r;
    }
    const bool done = parser.is_done();
    std::array<net::const_buffer, 5> pieces;
    std::size_t count = 0;
    char size_line[20];
    if (!head.empty()) pieces[count++] = net::buffer(head);
    if (got > 0) {
      if (chunked) {
        auto* end = std::to_chars(size_line, size_line + 16, got, 16).ptr;
        *end++ = '\r';
        *end++ = '\n';
        pieces[count++] = net::buffer(size_line, static_cast<std::size_t>(end - size_line));
      }
      pieces[count++] = net::buffer(buf, got);
      if (chunked) pieces[count++] = net::buffer(kChunkEnd);
    }
    if (chunked && done) pieces[count++] = net::buffer(kLastChunk);
    if (count > 0) {
      auto [ec, n] = co_await out.write(std::span<const net::const_buffer>(pieces.data(), count),
                                        deadline_in(write_timeout));
      if (ec) co_return Relay::write_failed;
    }
    head = {};
    bytes += got;
    if (done) co_return Relay::ok;
  }
}

awaitable<void> pump(ByteStream& from, ByteStream& to, std::chrono::milliseconds idle) {
  std::array<char, 16384> buf;
  while (true) {
    auto [ec, n] = co_await from.read_some(net::buffer(buf), deadline_in(idle));
    if (ec) break;
    auto [wec, wn] = co_await to.write(net::buffer(buf.data(), n), deadline_in(idle));
    if (wec) break;
  }
  co_await to.shutdown_send(deadline_in(idle));
}

// After a 101: bytes both ways until either side closes or both go quiet.
awaitable<void> tunnel(ByteStream& client, beast::flat_buffer& client_buffer, UpstreamConnection& upstream,
                       std::chrono::milliseconds idle) {
  if (client_buffer.size() > 0) {
    auto [ec, n] = co_await upstream.stream->write(client_buffer.data(), deadline_in(idle));
    if (ec) co_return;
    client_buffer.consume(n);
  }
  if (upstream.buffer.size() > 0) {
    auto [ec, n] = co_await client.write(upstream.buffer.data(), deadline_in(idle));
    if (ec) co_return;
    upstream.buffer.consume(n);
  }
  co_await (pump(client, *upstream.stream, idle) && pump(*upstream.stream, client, idle));
}

awaitable<void> send_error(ByteStream& client, unsigned status, std::string_view reason,
                           std::chrono::milliseconds timeout) {
  ErrorResponse r;
  r.status = status;
  r.error = status == 413 ? "request_too_large" : status == 400 ? "invalid_request" : "upstream_error";
  r.description = reason;
  const auto bytes = render_error_response(r);
  co_await client.write(net::buffer(bytes), deadline_in(timeout));
}

std::int64_t micros_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

enum class HeadRead { ok, timeout, closed_early, failed, bad };

// Reads a response header into `parser`, skipping interim 1xx responses other than 101.
// closed_early: the connection ended before the first byte (a stale pooled connection).
awaitable<HeadRead> read_response_header(UpstreamConnection& conn, std::optional<ResponseBodyParser>& parser,
                                         bool head_request, std::chrono::milliseconds timeout) {
  const auto deadline = deadline_in(timeout);
  bool any_byte = conn.buffer.size() > 0;
  while (true) {
    parser.emplace();
    parser->body_limit(boost::none);
    parser->eager(false);  // stop after the header: the body goes through read_body_some
    if (head_request) parser->skip(true);
    while (!parser->is_header_done()) {
      if (conn.buffer.size() > 0) {
        error_code ec;
        const auto used = parser->put(conn.buffer.data(), ec);
        conn.buffer.consume(used);
        if (ec && ec != http::error::need_more && ec != http::error::need_buffer) co_return HeadRead::bad;
        if (parser->is_header_done()) break;
        if (used > 0 && conn.buffer.size() > 0) continue;
      }
      auto [ec, n] = co_await conn.stream->read_some(conn.buffer.prepare(kReadChunk), deadline);
      if (ec == beast::error::timeout) co_return HeadRead::timeout;
      if (ec) co_return any_byte ? HeadRead::failed : HeadRead::closed_early;
      any_byte = true;
      conn.buffer.commit(n);
    }
    const auto code = parser->get().result_int();
    if (code < 100 || code >= 200 || code == 101) co_return HeadRead::ok;
  }
}

// Whether a pooled connection is still open: the upstream may have closed it while idle.
// Costs one non-blocking recv, so it is done only before sending a request that cannot be
// replayed once sent.
bool still_open(UpstreamConnection& conn) {
  if (conn.stream->is_tls()) return true;  // TLS records cannot be peeked meaningfully
  char byte;
  error_code ec;
  auto& socket = conn.stream->socket();
  const bool was_nonblocking = socket.non_blocking();
  socket.non_blocking(true, ec);
  const auto n = socket.receive(net::buffer(&byte, 1), tcp::socket::message_peek, ec);
  error_code ignored;
  socket.non_blocking(was_nonblocking, ignored);
  return ec == net::error::would_block || (!ec && n > 0);
}

// RFC 9112 7.1.1: a chunk extension is token or quoted-string, and neither may hold CR, LF or
// another control byte. Beast 1.81 reads a quoted value past a bare LF (the line ends only at
// CRLF), so `1;a="<LF>"` would parse: the extension text is checked here instead.
void refuse_control_in_chunk_extension(std::uint64_t, std::string_view extensions, error_code& ec) {
  for (const char ch : extensions) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F) {
      ec = http::error::bad_chunk_extension;
      return;
    }
  }
}

// RFC 9110 9.2.2: the methods a client may repeat with the same effect. Only these are sent a
// second time when a pooled connection ends without an answer (RFC 9112 9.3.1): the upstream
// may have acted on the first copy.
bool idempotent(http::verb method) {
  switch (method) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::options:
    case http::verb::trace:
    case http::verb::put:
    case http::verb::delete_:
      return true;
    default:
      return false;
  }
}

}  // namespace

awaitable<ForwardResult> forward(Worker& worker, ForwardRequest& fr) {
  const auto& limits = fr.runtime.config.limits;
  ForwardResult result;
  const unsigned client_version = fr.header_parser.get().version();
  const bool head = fr.header_parser.get().method() == http::verb::head;
  const bool expect_continue =
      beast::iequals(fr.header_parser.get()[http::field::expect], "100-continue");

  // Parsers keep a reference to their chunk-header callback: it outlives both.
  auto check_chunk_header = refuse_control_in_chunk_extension;
  RequestBodyParser parser(std::move(fr.header_parser));
  parser.on_chunk_header(check_chunk_header);
  parser.body_limit(limits.max_body_bytes);
  parser.eager(true);
  auto& req = parser.get();
  const bool websocket = is_websocket_upgrade(req);
  const bool has_body = !parser.is_done();
  // A request that cannot be replayed (a body, or a method that is not idempotent) is sent
  // once: a pooled connection is probed first instead of retried after.
  const bool replayable = !has_body && idempotent(req.method());

  // Borrowed from the worker for this forward only, returned on every way out.
  struct Lease {
    Worker& w;
    RelayLoan loan;
    ~Lease() { w.return_relay_loan(std::move(loan)); }
  } lease{worker, worker.take_relay_loan()};
  char* buf = lease.loan.buffer.get();
  std::string& head_bytes = lease.loan.head;
  render_upstream_request(worker, fr, req, websocket, head_bytes);

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
  ConnectError connect_error = ConnectError::none;
  auto connect_failure = [&] {
    return connect_error == ConnectError::timeout ? fail(504, "upstream_timeout")
           : connect_error == ConnectError::tls   ? fail(502, "upstream_tls_failed")
                                                  : fail(502, "upstream_unreachable");
  };

  auto conn = co_await worker.pool.acquire(target, limits.upstream_timeout, connect_error);
  if (!conn) co_return co_await connect_failure();
  if (!replayable && conn->reused && !still_open(*conn)) {
    conn = co_await worker.pool.connect(target, limits.upstream_timeout, connect_error);
    if (!conn) co_return co_await connect_failure();
  }

  std::optional<ResponseBodyParser> rp;
  if (!has_body) {
    // The request is the header alone: if a pooled connection turns out to have been closed
    // by the upstream (the write fails, or it ends before answering), send it once more on a
    // fresh connection.
    for (int attempt = 0;; ++attempt) {
      auto [ec, n] = co_await conn->stream->write(net::buffer(head_bytes), deadline_in(limits.upstream_timeout));
      auto outcome = ec ? HeadRead::closed_early
                        : co_await read_response_header(*conn, rp, head, limits.upstream_timeout);
      if (outcome == HeadRead::closed_early && conn->reused && attempt == 0 && replayable) {
        conn = co_await worker.pool.connect(target, limits.upstream_timeout, connect_error);
        if (!conn) co_return co_await connect_failure();
        continue;
      }
      if (ec) co_return co_await fail(502, "upstream_write_failed");
      if (outcome == HeadRead::timeout) co_return co_await fail(504, "upstream_timeout");
      if (outcome == HeadRead::bad) co_return co_await fail(502, "upstream_bad_response");
      if (outcome != HeadRead::ok) co_return co_await fail(502, "upstream_reset");
      break;
    }
  } else {
    std::string_view pending = head_bytes;
    if (expect_continue) {
      // The client waits for 100 Continue before sending its body; the upstream gets the
      // header first.
      auto [ec, n] = co_await conn->stream->write(net::buffer(head_bytes), deadline_in(limits.upstream_timeout));
      if (ec) co_return co_await fail(502, "upstream_write_failed");
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [cec, cn] = co_await fr.client.write(net::buffer(kContinue), deadline_in(limits.idle_timeout));
      if (cec) co_return result;
      pending = {};
    }
    const auto sent = co_await relay_body<true>(fr.client, fr.client_buffer, parser, *conn->stream, pending,
                                                parser.get().chunked(), limits.idle_timeout,
                                                limits.upstream_timeout, buf, result.bytes_in);
    if (fr.client_buffer.capacity() > 8192 && fr.client_buffer.size() == 0) fr.client_buffer.shrink_to_fit();
    if (sent == Relay::body_limit) co_return co_await fail(413, "body_too_large");
    if (sent == Relay::bad_framing) co_return co_await fail(400, "bad_chunked_encoding");
    if (sent == Relay::read_failed || sent == Relay::read_timeout) {
      result.reason = "client_aborted";
      co_return result;  // the client went away mid-upload: nothing to answer
    }
    if (sent == Relay::write_failed) co_return co_await fail(502, "upstream_write_failed");
    const auto outcome = co_await read_response_header(*conn, rp, head, limits.upstream_timeout);
    if (outcome == HeadRead::timeout) co_return co_await fail(504, "upstream_timeout");
    if (outcome == HeadRead::bad) co_return co_await fail(502, "upstream_bad_response");
    if (outcome != HeadRead::ok) co_return co_await fail(502, "upstream_reset");
  }

  rp->on_chunk_header(check_chunk_header);
  const auto code = rp->get().result_int();
  const bool upgraded = code == 101 && websocket;
  const bool bodiless = head || code == 204 || code == 304 || (code >= 100 && code < 200);
  result.keep_alive = fr.client_keep_alive && !worker.state.draining.load();
  const auto body_out = render_client_response(*rp, client_version, bodiless, upgraded, result.keep_alive, head_bytes);
  result.status = code;

  if (body_out == BodyOut::none) {
    auto [ec, n] = co_await fr.client.write(net::buffer(head_bytes), deadline_in(limits.idle_timeout));
    if (ec) {
      result.keep_alive = false;
      result.reason = "client_aborted";
      co_return result;
    }
    result.upstream_us = micros_since(upstream_start);
    if (upgraded) {
      co_await tunnel(fr.client, fr.client_buffer, *conn, limits.idle_timeout);
      result.keep_alive = false;
      co_return result;
    }
  } else {
    const auto got = co_await relay_body<false>(*conn->stream, conn->buffer, *rp, fr.client, head_bytes,
                                                body_out == BodyOut::chunked, limits.upstream_timeout,
                                                limits.idle_timeout, buf, result.bytes_out);
    result.upstream_us = micros_since(upstream_start);
    if (got != Relay::ok) {
      result.keep_alive = false;  // the response is cut short: the client must see a close
      result.reason = got == Relay::write_failed ? "client_aborted" : "upstream_reset";
      co_return result;
    }
  }
  // The parser remembers the upstream's own keep-alive intent.
  if (rp->is_done() && rp->keep_alive() && !rp->need_eof()) {
    worker.pool.release(target, std::move(conn));
  }
  co_return result;
}

}  // namespace jwt_sidecar::proxy
