// Wall-clock time for the proxy (policies/ never reads a clock; it is handed `now`).
#pragma once

#include <chrono>
#include <cstdint>

namespace jwt_sidecar::proxy {

inline std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::int64_t unix_seconds() { return unix_ms() / 1000; }

}  // namespace jwt_sidecar::proxy
