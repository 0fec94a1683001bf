#include "proxy/http2/dispatch.h"

#include <algorithm>
#include <string_view>

#include "proxy/http1/exchange.h"
#include "proxy/http1/proxy_handler.h"
#include "proxy/http1/responses.h"
#include "proxy/http1/session.h"
#include "proxy/http2/server_session.h"
#include "proxy/observability/metrics.h"

namespace jwt_sidecar::proxy::h2 {
namespace {

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class First { h2, http1, timeout, closed };

// A plain connection's first bytes: until they leave the HTTP/2 preface or complete it. The
// connection counts as open (and idle: a drain closes it) meanwhile. A read that failed is not
// repeated (after EOF another read would only wait for its deadline).
awaitable<First> read_preface(Worker& worker, ByteStream& stream, beast::flat_buffer& buffer, Deadline deadline) {
  Metrics::instance().connection_opened();
  const auto id = worker.next_connection_id++;
  worker.connections[id] = {&stream, true, {}};
  auto first = First::h2;
  while (buffer.size() < kPreface.size()) {
    auto [ec, n] = co_await stream.read_some(buffer.prepare(4096), deadline);
    if (ec) {
      first = ec == beast::error::timeout ? First::timeout : First::closed;
      break;
    }
    buffer.commit(n);
    const std::string_view seen(static_cast<const char*>(buffer.data().data()), buffer.size());
    const auto k = std::min(seen.size(), kPreface.size());
    if (seen.substr(0, k) != kPreface.substr(0, k)) {
      first = First::http1;
      break;
    }
  }
  worker.connections.erase(id);
  Metrics::instance().connection_closed();  // the session that takes it over counts it again
  co_return first;
}

}  // namespace

awaitable<void> serve_client(Worker& worker, tcp::socket socket) {
  const auto rt = worker.current();
  std::string client_ip;
  auto stream = co_await accept_stream(worker, std::move(socket), client_ip, rt->config.http2);
  if (!stream) co_return;
  if (!rt->config.http2 || stream->is_tls()) {
    if (rt->config.http2 && stream->alpn() == "h2") {
      std::string none;
      co_await run_server_session(worker, std::move(stream), std::move(client_ip), std::move(none));
    } else {
      beast::flat_buffer none;
      const std::chrono::milliseconds header_timeout{0};
      co_await run_session(worker, std::move(stream), std::move(client_ip), handle_proxy_request, std::move(none),
                           header_timeout);
    }
    co_return;
  }
  // A plain connection: read until the bytes leave the preface or complete it. An HTTP/1.1
  // request differs at its first or second byte ("PRI" is no method we serve).
  const auto deadline = deadline_in(rt->config.limits.header_timeout);
  beast::flat_buffer buffer;
  const auto first = co_await read_preface(worker, *stream, buffer, deadline);
  if (first == First::h2) {
    std::string received(static_cast<const char*>(buffer.data().data()), buffer.size());
    co_await run_server_session(worker, std::move(stream), std::move(client_ip), std::move(received));
    co_return;
  }
  if (first != First::http1) {
    // Silent, or gone, before a request began: closed without an answer, as HTTP/1.1 does; a
    // request begun (the first bytes of the preface) and not finished in time gets its 408.
    if (first == First::timeout && buffer.size() > 0) {
      ErrorResponse r;
      r.status = 408;
      r.error = "request_timeout";
      r.description = "header_timeout";
      co_await write_bytes(*stream, render_error_response(r), rt->config.limits.header_timeout);
    }
    error_code ignored;
    stream->socket().close(ignored);
    co_return;
  }
  // Arguments as named values: GCC 12 mishandles temporaries inside a co_await expression.

  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() < 1) left = std::chrono::milliseconds(1);
  co_await run_session(worker, std::move(stream), std::move(client_ip), handle_proxy_request, std::move(buffer), left);
}

}  // namespace jwt_sidecar::proxy::h2
