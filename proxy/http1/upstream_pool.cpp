#include "proxy/http1/upstream_pool.h"

#include "proxy/observability/log.h"
#include "proxy/io/connect.h"

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
  auto c = co_await connect_stream(target.host, target.port, target.tls, target.server_name, deadline_in(timeout));
  switch (c.failure) {
    case Connected::Failure::none:
      if (c.stream->alpn() == "h2") {
        // The upstream chose HTTP/2 (ALPN) for a connection meant for HTTP/1.1: it changed
        // since the worker learned its protocol (proxy/http2's ClientPool::protocol_of).
        error = ConnectError::tls;
        log_warn("upstream chose h2 on an HTTP/1.1 connection", {{"upstream", target.key}});
        break;
      }
      co_return std::make_unique<UpstreamConnection>(std::move(c.stream));
    case Connected::Failure::timeout:
      error = ConnectError::timeout;
      break;
    case Connected::Failure::unreachable:
      error = ConnectError::unreachable;
      break;
    case Connected::Failure::tls:
      error = ConnectError::tls;
      log_warn("upstream TLS handshake failed", {{"upstream", target.key}, {"error", c.ec.message()}});
      break;
  }
  co_return nullptr;
}

void UpstreamPool::release(const UpstreamTarget& target, std::unique_ptr<UpstreamConnection> conn) {
  if (!conn || !conn->stream->socket().is_open() || conn->buffer.size() != 0) return;
  auto& queue = idle_[target.key];
  if (queue.size() >= max_idle_) queue.pop_front();
  queue.push_back(std::move(conn));
}

}  // namespace jwt_sidecar::proxy
