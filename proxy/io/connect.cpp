#include "proxy/io/connect.h"

#include "proxy/io/resolve.h"

namespace jwt_sidecar::proxy {

awaitable<Connected> connect_stream(const std::string& host, const std::string& port,
                                    std::shared_ptr<SslContext> tls, const std::string& server_name,
                                    Deadline deadline) {
  Connected out;
  auto [rec, endpoints] = co_await resolve_until(host, port, deadline);
  if (rec) {
    out.failure = rec == beast::error::timeout ? Connected::Failure::timeout : Connected::Failure::unreachable;
    out.ec = rec;
    co_return out;
  }
  beast::tcp_stream connecting(co_await net::this_coro::executor);
  connecting.expires_at(deadline);
  auto [ec, ep] = co_await connecting.async_connect(endpoints, use_tuple);
  if (ec) {
    out.failure = ec == beast::error::timeout ? Connected::Failure::timeout : Connected::Failure::unreachable;
    out.ec = ec;
    co_return out;
  }
  connecting.socket().set_option(tcp::no_delay(true), ec);
  connecting.expires_never();
  if (!tls) {
    out.stream = make_tcp_stream(connecting.release_socket());
    co_return out;
  }
  auto stream = make_tls_client_stream(connecting.release_socket(), std::move(tls), server_name);
  if (const auto hec = co_await stream->handshake(deadline); hec) {
    out.failure = hec == beast::error::timeout ? Connected::Failure::timeout : Connected::Failure::tls;
    out.ec = hec;
    co_return out;
  }
  out.stream = std::move(stream);
  co_return out;
}

}  // namespace jwt_sidecar::proxy
