// What every thread of the process shares: the published Runtime and its generation, the
// drain flag, the listener's TLS context and the key fetcher.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "proxy/io/stream.h"
#include "proxy/runtime/runtime.h"

namespace jwt_sidecar::proxy {

class JwksFetcher;

struct ServerState {
  // The config new requests run under. Publish with publish(): the generation is what
  // workers poll, the shared_ptr what they load when it moved.
  std::atomic<std::shared_ptr<const Runtime>> runtime;
  std::atomic<std::uint64_t> generation{0};
  void publish(std::shared_ptr<const Runtime> next) {
    const auto g = next->generation;
    runtime.store(std::move(next));
    generation.store(g, std::memory_order_release);
  }
  JwksFetcher* fetcher = nullptr;  // null when no provider has a remote or file key source
  std::atomic<bool> draining{false};
  bool tls = false;  // the listener speaks TLS: X-Forwarded-Proto https
  // The listener's certificate and key; swapped when the files change. New connections take
  // the current one; open ones keep theirs.
  std::atomic<std::shared_ptr<SslContext>> server_tls;
};

}  // namespace jwt_sidecar::proxy
