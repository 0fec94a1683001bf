// Per-thread state of the data plane: each worker runs one io_context on one thread, so
// everything here is touched by that thread only (except ServerState, which is shared).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "policies/jws.h"
#include "policies/path.h"
#include "policies/token_cache.h"
#include "policies/token_extractor.h"
#include "proxy/net.h"
#include "proxy/runtime.h"
#include "proxy/upstream_pool.h"

namespace jwt_sidecar::proxy {

class JwksFetcher;

struct ServerState {
  std::atomic<std::shared_ptr<const Runtime>> runtime;
  JwksFetcher* fetcher = nullptr;  // null when no provider has a remote or file key source
  std::atomic<bool> draining{false};
  bool tls = false;  // X-Forwarded-Proto
};

// Buffers one connection reuses for each of its requests. Per connection, not per thread:
// a request suspends (upstream I/O, a key refetch) while others on the thread run.
inline constexpr std::size_t kRelayBuffer = 64 * 1024;

struct SessionScratch {
  policies::ParsedJws jws;
  policies::NormalizedTarget target;
  std::string query_scratch;
  std::vector<policies::HeaderField> token_headers;
  std::vector<std::pair<std::string_view, std::string>> claim_headers;
};

struct Worker {
  explicit Worker(ServerState& s) : state(s) {}

  ServerState& state;
  net::io_context ioc{1};
  UpstreamPool pool;

  // Verified tokens of this thread (token_cache_size split over the workers). Entries point
  // into one Runtime's providers, so the cache is emptied when the Runtime changes.
  std::unique_ptr<policies::TokenCache> token_cache;

  // Relay buffers (kRelayBuffer bytes) lent to forwards in progress and kept for reuse: an
  // idle keep-alive connection holds none.
  std::vector<std::unique_ptr<char[]>> free_relay_buffers;
  std::unique_ptr<char[]> take_relay_buffer() {
    if (free_relay_buffers.empty()) return std::make_unique<char[]>(kRelayBuffer);
    auto b = std::move(free_relay_buffers.back());
    free_relay_buffers.pop_back();
    return b;
  }
  void return_relay_buffer(std::unique_ptr<char[]> b) {
    if (b && free_relay_buffers.size() < 64) free_relay_buffers.push_back(std::move(b));
  }
  const Runtime* token_cache_runtime = nullptr;

  policies::TokenCache* cache_for(const Runtime& rt) {
    if (!token_cache || token_cache->capacity() == 0) return nullptr;
    if (token_cache_runtime != &rt) {
      token_cache->clear();
      token_cache_runtime = &rt;
    }
    return token_cache.get();
  }


  // Open client connections, for the drain: idle ones are closed at once, busy ones finish.
  struct Connection {
    beast::tcp_stream* stream;
    bool idle;
  };
  std::unordered_map<std::uint64_t, Connection> connections;
  std::uint64_t next_connection_id = 0;

  void close_idle_connections() {
    for (auto& [id, c] : connections) {
      if (c.idle) {
        error_code ec;
        c.stream->socket().cancel(ec);
      }
    }
  }
};

}  // namespace jwt_sidecar::proxy
