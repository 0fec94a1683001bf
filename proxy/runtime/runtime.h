// Everything a request needs, built once from a Config and shared read-only by all workers.
// A reload builds a new Runtime and swaps the pointer; requests in flight keep the old one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "policies/engine.h"
#include "proxy/io/upstream_target.h"

namespace jwt_sidecar::proxy {

// A number no earlier Runtime of this process had (1, 2, 3, ...).
std::uint64_t next_runtime_generation();

struct Runtime {
  // Unique per Runtime for the life of the process (never reused, unlike an address): what a
  // worker compares to know whether its token cache and pool were filled under this config.
  std::uint64_t generation = next_runtime_generation();
  config::Config config;
  std::unique_ptr<policies::PolicyEngine> engine;
  std::vector<UpstreamTarget> upstreams;    // [0] is the top-level upstream
  std::vector<std::size_t> route_upstream;  // route index -> index into upstreams
  std::vector<std::string> upstream_paths;  // base path per upstream ("" for none)
  std::shared_ptr<SslContext> server_tls;   // the listener's, when `tls:` is set

  const UpstreamTarget& upstream_for(std::size_t route_index, std::string& base_path) const {
    const auto i = route_index < route_upstream.size() ? route_upstream[route_index] : 0;
    base_path = upstream_paths[i];
    return upstreams[i];
  }
};

// Compiles the engine, the upstream list and the TLS contexts. Errors (with file:line:column)
// are appended; returns null when there were any. With `warnings` (check-config), TLS files
// that do not exist are reported there instead of as errors.
// On a reload `previous` is the running Runtime: providers that keep their key source share
// its key stores (see policies::Provider::keys()).
std::shared_ptr<const Runtime> build_runtime(config::Config config,
                                             std::vector<config::ConfigError>& errors,
                                             std::vector<std::string>* warnings = nullptr,
                                             const Runtime* previous = nullptr);

}  // namespace jwt_sidecar::proxy
