#include "proxy/upstream_pool.h"

namespace jwt_sidecar::proxy {

awaitable<std::unique_ptr<UpstreamConnection>> UpstreamPool::acquire(
    const UpstreamTarget& target, std::chrono::milliseconds timeout, bool& timed_out) {
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
  co_return co_await connect(target, timeout, timed_out);
}

awaitable<std::unique_ptr<UpstreamConnection>> UpstreamPool::connect(
    const UpstreamTarget& target, std::chrono::milliseconds timeout, bool& timed_out) {
  auto ex = co_await net::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(target.host, target.port, use_tuple);
  if (rec) {
    timed_out = false;
    co_return nullptr;
  }
  auto tcp_stream = std::make_unique<TcpByteStream>(ex);
  tcp_stream->lowest().expires_after(timeout);
  auto [ec, ep] = co_await tcp_stream->lowest().async_connect(endpoints, use_tuple);
  if (ec) {
    timed_out = ec == beast::error::timeout;
    co_return nullptr;
  }
  tcp_stream->socket().set_option(tcp::no_delay(true), ec);
  co_return std::make_unique<UpstreamConnection>(std::move(tcp_stream));
}

void UpstreamPool::release(const UpstreamTarget& target, std::unique_ptr<UpstreamConnection> conn) {
  if (!conn || !conn->stream->socket().is_open() || conn->buffer.size() != 0) return;
  conn->stream->clear_deadline();
  auto& queue = idle_[target.key];
  if (queue.size() >= max_idle_) queue.pop_front();
  queue.push_back(std::move(conn));
}

std::size_t UpstreamPool::idle_count() const {
  std::size_t n = 0;
  for (const auto& [key, queue] : idle_) n += queue.size();
  return n;
}

}  // namespace jwt_sidecar::proxy
