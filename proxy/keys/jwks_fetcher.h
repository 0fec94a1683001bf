// Keeps every provider's key set fresh: fetches jwks_uri (or discovers it), refreshes on
// Cache-Control max-age within [min_refresh_interval, refresh_interval], retries failures with
// exponential backoff and jitter while the last good set stays in use up to max_stale,
// re-reads jwks_file when it changes, and refetches at once (coalesced, rate-limited) when a
// token names a kid the set does not have. Runs on its own io_context; requests never wait on
// it except for an unknown kid.
#pragma once

#include <memory>

#include "proxy/io/net.h"

namespace jwt_sidecar::policies {
class Provider;
}

namespace jwt_sidecar::proxy {

struct Runtime;

class JwksFetcher {
 public:
  JwksFetcher(net::io_context& ioc, std::shared_ptr<const Runtime> runtime);
  ~JwksFetcher();

  // Starts one loop per provider with a remote or file key source.
  void start();
  // After a reload, on the fetcher's io_context: providers whose key source did not change
  // keep their keys and schedule (re-pointed at the new Runtime's providers); new or changed
  // ones start fetching; the rest stop.
  void adopt(std::shared_ptr<const Runtime> runtime);
  // Stops the loops (from any thread).
  void stop();

  // From a worker: a token named a kid the provider's set lacks. Completes when a fetch that
  // began no earlier than this call has finished, or at once when such fetches are
  // rate-limited (one per min_refresh_interval). True when a new set may have arrived.
  awaitable<bool> refetch_for_unknown_kid(const policies::Provider& provider);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace jwt_sidecar::proxy
