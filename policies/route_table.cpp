#include "policies/route_table.h"

#include "common/ascii.h"

#include <limits>

#include "common/path.h"

namespace jwt_sidecar::policies {

using common::ascii_lower;
using common::equals_ignore_case;
namespace {

constexpr std::uint32_t kNoRoute = std::numeric_limits<std::uint32_t>::max();

bool method_matches(const CompiledRoute& route, std::string_view method) noexcept {
  if (route.methods.empty()) return true;
  for (const auto& m : route.methods) {
    if (m == method) return true;  // methods are case-sensitive (RFC 9110 9.1)
  }
  return false;
}

// Host names are case-insensitive (RFC 9110 4.2.3); `host_name` has no port or trailing dot.
bool host_matches(const CompiledRoute& route, std::string_view host_name) noexcept {
  return !route.host || equals_ignore_case(*route.host, host_name);
}

bool path_matches(const CompiledRoute& route, std::string_view path) noexcept {
  switch (route.path_match) {
    case PathMatch::any:
      return true;
    case PathMatch::exact:
      return route.path == path;
    case PathMatch::prefix:
      return prefix_covers(route.path, path);
  }
  return false;
}

CompiledRoute compile_route(const config::Route& route, std::size_t index,
                            ClaimRequirements claims) {
  CompiledRoute out;
  out.index = index;
  out.name = route.name;
  out.auth = route.auth;
  out.cors_preflight_allow = route.cors_preflight_allow;
  out.providers = route.providers;
  out.claims = std::move(claims);
  out.upstream = route.upstream;
  out.mark = route.mark;
  if (route.match.path) {
    out.path_match = PathMatch::exact;
    out.path = *route.match.path;
  } else if (route.match.prefix) {
    out.path_match = PathMatch::prefix;
    out.path = *route.match.prefix;
  }
  out.methods = route.match.methods;
  if (route.match.host) {
    std::string host(host_name_of(*route.match.host));
    for (auto& c : host) c = ascii_lower(c);
    out.host = std::move(host);
  }
  return out;
}

}  // namespace

std::string_view host_name_of(std::string_view host) noexcept {
  // The port follows the last ":", except inside an IPv6 literal (RFC 3986 3.2.2).
  const auto colon = host.rfind(':');
  const auto bracket = host.rfind(']');
  if (colon != std::string_view::npos &&
      (bracket == std::string_view::npos || colon > bracket)) {
    host = host.substr(0, colon);
  }
  // "example.test." is the same fully qualified name as "example.test" (RFC 1034 3.1).
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return host;
}

bool prefix_covers(std::string_view prefix, std::string_view path) noexcept {
  if (!path.starts_with(prefix)) return false;
  if (prefix.empty() || prefix.back() == '/') return true;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

bool CompiledRoute::matches(std::string_view method, std::string_view host_value,
                            std::string_view match_path) const noexcept {
  return method_matches(*this, method) && host_matches(*this, host_name_of(host_value)) &&
         path_matches(*this, match_path);
}

RouteTable RouteTable::compile(const std::vector<config::Route>& routes) {
  RouteTable table;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    table.routes_.push_back(compile_route(routes[i], i, ClaimRequirements::compile(routes[i].claims)));
  }
  for (const auto& route : table.routes_) table.add_to_index(route);
  return table;
}

void RouteTable::add_to_index(const CompiledRoute& route) {
  const auto index = static_cast<std::uint32_t>(route.index);
  Bucket& bucket = route.path_match == PathMatch::any     ? any_path_
                   : route.path_match == PathMatch::exact ? exact_[route.path]
                                                          : prefix_[route.path];
  (route.host ? bucket.by_host[*route.host] : bucket.any_host).push_back(index);
}

// The lowest index in `list` below `best` whose method matches (host already matched), else
// `best`.
std::uint32_t RouteTable::first_in(const IndexList& list, std::uint32_t best,
                                   std::string_view method) const noexcept {
  for (const auto i : list) {
    if (i >= best) break;
    if (method_matches(routes_[i], method)) return i;
  }
  return best;
}

std::uint32_t RouteTable::first_in(const Bucket& bucket, std::uint32_t best, std::string_view method,
                                   std::string_view host_key) const noexcept {
  best = first_in(bucket.any_host, best, method);
  if (!bucket.by_host.empty() && !host_key.empty()) {
    const auto it = bucket.by_host.find(host_key);
    if (it != bucket.by_host.end()) best = first_in(it->second, best, method);
  }
  return best;
}

std::uint32_t RouteTable::first_in(const Index& index, std::string_view key, std::uint32_t best,
                                   std::string_view method, std::string_view host_key) const noexcept {
  const auto it = index.find(key);
  return it == index.end() ? best : first_in(it->second, best, method, host_key);
}

const CompiledRoute* RouteTable::match(std::string_view method, std::string_view host,
                                       std::string_view match_path) const noexcept {
  // Route hosts are stored lower-case; the request's is lowered into a stack buffer. A name
  // longer than DNS allows (RFC 1035 2.3.4: 253 characters) cannot equal a route host.
  const auto host_name = host_name_of(host);
  char lowered[256];
  std::string_view host_key;
  if (host_name.size() <= sizeof lowered) {
    for (std::size_t i = 0; i < host_name.size(); ++i) lowered[i] = ascii_lower(host_name[i]);
    host_key = std::string_view(lowered, host_name.size());
  }
  std::uint32_t best = first_in(any_path_, kNoRoute, method, host_key);
  best = first_in(exact_, match_path, best, method, host_key);
  // Every prefix that covers the path is a piece of it ending at a segment boundary: for each
  // "/" at i, the prefix without it (i > 0) and the prefix with it; and the whole path.
  for (std::size_t i = 0; i < match_path.size(); ++i) {
    if (match_path[i] != '/') continue;
    if (i > 0) best = first_in(prefix_, match_path.substr(0, i), best, method, host_key);
    best = first_in(prefix_, match_path.substr(0, i + 1), best, method, host_key);
  }
  if (!match_path.empty() && match_path.back() != '/') {
    best = first_in(prefix_, match_path, best, method, host_key);
  }
  return best == kNoRoute ? nullptr : &routes_[best];
}

const CompiledRoute* RouteTable::match_linear(std::string_view method, std::string_view host,
                                              std::string_view match_path) const noexcept {
  for (const auto& route : routes_) {
    if (route.matches(method, host, match_path)) return &route;
  }
  return nullptr;
}

}  // namespace jwt_sidecar::policies
