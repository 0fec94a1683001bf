#include "proxy/http1/upstream_pool.h"

#include "proxy/observability/log.h"
#include "proxy/io/resolve.h"

namespace jwt_sidecar::proxy {

awaitable<std::unique_ptr<UpstreamConnection>> UpstreamPool::acquire(
    const UpstreamTarget& target, std::chrono::milliseconds timeout, ConnectError& error) {
  auto it = idle_.find(target.key);
  if (it != idle_.end()) {
    auto& queue = it->second;
    while (!queue.empty()) {
      auto conn = std::move(queue.back());  // most recently used: least likely to be stale
      queue.pop_back();
      if (conn->stream->socket().is_open()) {
        conn->reused = true;
        co_return conn;
      }
    }
  }
  co_return co_await connect(target, timeout, error);
}

awaitable<std::unique_ptr<UpstreamConnection>> UpstreamPool::connect(
    const UpstreamTarget& target, std::chrono::milliseconds timeout, ConnectError& error) {
  const auto deadline = deadline_in(timeout);
  auto ex = co_await net::this_coro::executor;
  auto [rec, endpoints] = co_await resolve_until(target.host, target.port, deadline);
  if (rec) {
    error = rec == beast::error::timeout ? ConnectError::timeout : ConnectError::unreachable;
    co_return nullptr;
  }
  beast::tcp_stream connecting(ex);
  connecting.expires_at(deadline);
  auto [ec, ep] = co_await connecting.async_connect(endpoints, use_tuple);
  if (ec) {
    error = ec == beast::error::timeout ? ConnectError::timeout : ConnectError::unreachable;
    co_return nullptr;
  }
  connecting.socket().set_option(tcp::no_delay(true), ec);
  connecting.expires_never();
  if (!target.tls) co_return std::make_unique<UpstreamConnection>(make_tcp_stream(connecting.release_socket()));
  auto stream = make_tls_client_stream(connecting.release_socket(), target.tls, target.server_name);
  if (const auto hec = co_await stream->handshake(deadline); hec) {
    error = hec == beast::error::timeout ? ConnectError::timeout : ConnectError::tls;
    if (error == ConnectError::tls) {
      log_warn("upstream TLS handshake failed", {{"upstream", target.key}, {"error", hec.message()}});
    }
    co_return nullptr;
  }
  co_return std::make_unique<UpstreamConnection>(std::move(stream));
}

void UpstreamPool::release(const UpstreamTarget& target, std::unique_ptr<UpstreamConnection> conn) {
  if (!conn || !conn->stream->socket().is_open() || conn->buffer.size() != 0) return;
  auto& queue = idle_[target.key];
  if (queue.size() >= max_idle_) queue.pop_front();
  queue.push_back(std::move(conn));
}

}  // namespace jwt_sidecar::proxy
