#include "proxy/http1/session.h"

#include <array>
#include <chrono>

#include "proxy/http1/exchange.h"
#include "proxy/http1/header_reader.h"
#include "proxy/http1/responses.h"
#include "proxy/observability/log.h"
#include "proxy/observability/metrics.h"

namespace jwt_sidecar::proxy {
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

awaitable<void> run_session(Worker& worker, tcp::socket socket, RequestHandler handler) {
  std::string client_ip;
  auto stream = co_await accept_stream(worker, std::move(socket), client_ip, false);
  // Arguments as named values: GCC 12 mishandles temporaries inside a co_await expression.
  beast::flat_buffer none;
  const std::chrono::milliseconds header_timeout{0};
  if (stream) co_await run_session(worker, std::move(stream), std::move(client_ip), handler, std::move(none), header_timeout);
}

awaitable<std::unique_ptr<ByteStream>> accept_stream(Worker& worker, tcp::socket socket, std::string& client_ip,
                                                     bool offer_h2) {
  error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  client_ip = ec ? std::string("unknown") : remote.address().to_string();
  socket.set_option(tcp::no_delay(true), ec);
  const auto tls = worker.state.server_tls.load();
  auto stream = tls ? make_tls_server_stream(std::move(socket), tls, offer_h2) : make_tcp_stream(std::move(socket));
  if (tls) {
    const auto timeout = worker.current()->config.limits.header_timeout;
    if (const auto hec = co_await stream->handshake(deadline_in(timeout)); hec) {
      Metrics::instance().tls_handshake_failure();
      log_debug("TLS handshake failed", {{"client", client_ip}, {"error", hec.message()}});
      error_code ignored;
      stream->socket().close(ignored);
      co_return nullptr;
    }
  }
  co_return stream;
}

awaitable<void> run_session(Worker& worker, std::unique_ptr<ByteStream> owned, std::string client_ip,
                            RequestHandler handler, beast::flat_buffer received,
                            std::chrono::milliseconds first_timeout) {
  Metrics::instance().connection_opened();
  ByteStream& stream = *owned;
  const auto id = worker.next_connection_id++;
  // A reference into a node-based map stays valid while other connections come and go.
  auto& registered = worker.connections[id] = {&stream, true, {}};

  beast::flat_buffer buffer = std::move(received);
  SessionScratch scratch;
  bool first = true;
  while (!worker.state.draining.load() || first) {
    // Each request runs under the config current when its header arrived, to its end.
    const auto limits = worker.current()->config.limits;
    RequestHeaderParser parser;
    registered.idle = true;
    const auto read = co_await read_request_header(
        stream, buffer, parser,
        {limits.max_header_bytes,
         first ? (first_timeout.count() > 0 ? first_timeout : limits.header_timeout) : limits.idle_timeout,
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
    Exchange exchange{worker, scratch, *rt, stream, buffer, parser, client_ip};
    if (!co_await handler(exchange)) break;
  }
  worker.connections.erase(id);
  co_await linger_close(stream);
  Metrics::instance().connection_closed();
}

}  // namespace jwt_sidecar::proxy
