// The `routes:` list compiled once into an immutable table (DESIGN.md "Config schema v1").
// First match wins. Lookup is indexed so that it stays fast with many thousands of routes:
// exact paths in a hash map, prefixes in a hash map probed once per segment boundary of the
// request path, and among all candidates the lowest route index wins, exactly as a linear
// scan would decide.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "policies/claim_requirements.h"

namespace jwt_sidecar::policies {

enum class PathMatch : std::uint8_t {
  any,     // no path or prefix: every path
  exact,   // `path`
  prefix,  // `prefix`, segment-aware
};

struct CompiledRoute {
  std::size_t index = 0;  // position in `routes:`
  std::string name;
  config::AuthMode auth = config::AuthMode::required;
  std::vector<std::string> providers;  // empty: any provider
  ClaimRequirements claims;
  std::optional<config::Url> upstream;  // empty: the top-level upstream
  bool cors_preflight_allow = false;    // `cors_preflight: allow`
  config::Mark mark;

  PathMatch path_match = PathMatch::any;
  std::string path;                  // the exact path or the prefix, canonical
  std::vector<std::string> methods;  // upper-case; empty: any
  std::optional<std::string> host;   // lower-case, no port, no trailing dot

  // `match_path` is NormalizedTarget::match_path; `host` is the request's Host as received.
  bool matches(std::string_view method, std::string_view host,
               std::string_view match_path) const noexcept;
};

// The name part of a Host header value: without ":port" and without a trailing dot
// ("API.example.test.:443" -> "API.example.test"; "[::1]:80" -> "[::1]"). Case is kept.
std::string_view host_name_of(std::string_view host) noexcept;

// Segment-aware prefix test: "/orders" covers /orders, /orders/ and /orders/1 but not
// /ordersX; a prefix ending in "/" ("/api/", "/") covers exactly the paths starting with it.
bool prefix_covers(std::string_view prefix, std::string_view path) noexcept;

class RouteTable {
 public:
  // Compiles routes that config/ validated (canonical paths, upper-case methods, path or
  // prefix, claim requirements): nothing is checked twice.
  static RouteTable compile(const std::vector<config::Route>& routes);

  // The first route matching the request, or nullptr (404). `match_path` must be
  // NormalizedTarget::match_path; `host` is the Host header value as received (port, case
  // and a trailing dot are ignored). Allocation-free.
  const CompiledRoute* match(std::string_view method, std::string_view host,
                             std::string_view match_path) const noexcept;

  // The same answer by trying every route in order: the reference for tests and benchmarks.
  const CompiledRoute* match_linear(std::string_view method, std::string_view host,
                                    std::string_view match_path) const noexcept;

  const std::vector<CompiledRoute>& routes() const noexcept { return routes_; }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using IndexList = std::vector<std::uint32_t>;  // ascending route indices
  // The routes sharing one path key, split by host, so that thousands of host-only routes
  // (prefix "/" with a host each) cost one hash lookup, not a scan.
  struct Bucket {
    IndexList any_host;
    std::unordered_map<std::string, IndexList, StringHash, std::equal_to<>> by_host;  // lower-case
  };
  using Index = std::unordered_map<std::string, Bucket, StringHash, std::equal_to<>>;

  void add_to_index(const CompiledRoute& route);
  std::uint32_t first_in(const IndexList& list, std::uint32_t best, std::string_view method) const noexcept;
  std::uint32_t first_in(const Bucket& bucket, std::uint32_t best, std::string_view method,
                         std::string_view host_key) const noexcept;
  std::uint32_t first_in(const Index& index, std::string_view key, std::uint32_t best,
                         std::string_view method, std::string_view host_key) const noexcept;

  std::vector<CompiledRoute> routes_;
  Index exact_;
  Index prefix_;
  Bucket any_path_;
};

}  // namespace jwt_sidecar::policies
