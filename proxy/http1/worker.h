// Per-thread state of the data plane: each worker runs one io_context on one thread, so
// everything here is touched by that thread only (the ServerState it points to is shared).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "policies/engine.h"
#include "common/path.h"
#include "policies/token_cache.h"
#include "policies/token_extractor.h"
#include "proxy/io/net.h"
#include "proxy/runtime/runtime.h"
#include "proxy/runtime/server_state.h"
#include "proxy/io/stream.h"
#include "proxy/http1/upstream_pool.h"

namespace jwt_sidecar::proxy {

// Buffers one connection reuses for each of its requests. Per connection, not per thread:
// a request suspends (upstream I/O, a key refetch) while others on the thread run.
inline constexpr std::size_t kRelayBuffer = 64 * 1024;

struct SessionScratch {
  policies::RequestScratch request;
  common::NormalizedTarget target;
  std::vector<policies::HeaderField> token_headers;
};

// What one forward borrows from its worker: the relay buffer and the buffer the upstream
// request and client response headers are rendered into.
struct RelayLoan {
  std::unique_ptr<char[]> buffer;
  std::string head;
};

// The worker's multiplexed HTTP/2 upstream connections (defined in proxy/http2), emptied with
// the pool when the Runtime changes.
class UpstreamSessions {
 public:
  virtual ~UpstreamSessions() = default;
  virtual void clear() = 0;
};

struct ForwardRequest;
struct ForwardResult;

struct Worker {
  explicit Worker(ServerState& s) : state(s) {}

  ServerState& state;
  // One thread runs it, and only that thread touches its sockets and timers, so the reactor
  // skips its per-descriptor locking (posting from other threads stays safe).
  net::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  UpstreamPool pool;
  std::unique_ptr<UpstreamSessions> h2_upstreams;  // created on first use
  // Forwards an HTTP/1.1 request to an h2c:// upstream, or an https:// one that may choose h2
  // (proxy/http2 sets it; null: HTTP/1.1 only).
  awaitable<ForwardResult> (*h2_forward)(Worker&, ForwardRequest&) = nullptr;

  // Verified tokens of this thread (token_cache_size split over the workers). Entries point
  // into one Runtime's providers, so the cache is emptied when the Runtime changes.
  std::unique_ptr<policies::TokenCache> token_cache;

  // Relay loans lent to forwards in progress and kept for reuse: an idle keep-alive
  // connection holds none.
  std::vector<RelayLoan> free_relay_loans;
  RelayLoan take_relay_loan() {
    if (free_relay_loans.empty()) return RelayLoan{std::make_unique<char[]>(kRelayBuffer), {}};
    auto loan = std::move(free_relay_loans.back());
    free_relay_loans.pop_back();
    return loan;
  }
  void return_relay_loan(RelayLoan loan) {
    if (loan.buffer && free_relay_loans.size() < 64) free_relay_loans.push_back(std::move(loan));
  }
  // The Runtime this worker's requests start under. The worker holds a reference, so the
  // Runtime lives at least until the worker's next request after a reload; requests in flight
  // hold their own. Refreshed only when ServerState::generation moves: one relaxed atomic
  // load per request instead of a locked atomic<shared_ptr> load.
  const std::shared_ptr<const Runtime>& current() {
    const auto published = state.generation.load(std::memory_order_acquire);
    if (!runtime_ || runtime_->generation != published) {
      runtime_ = state.runtime.load();
      adopt(*runtime_);
    }
    return runtime_;
  }

  // The cache for a request running under `rt`, or null. Entries point into the providers of
  // the Runtime they were verified under, so the cache only ever holds one generation's; a
  // request still running under an older Runtime after a reload does not use it.
  policies::TokenCache* cache_for(const Runtime& rt) {
    if (!token_cache || token_cache->capacity() == 0) return nullptr;
    if (rt.generation > filled_under_) adopt(rt);
    return rt.generation == filled_under_ ? token_cache.get() : nullptr;
  }

  // Empties what belongs to an older Runtime: the token cache (entries point into its
  // providers) and the pool (connections made with its upstream settings).
  void adopt(const Runtime& rt) {
    if (rt.generation <= filled_under_) return;
    if (token_cache) token_cache->clear();
    if (filled_under_ != 0) {
      pool.clear();
      if (h2_upstreams) h2_upstreams->clear();
    }
    filled_under_ = rt.generation;
  }

  // Open client connections, for the drain: idle ones are closed at once, busy ones finish.
  // An HTTP/2 connection drains itself (GOAWAY, then close when its streams are done).
  struct Connection {
    ByteStream* stream;
    bool idle;
    std::function<void()> drain;
  };
  std::unordered_map<std::uint64_t, Connection> connections;
  std::uint64_t next_connection_id = 0;

  void close_idle_connections() {
    for (auto& [id, c] : connections) {
      if (c.drain) {
        c.drain();
      } else if (c.idle) {
        error_code ec;
        c.stream->socket().cancel(ec);
      }
    }
  }

 private:
  std::shared_ptr<const Runtime> runtime_;
  std::uint64_t filled_under_ = 0;  // generation of the Runtime the cache and pool hold
};

}  // namespace jwt_sidecar::proxy
