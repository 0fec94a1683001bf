// Keep-alive connections to upstreams, one pool per worker thread (each worker runs its own
// io_context, so no locking). Connections are keyed by "host:port".
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/io/net.h"
#include "proxy/io/stream.h"
#include "proxy/io/upstream_target.h"

namespace jwt_sidecar::proxy {

struct UpstreamConnection {
  explicit UpstreamConnection(std::unique_ptr<ByteStream> s) : stream(std::move(s)) {}
  std::unique_ptr<ByteStream> stream;
  beast::flat_buffer buffer;
  bool reused = false;  // came from the pool: may have been closed by the upstream meanwhile
};

enum class ConnectError { none, unreachable, timeout, tls };

class UpstreamPool {
 public:
  explicit UpstreamPool(std::size_t max_idle_per_upstream = 256)
      : max_idle_(max_idle_per_upstream) {}

  // A pooled connection, or a new one connected (and for https, handshaken) within
  // `timeout`. On failure returns null and says why in `error`.
  awaitable<std::unique_ptr<UpstreamConnection>> acquire(const UpstreamTarget& target,
                                                         std::chrono::milliseconds timeout,
                                                         ConnectError& error);
  awaitable<std::unique_ptr<UpstreamConnection>> connect(const UpstreamTarget& target,
                                                         std::chrono::milliseconds timeout,
                                                         ConnectError& error);
  // Returns a connection whose last response was complete and keep-alive.
  void release(const UpstreamTarget& target, std::unique_ptr<UpstreamConnection> conn);
  void clear() { idle_.clear(); }

 private:
  std::size_t max_idle_;
  std::unordered_map<std::string, std::deque<std::unique_ptr<UpstreamConnection>>> idle_;
};

}  // namespace jwt_sidecar::proxy
