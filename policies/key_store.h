// One provider's current key set. Readers take the set with one atomic load and keep it for
// the whole request; a new set is swapped in whole, so requests in flight finish with the set
// they started with.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "policies/jwk.h"

namespace jwt_sidecar::policies {

class KeyStore {
 public:
  std::shared_ptr<const KeySet> current() const { return keys_.load(std::memory_order_acquire); }
  bool loaded() const { return current() != nullptr; }
  // `now_ms` is when the set was obtained (Unix milliseconds), for staleness metrics.
  void publish(std::shared_ptr<const KeySet> keys, std::int64_t now_ms) {
    keys_.store(std::move(keys), std::memory_order_release);
    updated_ms_.store(now_ms, std::memory_order_release);
  }
  // Unix milliseconds of the last publish, or -1.
  std::int64_t updated_ms() const { return updated_ms_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::shared_ptr<const KeySet>> keys_;
  std::atomic<std::int64_t> updated_ms_{-1};
};

}  // namespace jwt_sidecar::policies
